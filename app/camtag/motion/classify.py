"""Tag rules: from measured numbers to taxonomy tags with a confidence and a reason.

Rotation/zoom is read straight from the similarity; translation (truck, pedestal, dolly) only
when the window test found parallax in enough of the stretch. Without parallax a sideways
move is reported as a pan with capped confidence, because a truck past a distant or flat
scene looks exactly the same (reference/camera_motion.md §4). Tracking and arcs are hints
with low confidence: geometry cannot know whether a subject is followed on purpose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from camtag.model import Segment, Tag, Trace
from camtag.motion.curves import MotionCurves
from camtag.motion.measure import Stats, Thresholds, measure, overall_speed, speed_words

__all__ = ["Finding", "ShotReading", "Thresholds", "label_stretch", "read_shot"]

MOVEMENT_TAGS = ("pan_left", "pan_right", "tilt_up", "tilt_down", "roll_cw", "roll_ccw", "zoom_in",
                 "zoom_out", "dolly_in", "dolly_out", "truck_left", "truck_right", "pedestal_up",
                 "pedestal_down")


@dataclass(frozen=True)
class Finding:
    tag: str
    confidence: float
    reason: str
    pair: str = ""                 # the primitive geometry could not rule out (pan ↔ truck, …)
    pair_confidence: float = 0.0
    pair_why: str = ""


@dataclass(frozen=True)
class ShotReading:
    tags: tuple[Tag, ...]
    segments: tuple[Segment, ...]
    trace: Trace
    evidence: dict


ARC_RATIO = 1.3     # keystone turn / background slide above which a sideways move with parallax is an arc
PAIR_SHARE = 0.5     # P(the other of a pair) relative to the one read, when geometry cannot tell


def _clip(x: float, lo: float = 0.05, hi: float = 0.97) -> float:
    return float(max(lo, min(hi, x)))


def _strength(total: float, limit: float, consistency: float, s: Stats) -> float:
    mag = min(1.0, abs(total) / (4 * limit))
    return (0.45 + 0.5 * mag) * (0.5 + 0.5 * consistency) * (0.4 + 0.6 * s.confidence)


def _w(x: float) -> str:
    pct = abs(x) * 100
    return f"{pct:.1f} % of the frame width" if pct >= 1 else f"{pct:.2f} % of the frame width"


def _axis(s: Stats, th: Thresholds, total: float, consistency: float, rot: tuple[str, str],
          trans: tuple[str, str], share_dir: float, trans_sign: float, what: str) -> list[Finding]:
    """Pan/truck (horizontal) or tilt/pedestal (vertical): positive total = rot[0]/trans[0]."""
    if abs(total) < th.move_total or abs(total) / max(1e-9, s.pairs / s.rate) < th.move_speed * 0.7:
        return []
    base = _strength(total, th.move_total, consistency, s)
    ratio = s.turn_ratio if what == "side" else math.nan
    framed = s.subject_still >= 0.3 and ratio == ratio and ratio >= 0.3
    if ratio == ratio and (ratio >= ARC_RATIO or framed) and s.translation >= 0.75 * th.translation_share:
        # the camera turned more than the background slid (or turned while holding the middle
        # of the frame still), and the background has parallax: it moved sideways the other
        # way while turning to keep the subject framed (an orbit)
        tag = "arc_cw" if total > 0 else "arc_ccw"
        conf = base * (0.7 + 0.25 * min(1.0, (ratio - 1.0) / 0.6)) * min(1.0, s.translation / 0.6)
        side = "left" if total > 0 else "right"
        return [Finding(tag, _clip(conf), f"the camera turned {rot[0 if total > 0 else 1][4:]} "
                                          f"({ratio:.1f}× the background's slide, from the keystone) "
                                          f"while {s.translation:.0%} of windows show depth parallax: "
                                          f"it moved {side} around the subject")]
    trans_share = s.translation * share_dir
    if trans_share >= th.translation_share and trans_sign == trans_sign:
        tag = trans[0] if trans_sign > 0 else trans[1]
        conf = base * (0.55 + 0.45 * min(1.0, trans_share / 0.8))
        agree = (trans_sign > 0) == (total > 0)
        reason = (f"content slid {_w(total)} and {trans_share:.0%} of windows show depth parallax "
                  f"with the focus of expansion to the {what}: the camera moves, not turns")
        if not agree:
            conf *= 0.6
            reason += "; the bulk motion disagrees with the parallax direction (arc or mixed move?)"
        return [Finding(tag, _clip(conf), reason)]
    tag = rot[0] if total > 0 else rot[1]
    flat = s.rigid + s.moving_object          # windows whose background fits one homography
    conf = base * (0.8 + 0.15 * min(1.0, flat))   # the pan-vs-truck doubt goes into the pair
    reason = (f"content moved {_w(total)} ({flat:.0%} of windows: near and far moved together, "
              f"as one flat picture")
    if s.moving_object >= 0.1:
        reason += f", a moving region set aside in {s.moving_object:.0%}"
    reason += ")"
    share = PAIR_SHARE
    if flat >= 0.6:
        reason += "; a move past a distant or flat scene would look the same"
        why = "the background gives no parallax"
    else:
        why = "too little clean parallax to tell turning from moving"
    if ratio == ratio and ratio < 0.15:
        share, why = 0.85, why + ", and the frame shows no keystone of a turn (a truck, or a pan on a long lens)"
    elif ratio == ratio and ratio >= 0.35:
        share, why = 0.3, why + f"; the keystone shows the camera turning ({ratio:.1f}× the slide)"
    conf = _clip(conf, hi=0.9)
    other = trans[0] if total > 0 else trans[1]
    return [Finding(tag, conf, reason, other, _clip(conf * share), why)]


def label_stretch(s: Stats, th: Thresholds) -> list[Finding]:
    """Movement findings for one stretch; ``[]`` means no movement above thresholds."""
    out: list[Finding] = []
    dir_x, dir_y, dir_z = s.trans_dir
    out += _axis(s, th, s.pan, s.pan_consistency, ("pan_right", "pan_left"),
                 ("truck_right", "truck_left"), s.lateral, dir_x, "side")
    out += _axis(s, th, s.tilt, s.tilt_consistency, ("tilt_up", "tilt_down"),
                 ("pedestal_up", "pedestal_down"), s.vertical, dir_y, "top or bottom")
    axial = s.translation * s.axial
    # a dolly moves the picture: without a real change of scale (a minimum movement, like every
    # translation tag) a few windows of "parallax" are noise, dither or a subject moving
    if axial >= th.translation_share and dir_z == dir_z and abs(s.zoom) >= 0.5 * th.zoom_total:
        conf = (0.5 + 0.45 * min(1.0, axial / 0.8)) * (0.4 + 0.6 * s.confidence)
        tag = "dolly_in" if dir_z > 0 else "dolly_out"
        out.append(Finding(tag, _clip(conf), f"{axial:.0%} of windows show parallax around a focus "
                                             f"of expansion inside the frame; scale changed "
                                             f"{s.zoom * 100:+.1f} %"))
    elif abs(s.zoom) >= th.zoom_total:
        conf = _strength(s.zoom, th.zoom_total, s.zoom_consistency, s) * (0.6 + 0.3 * s.rigid)
        tag = "zoom_in" if s.zoom > 0 else "zoom_out"
        conf = _clip(conf, hi=0.9)
        if s.rigid >= 0.6:
            reason = (f"image scale changed {s.zoom * 100:+.1f} % and {s.rigid:.0%} of windows "
                      f"grew evenly at every depth")
            why = "near and far grew alike, as with a zoom or a dolly past a flat or distant scene"
            share = 0.3          # a dolly into a scene with any depth shows parallax
        else:
            share = PAIR_SHARE
            reason = (f"image scale changed {s.zoom * 100:+.1f} %; parallax was too weak or too "
                      f"mixed ({axial:.0%} of windows) to call it a dolly")
            why = "too little clean parallax to tell a zoom from a dolly"
        other = "dolly_in" if s.zoom > 0 else "dolly_out"
        out.append(Finding(tag, conf, reason, other, _clip(conf * share), why))
    if abs(s.roll) >= th.roll_total:
        conf = _strength(s.roll, th.roll_total, s.roll_consistency, s) * (0.6 + 0.3 * s.rigid)
        tag = "roll_cw" if s.roll > 0 else "roll_ccw"
        out.append(Finding(tag, _clip(conf), f"the picture turned {abs(s.roll):.1f}° "
                                             f"{'counter-clockwise' if s.roll > 0 else 'clockwise'}"
                                             f", so the camera rolled the other way"))
    return _by_dominance(out, s)


def _size(tag: str, s: Stats) -> float:
    """How far the move shifts the frame's corners, in frame widths (comparable across axes)."""
    if tag.startswith(("pan", "truck")):
        return abs(s.pan)
    if tag.startswith(("tilt", "pedestal")):
        return abs(s.tilt)
    if tag.startswith(("zoom", "dolly")):
        return abs(s.zoom) * 0.6
    return abs(s.roll) * 0.0105          # degrees → radians × ~0.6 W half-diagonal


