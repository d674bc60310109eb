"""Sub-shot segmentation: where the movement changes inside a shot.

Each frame gets a direction state from the smoothed curves, one sign per axis (pan, tilt,
zoom, roll; 0 below the movement thresholds). Runs of equal state shorter than
``min_segment_s`` are dissolved: at either end of the shot into their neighbour, in the middle
split between both neighbours (a transition from one move to the next), so a brief wobble does
not split a move. The tag rules then label each remaining stretch on its own.
"""

from __future__ import annotations

import numpy as np

from camtag.motion.curves import MotionCurves
from camtag.motion.measure import Thresholds


def frame_states(c: MotionCurves, th: Thresholds) -> np.ndarray:
    """n × 4 int8 signs (pan, tilt, zoom, roll); unmeasured frames copy their neighbour."""
    rate = float(c.rate) if c.rate else 25.0
    sm = c.smoothed()
    limits = (th.move_speed, th.move_speed, th.zoom_speed, th.roll_speed)
    cols = []
    known = np.zeros(c.frames, bool)
    for name, lim in zip(("pan", "tilt", "zoom", "roll"), limits):
        v = sm[name] * rate
        ok = np.isfinite(v)
        known |= ok
        cols.append(np.where(ok & (np.abs(v) >= lim), np.sign(np.nan_to_num(v)), 0).astype(np.int8))
    states = np.stack(cols, axis=1)
    if known.any() and not known.all():
        idx = np.where(known, np.arange(c.frames), 0)
        np.maximum.accumulate(idx, out=idx)
        first = int(np.argmax(known))
        idx[:first] = first
        states = states[idx]
    return states


def _runs(states: np.ndarray) -> list[list]:
    runs: list[list] = []
    for i, s in enumerate(map(tuple, states)):
        if runs and runs[-1][2] == s:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, s])
    return runs


def split(c: MotionCurves, th: Thresholds) -> list[tuple[int, int]]:
    """Offsets ``[(a, b), …]`` covering ``[0, c.frames)`` in order."""
    n = c.frames
    if n == 0:
        return []
    rate = float(c.rate) if c.rate else 25.0
    min_len = max(6, int(round(th.min_segment_s * rate)))
    runs = _runs(frame_states(c, th))
    while len(runs) > 1:
        lengths = [r[1] - r[0] for r in runs]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_len:
            break
        if i == 0:
            runs[1][0] = runs[0][0]
            del runs[0]
        elif i == len(runs) - 1:
            runs[i - 1][1] = runs[i][1]
            del runs[i]
        else:
            # a short run between two others is a transition: split it at its middle
            mid = (runs[i][0] + runs[i][1]) // 2
            runs[i - 1][1] = mid
            runs[i + 1][0] = mid
            del runs[i]
        # neighbours that now share a state become one run
        merged: list[list] = []
        for r in runs:
            if merged and merged[-1][2] == r[2]:
                merged[-1][1] = r[1]
            else:
                merged.append(r)
        runs = merged
    return [(r[0], r[1]) for r in runs]
