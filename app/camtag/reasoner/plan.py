"""Which questions to ask about a shot: CameraBench's binary questions, all known up front.

CamReasoner was trained and evaluated on CameraBench's binary primitive questions, asked one
at a time, so every question here is one of those 15, verbatim. The frames are prefilled once
per shot and each question branches from that state, so a question costs only its own ~150
text tokens plus the answer; the questions do not depend on each other.

- ``plan`` (default): every primitive the geometric engine proposed (any confidence), each
  one's confusable twins (pan<->truck, tilt<->pedestal, zoom<->dolly, roll cw<->ccw and the
  opposite direction for in/out: zoom in<->out, dolly in<->out), and "Static?".
- ``thorough``: all 15, in CameraBench order.

The old 15-option "dominant movement" question (texts invented by camtag, never seen by the
model) is not in any default plan; ``settings["experimental_dominant"]`` adds it first,
labelled experimental in the trace.
"""

from __future__ import annotations

from camtag.model import Shot
from camtag.reasoner import prompts
from camtag.reasoner.prompts import Question

MODES = ("plan", "thorough")
CONFIDENT = 0.75
DEFAULT_MAX_QUESTIONS = 15        # kept for callers of the old API: the plan is no longer capped

TWINS = {  # rotation/zoom vs translation with the same image motion (CameraBench: "move upward
    # (not tilting up)"); the old table paired tilt up with pedestal *down*, which is the wrong way
    "pan_left": "truck_left", "pan_right": "truck_right", "tilt_up": "pedestal_up",
    "tilt_down": "pedestal_down", "zoom_in": "dolly_in", "zoom_out": "dolly_out",
}
TWINS.update({v: k for k, v in list(TWINS.items())})
CONFUSABLE: dict[str, tuple[str, ...]] = {t: (TWINS[t],) for t in TWINS}
CONFUSABLE.update({"roll_cw": ("roll_ccw",), "roll_ccw": ("roll_cw",),
                   "zoom_in": ("dolly_in", "zoom_out"), "zoom_out": ("dolly_out", "zoom_in"),
                   "dolly_in": ("zoom_in", "dolly_out"), "dolly_out": ("zoom_out", "dolly_in")})
ORDER = {p.tag: i for i, p in enumerate(prompts.PRIMITIVES)}


def geometry_primitives(shot: Shot) -> dict[str, float]:
    """Primitive tag id -> the geometric engine's confidence (highest if repeated)."""
    out: dict[str, float] = {}
    for tag in shot.tags:
        if tag.source == "geometry" and tag.id in prompts.BY_TAG:
            out[tag.id] = max(out.get(tag.id, 0.0), float(tag.confidence or 0.0))
    return out


def plan_tags(shot: Shot, mode: str = "plan") -> list[str]:
    """Primitive tag ids to ask about, in CameraBench order."""
    if mode not in MODES:
        raise ValueError(f"unknown question mode {mode!r} (use {' or '.join(MODES)})")
    if mode == "thorough":
        return [p.tag for p in prompts.PRIMITIVES]
    wanted = {"static"}
    for tag in geometry_primitives(shot):
        wanted.add(tag)
        wanted.update(CONFUSABLE.get(tag, ()))
    return sorted(wanted, key=ORDER.__getitem__)


def questions(shot: Shot, mode: str = "plan", *, experimental_dominant: bool = False) -> list[Question]:
    """The shot's questions, independent of each other, all asked from the same frames."""
    out = [prompts.binary(prompts.BY_TAG[t].split) for t in plan_tags(shot, mode)]
    if experimental_dominant:
        out.insert(0, prompts.dominant())
    return out