def _by_dominance(found: list[Finding], s: Stats) -> list[Finding]:
    """Scale confidences by each move's share of the motion, so the primary move ranks first."""
    if len(found) < 2:
        return found
    sizes = [_size(f.tag, s) for f in found]
    total = sum(sizes) or 1.0
    out = []
    for f, z in zip(found, sizes):
        k = 0.65 + 0.35 * z / total
        out.append(replace(f, confidence=_clip(f.confidence * k),
                           pair_confidence=_clip(f.pair_confidence * k) if f.pair else 0.0))
    return out


def steadiness(s: Stats, th: Thresholds, moving: bool) -> list[Finding]:
    found = _steadiness(s, th, moving)
    if s.shake_reliable:
        return found
    return [Finding(f.tag, _clip(f.confidence * 0.4), f.reason + " (few well-measured frames)")
            for f in found]


def _steadiness(s: Stats, th: Thresholds, moving: bool) -> list[Finding]:
    sh = s.shake
    q = 0.4 + 0.6 * s.confidence
    if not moving:
        if sh >= 2 * th.shake_handheld:
            return [Finding("handheld", _clip(q * min(1.0, sh / (3 * th.shake_handheld))),
                            f"no overall move but the frame shakes by {_w(sh)} RMS")]
        if sh >= th.shake_static:
            return [Finding("static_shake", _clip(q * (0.6 + 0.3 * min(1.0, sh / th.shake_handheld))),
                            f"no overall move; shake {_w(sh)} RMS")]
        margin = 1.0 - min(1.0, s.peak_speed / max(th.move_speed, 1e-9))
        why = f"background still: peak drift {s.peak_speed * 100:.2f} % W/s, shake {_w(sh)} RMS"
        if s.moving_object >= 0.1:
            why += f"; a region moving on its own ({s.moving_object:.0%} of windows) is not the camera"
        # CameraBench's static is "completely still without any shaking": shake just under the
        # threshold makes "still" less likely and "static with shake" more
        near = min(1.0, sh / th.shake_static) ** 2
        out = [Finding("static", _clip(q * (0.6 + 0.35 * margin) * (1.0 - 0.6 * near)), why)]
        if near >= 0.25:
            out.append(Finding("static_shake", _clip(q * 0.6 * near),
                               f"no overall move; shake {_w(sh)} RMS, close to visible shake"))
        return out
    if sh >= th.shake_handheld:
        # jitter from poorly fitted frames (few tracks, mixed motion) is not camera shake
        trust = min(1.0, s.coverage / 0.8) * (1.0 - 0.5 * s.ambiguous)
        why = f"shake {_w(sh)} RMS on top of the move"
        if trust < 0.8:
            why += f" (the fit is shaky itself: {s.coverage:.0%} of pairs measured)"
        return [Finding("handheld", _clip(q * trust * (0.55 + 0.4 * min(1.0, sh / (3 * th.shake_handheld)))),
                        why)]
    return [Finding("stable", _clip(q * (0.55 + 0.4 * (1 - sh / th.shake_handheld))),
                    f"smooth move, shake {_w(sh)} RMS")]


