"""Shot tags in CameraBench's terms: the 15 binary primitives, steadiness, arcs, tracking.

``PRIMITIVES`` is the one table that maps CameraBench's binary-classification tasks (the
``task`` field of t2v_metrics' ``camerabench/data/binary_classification/*.jsonl``) to camtag tag
ids. :func:`decide` turns a shot's tags into a probability per primitive. Where geometry cannot
tell two primitives apart (a pan from a truck past a flat or distant background, a zoom from a
dolly without parallax) the engine states the pair in the shot's evidence
(``evidence["geometry"]["pairs"]``) with both probabilities; :func:`decide` carries them over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from camtag.model import Shot, Tag


@dataclass(frozen=True)
class Primitive:
    task: str            # CameraBench task ("Move Left"); the split file is task with "_" for " "
    tag: str             # camtag tag id
    question: str        # CameraBench's question text
    label: str           # CameraBench label id


_CC = "cam_motion.camera_centric_movement."
PRIMITIVES: tuple[Primitive, ...] = (
    Primitive("Move In", "dolly_in", "Does the camera move forward (not zooming in) with respect "
              "to the initial frame?", _CC + "forward.has_forward_wrt_camera"),
    Primitive("Move Out", "dolly_out", "Does the camera move backward (not zooming out) with "
              "respect to the initial frame?", _CC + "backward.has_backward_wrt_camera"),
    Primitive("Move Up", "pedestal_up", "Does the camera move upward (not tilting up) with respect "
              "to the initial frame?", _CC + "upward.has_upward_wrt_camera"),
    Primitive("Move Down", "pedestal_down", "Does the camera move downward (not tilting down) with "
              "respect to the initial frame?", _CC + "downward.has_downward_wrt_camera"),
    Primitive("Move Right", "truck_right", "Does the camera move rightward in the scene?",
              _CC + "rightward.has_rightward"),
    Primitive("Move Left", "truck_left", "Does the camera move leftward in the scene?",
              _CC + "leftward.has_leftward"),
    Primitive("Zoom In", "zoom_in", "Does the camera zoom in?", _CC + "zoom_in.has_zoom_in"),
    Primitive("Zoom Out", "zoom_out", "Does the camera zoom out?", _CC + "zoom_out.has_zoom_out"),
    Primitive("Pan Right", "pan_right", "Does the camera pan to the right?",
              _CC + "pan_right.has_pan_right"),
    Primitive("Pan Left", "pan_left", "Does the camera pan to the left?",
              _CC + "pan_left.has_pan_left"),
    Primitive("Tilt Up", "tilt_up", "Does the camera tilt upward?", _CC + "tilt_up.has_tilt_up"),
    Primitive("Tilt Down", "tilt_down", "Does the camera tilt downward?",
              _CC + "tilt_down.has_tilt_down"),
    Primitive("Roll Clockwise", "roll_cw", "Does the camera roll clockwise?",
              _CC + "roll_clockwise.has_roll_clockwise"),
    Primitive("Roll Counterclockwise", "roll_ccw", "Does the camera roll counterclockwise?",
              _CC + "roll_counterclockwise.has_roll_counterclockwise"),
    Primitive("Static", "static", "Is the camera completely still without any motion or shaking?",
              "cam_motion.steadiness_and_movement.fixed_camera"),
)
TASKS = tuple(p.task for p in PRIMITIVES)
BY_TASK = {p.task: p for p in PRIMITIVES}
BY_TAG = {p.tag: p for p in PRIMITIVES}
# an arc is a lateral move plus an opposite pan that keeps the subject framed
ARC_PARTS = {"arc_cw": ("truck_left", "pan_right"), "arc_ccw": ("truck_right", "pan_left")}
STEADINESS = ("static", "static_shake", "stable", "handheld")
# pairs 2-D geometry cannot always separate (rotation/intrinsic, translation)
PAIRS = (("pan_left", "truck_left"), ("pan_right", "truck_right"), ("tilt_up", "pedestal_up"),
         ("tilt_down", "pedestal_down"), ("zoom_in", "dolly_in"), ("zoom_out", "dolly_out"))
FLOOR = 0.02          # probability of a primitive nothing speaks for


def task_key(text: str) -> str | None:
    """The canonical task for ``Move_Left`` / ``move left`` / ``truck_left`` (None if unknown)."""
    t = " ".join(text.replace("_", " ").split()).lower()
    for p in PRIMITIVES:
        if t in (p.task.lower(), p.tag.replace("_", " ")):
            return p.task
    return None


@dataclass(frozen=True)
class Ambiguity:
    """Two primitives the geometry could not separate, with the reason and both probabilities."""

    tags: tuple[str, str]
    probabilities: tuple[float, float]
    why: str


@dataclass(frozen=True)
class Decision:
    probabilities: dict[str, float]                  # task → P(yes)
    steadiness: dict[str, float] = field(default_factory=dict)
    arc: dict[str, float] = field(default_factory=dict)
    tracking: float = 0.0
    pairs: tuple[Ambiguity, ...] = ()
    measurable: bool = True
    why_not: str = ""                                 # reason when nothing could be measured

    def primary(self) -> str:
        """The most likely movement tag (an arc counts as one), else the steadiness level."""
        if not self.measurable:
            return "unknown"
        moves = dict(self.arc)           # an arc wins a tie with the parts it implies
        moves.update({p.tag: self.probabilities[p.task] for p in PRIMITIVES
                      if p.tag != "static" and p.tag not in moves})
        best = max(moves, key=moves.get)
        still = {k: v for k, v in self.steadiness.items() if k in ("static", "static_shake")}
        top_still = max(still, key=still.get) if still else ""
        if moves[best] >= 0.3 and (not still or moves[best] > still[top_still]):
            return best
        if top_still:
            return top_still
        return best if moves[best] > FLOOR else "unknown"

    def stated(self) -> set[str]:
        """The primary and, when it is one of an ambiguous pair, its partner."""
        top = self.primary()
        out = {top}
        for amb in self.pairs:
            if top in amb.tags:
                out.update(amb.tags)
        return out


def pairs_from_evidence(evidence: dict) -> tuple[Ambiguity, ...]:
    out = []
    for item in (evidence or {}).get("pairs", ()) or ():
        try:
            a, b = item["tags"]
            pa, pb = item["probabilities"]
            out.append(Ambiguity((str(a), str(b)), (float(pa), float(pb)), str(item.get("why", ""))))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def decide(tags: Iterable[Tag], evidence: dict | None = None) -> Decision:
    """Probabilities per CameraBench primitive from a shot's tags (any source).

    A tag's confidence is the probability of its primitive; an arc adds its lateral move and
    its opposite pan; static with shake, handheld or any move make "Static" unlikely."""
    best: dict[str, float] = {}
    for t in tags:
        best[t.id] = max(best.get(t.id, 0.0), float(t.confidence))
    if "unknown" in best and len(best) == 1:
        why = next((t.reason for t in tags if t.id == "unknown"), "nothing could be measured")
        return Decision({task: FLOOR for task in TASKS}, measurable=False, why_not=why)
    probs = {p.task: best.get(p.tag, FLOOR) for p in PRIMITIVES}
    arc = {k: best[k] for k in ARC_PARTS if k in best}
    for name, conf in arc.items():
        for part in ARC_PARTS[name]:
            task = BY_TAG[part].task
            probs[task] = max(probs[task], conf)
    moving = max([probs[p.task] for p in PRIMITIVES if p.tag != "static"] + [0.0])
    shake = max(best.get("static_shake", 0.0), best.get("handheld", 0.0))
    if "static" not in best:
        probs["Static"] = max(FLOOR, min(0.5, 1.0 - max(moving, shake)) * 0.3)
    else:
        probs["Static"] = min(best["static"], 1.0 - 0.8 * max(moving, shake))
    steady = {k: best[k] for k in STEADINESS if k in best}
    return Decision(probs, steady, arc, best.get("track", 0.0), pairs_from_evidence(evidence or {}))


def decide_shot(shot: Shot, source: str | None = None) -> Decision:
    tags = [t for t in shot.tags if source is None or t.source == source]
    ev = shot.evidence.get("geometry", {}) if isinstance(shot.evidence, dict) else {}
    return decide(tags, ev)
