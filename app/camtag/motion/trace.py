"""The evidence trace: observation / reasoning / answer text built from the measurements,
in the same three-part shape as CamReasoner's output so the app shows one kind of panel."""

from __future__ import annotations

import math

from camtag.model import Segment, Tag, Trace
from camtag.motion.measure import Stats, overall_speed, speed_words


def _pct(x: float) -> str:
    return f"{abs(x) * 100:.1f} %"


def _dir(x: float, pos: str, neg: str) -> str:
    return pos if x > 0 else neg


def observation(s: Stats, tags=()) -> str:
    secs = s.pairs / s.rate if s.rate else 0.0
    parts = [f"Over {s.end - s.start} frames ({secs:.1f} s), {s.coverage:.0%} of frame pairs were "
             f"measured (mean fit confidence {s.confidence:.2f}"
             + (f", dense-flow fallback on {s.methods['dis']:.0%}" if s.methods.get("dis") else "")
             + (f", phase correlation on {s.methods['phase']:.0%}" if s.methods.get("phase") else "")
             + ")."]
    if s.coverage > 0:
        # content moves opposite to the camera: pan > 0 means content moved left
        parts.append(f"The image content moved {_pct(s.pan)} of the frame width "
                     f"{_dir(s.pan, 'to the left', 'to the right')} and {_pct(s.tilt)} "
                     f"{_dir(s.tilt, 'down', 'up')}; scale changed {s.zoom * 100:+.1f} % and the "
                     f"image turned {abs(s.roll):.1f}° "
                     f"{_dir(s.roll, 'counter-clockwise', 'clockwise')}.")
        v = overall_speed(s)
        parts.append(f"Typical speed {speed_words(v)}; shake "
                     f"{s.shake * 100:.2f} % of the width RMS.")
    if s.windows:
        fam = (f"in {s.rigid:.0%} near and far moved together (a turn or zoom), "
               f"{s.translation:.0%} show depth parallax (the camera travelling), "
               f"{s.moving_object:.0%} a region moving on its own, {s.ambiguous:.0%} unclear")
        parts.append(f"Of the quarter-second windows, {fam}"
                     + (f"; a median {s.offh:.0%} of tracked points did not move with the rest"
                        if s.offh == s.offh else "")
                     + ".")
        if s.turn_ratio == s.turn_ratio:
            pm = f" (± {s.turn_spread:.1f})" if s.turn_spread == s.turn_spread else ""
            parts.append(f"The frame's keystone puts the camera's turn at {s.turn_ratio:.1f}×{pm} "
                         f"the sideways slide (1 for a pan, 0 for a truck, above 1 for an arc).")
        arc = any(t.id.startswith("arc_") and t.confidence >= 0.5 for t in tags)
        if s.translation > 0 and arc:
            parts.append("The parallax is sideways; with the camera turning, the turn sets which "
                         "way it travelled.")
        elif s.translation > 0 and not math.isnan(s.trans_dir[0]):
            x, y, z = s.trans_dir
            parts.append(f"The parallax points the camera's travel {x:+.2f} right, {y:+.2f} up and "
                         f"{z:+.2f} forward.")
    return " ".join(parts)


def reasoning(s: Stats, segs: list, tags: list[Tag], failure: str, pairs=()) -> str:
    if failure:
        return (f"{failure[0].upper()}{failure[1:]}, so the geometry cannot say how the camera "
                f"moved; answering unknown rather than guessing.")
    lines = ["Content moving one way means the camera turned or moved the other way."]
    for t in tags:
        if t.reason:
            span = "" if t.start_frame is None else f" (frames {t.start_frame}–{t.end_frame - 1})"
            lines.append(f"{t.id.replace('_', ' ')}{span}: {t.reason}.")
    moving = [seg for seg in segs if seg[1]]
    if len(segs) > 1 and moving:
        order = []
        for st, found in segs:
            names = " + ".join(f.tag.replace("_", " ") for f in found) or "static"
            order.append(f"{names} {st.start}–{st.end - 1}")
        lines.append("Movement changes inside the shot: " + ", then ".join(order) + ".")
    for p in pairs:
        a, b = p["tags"]
        pa, pb = p["probabilities"]
        lines.append(f"Cannot tell {a.replace('_', ' ')} ({pa:.2f}) from {b.replace('_', ' ')} "
                     f"({pb:.2f}): {p['why']}.")
    return " ".join(lines)


def answer(tags: list[Tag]) -> str:
    return ", ".join(f"{t.id} ({t.confidence:.2f})" for t in tags)


def build_trace(s: Stats, segs: list, tags: list[Tag], failure: str, pairs=()) -> Trace:
    return Trace(observation=observation(s, tags), reasoning=reasoning(s, segs, tags, failure, pairs),
                 answer=answer(tags), source="geometry")


def evidence_dict(s: Stats, segments: list[Segment], pairs=()) -> dict:
    def r(x: float, k: int = 5):
        return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else round(x, k)

    return {
        "frames": s.end - s.start, "coverage": r(s.coverage, 3), "confidence": r(s.confidence, 3),
        "pan_w": r(s.pan), "tilt_w": r(s.tilt), "zoom_log": r(s.zoom), "roll_deg": r(s.roll, 3),
        "speed_w_per_s": r(s.speed), "shake_w": r(s.shake, 6),
        "windows": {"frames": s.windows, "rotation_zoom": r(s.rigid, 3),
                    "translation": r(s.translation, 3), "moving_object": r(s.moving_object, 3),
                    "ambiguous": r(s.ambiguous, 3), "subject_still": r(s.subject_still, 3),
                    "off_homography": r(s.offh, 3)},
        "translation_dir": [r(v, 3) for v in s.trans_dir],
        "methods": {k: r(v, 3) for k, v in s.methods.items()},
        "segments": len(segments),
        "pairs": [dict(p) for p in pairs],
    }