def speed(s: Stats, th: Thresholds) -> Finding:
    v = overall_speed(s)
    q = 0.35 + 0.5 * s.confidence
    if v < th.slow:
        return Finding("speed_slow", _clip(q * (0.6 + 0.4 * (1 - v / th.slow))),
                       speed_words(v))
    if v > th.fast:
        return Finding("speed_fast", _clip(q * (0.6 + 0.4 * min(1.0, v / th.fast - 1))),
                       speed_words(v))
    return Finding("speed_regular", _clip(q * 0.8), speed_words(v))


def hints(s: Stats, findings: list[Finding]) -> list[Finding]:
    out = []
    tags = {f.tag for f in findings}
    if s.subject_still >= 0.3 and tags & set(MOVEMENT_TAGS):
        out.append(Finding("track", _clip(0.15 + 0.3 * s.subject_still, hi=0.4),
                           "possible tracking: a compact region stays put in frame while the "
                           "background moves; whether a subject is followed is for the model"))
        lateral = tags & {"truck_left", "truck_right"}
        if lateral:
            arc = "arc_cw" if "truck_left" in lateral else "arc_ccw"
            out.append(Finding(arc, 0.2, "possible arc: sideways move while a subject stays "
                                         "centred; geometry cannot confirm an orbit"))
    return out


def read_shot(c: MotionCurves, th: Thresholds | None = None) -> ShotReading:
    """Tags, segments, trace and evidence for one shot's curves (``MotionCurves.slice``)."""
    from camtag.motion.segments import split
    from camtag.motion.trace import build_trace, evidence_dict

    th = th or Thresholds()
    whole = measure(c, th)
    if whole.pairs < 2 or whole.coverage < th.min_coverage:
        why = (f"not measurable: only {whole.coverage:.0%} of {whole.pairs} frame pairs could be "
               f"measured (too short, dark, flat, flashing or too fast)")
        tag = Tag("unknown", _clip(0.15 + 0.2 * (1 - whole.coverage), hi=0.35), "geometry", why)
        trace = build_trace(whole, [], [tag], why)
        seg = (Segment(c.start_frame, c.end_frame, ("unknown",), tag.confidence),) if c.frames else ()
        return ShotReading((tag,), seg, trace, evidence_dict(whole, []))
    parts = split(c, th)
    segments: list[Segment] = []
    per_tag: dict[str, list[tuple[Finding, int, int]]] = {}
    seg_stats = []
    for a, b in parts:
        sub = c.slice(c.start_frame + a, c.start_frame + b, own_shot=False)
        st = measure(sub, th)
        found = label_stretch(st, th)
        seg_stats.append((st, found))
        names = tuple(f.tag for f in found) or ("static",)
        conf = min((f.confidence for f in found), default=_clip(0.4 + 0.5 * st.confidence))
        if segments and segments[-1].tags == names:
            prev = segments.pop()
            segments.append(Segment(prev.start_frame, c.start_frame + b, names,
                                    min(prev.confidence, conf)))
        else:
            segments.append(Segment(c.start_frame + a, c.start_frame + b, names, conf))
        for f in found:
            per_tag.setdefault(f.tag, []).append((f, c.start_frame + a, c.start_frame + b))
    tags: list[Tag] = []
    pairs: list[dict] = []
    for name, items in per_tag.items():
        best = max(items, key=lambda it: it[0].confidence * (it[2] - it[1]))
        covered = sum(it[2] - it[1] for it in items)
        full = covered >= 0.9 * c.frames
        conf = best[0].confidence * (0.75 + 0.25 * min(1.0, covered / max(1, c.frames) * 2))
        start = None if full else min(it[1] for it in items)
        end = None if full else max(it[2] for it in items)
        tags.append(Tag(name, _clip(conf), "geometry", best[0].reason, start, end))
        f = best[0]
        if f.pair and f.pair not in per_tag:
            k = conf / max(f.confidence, 1e-9)
            pairs.append({"tags": [name, f.pair], "probabilities": [round(_clip(conf), 3),
                                                                    round(_clip(f.pair_confidence * k), 3)],
                          "why": f.pair_why})
            tags.append(Tag(f.pair, _clip(f.pair_confidence * k), "geometry",
                            f"or {name.replace('_', ' ')}: {f.pair_why}", start, end))
    moving = bool(tags)
    extra = steadiness(whole, th, moving)
    if moving:
        extra.append(speed(whole, th))
    extra += hints(whole, [Finding(t.id, t.confidence, t.reason) for t in tags])
    tags += [Tag(f.tag, f.confidence, "geometry", f.reason) for f in extra]
    tags.sort(key=lambda t: -t.confidence)
    trace = build_trace(whole, seg_stats, tags, "", pairs)
    return ShotReading(tuple(tags), tuple(segments), trace, evidence_dict(whole, segments, pairs))
