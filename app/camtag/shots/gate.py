"""The fused detector's gate: which 100-frame windows TransNetV2 looks at.

A window is worth a look when the classical detector saw a gradual change in it whose middle
looks like a mix of its ends (a dissolve or fade, possibly over movement) and camera movement does
not explain that change. Movement is measured by moving the first thumbnail of the change onto
the last (dense optical flow) and asking how much of the change is left.

That residual is taken at a coarser scale than the thumbnail (a Gaussian blur): detail near the
thumbnail's pixel (fine texture, grain, aliasing of a 4K picture shrunk to 128 px) does not
survive a sub-pixel move and re-sampling, so at full thumbnail resolution a textured tilt left
0.57 of its change "unexplained"; a dissolve's or fade's other picture (or black) is as far away
at the coarse scale as at the fine one. The residual's worst part is trimmed (parallax,
occlusions and the border a move brings in are local; a mix is everywhere). The gate before
(one similarity from sparse tracking, mean residual at the thumbnail's scale) opened on a slow
textured tilt and a slow dolly's parallax (benchmarks/gate.py).
"""

from __future__ import annotations

import cv2
import numpy as np

MIX_GATE = 0.2       # a frame whose middle is this close to a blend of the change's ends
MOVED_MAX = 0.5      # share of the change that movement must explain
BLUR = 1.5           # sigma (thumbnail px) of the scale the residual is measured at
TRIM = 0.9           # the residual's quantile kept (the worst 10 % are dropped)


def farneback_flow(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Dense flow from ``dst`` to ``src`` (Farnebäck, 3 levels)."""
    return cv2.calcOpticalFlowFarneback(dst, src, None, 0.5, 3, 9, 3, 5, 1.1, 0)


def unexplained_part(src: np.ndarray, dst: np.ndarray, blur: float = BLUR,
                     trim: float = TRIM, flow_fn=farneback_flow) -> float:
    """How much of the change from ``src`` to ``dst`` (grey thumbnails) is left once ``src`` is
    moved onto ``dst`` by dense optical flow (Farnebäck): 0 all explained, 1 none. Dense flow
    follows parallax (a dolly's near posts move faster than the far wall) and local movement,
    which one global similarity cannot; it cannot make the other picture of a dissolve, or
    black, out of the first one. ``flow_fn(dst, src)``: the dense flow (benchmarks/gate.py
    compares DIS: at its fast preset, 12× cheaper, a slow dolly's parallax read 0.49 against
    the 0.5 limit; at medium, half the cost and a thinner margin than Farnebäck's)."""
    flow = flow_fn(dst, src)
    h, w = dst.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    a, b = src.astype(np.float32), dst.astype(np.float32)
    if blur > 0:
        a = cv2.GaussianBlur(a, (0, 0), blur)
        b = cv2.GaussianBlur(b, (0, 0), blur)
    moved = cv2.remap(a, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REPLICATE)
    inner = (slice(4, -4), slice(4, -4))        # the border a move brings in is nobody's
    left = np.abs(moved - b)[inner].ravel()
    span = np.abs(b - a)[inner].ravel()
    if trim < 1.0:
        keep = left <= float(np.quantile(left, trim))
        left, span = left[keep], span[keep]
    total = float(span.mean()) if span.size else 0.0
    return 1.0 if total <= 0 else min(1.0, float(left.mean()) / total)


class MixGate:
    """Answers :meth:`opens` for the windows of ``adaptive`` (an AdaptiveDetector) whose frames
    were also handed to :meth:`add`. Pictures and answers are kept for 600 frames."""

    def __init__(self, adaptive, measure=unexplained_part, limit: float = MOVED_MAX) -> None:
        """``measure(src, dst)``: the unexplained share of a change (benchmarks compare others)."""
        self.adaptive = adaptive
        self.measure, self.limit = measure, limit
        self.grays: dict[int, np.ndarray] = {}
        self._unexplained: dict[int, float] = {}
        self.measured = 0                     # residuals computed (benchmarks, tests)

    def add(self, index: int, small: np.ndarray) -> None:
        self.grays[index] = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        self.grays.pop(index - 600, None)
        self._unexplained.pop(index - 600, None)

    def opens(self, first: int, last: int) -> bool:
        """True when frames [first, last) hold a gradual change that looks like a mix and that
        movement does not explain. Steady camera movement over smooth pictures also has middles
        close to a blend of its ends; static, cut-only and camera-movement stretches cost
        nothing. A neighbour of an explained frame counts as explained: a dissolve or fade lasts
        many frames, so frames inside it are still asked."""
        active = self.adaptive.active
        mixes = sorted((active[f], f) for f in range(first, last) if active.get(f, 9.0) <= MIX_GATE)
        explained_near: set[int] = set()
        for _, f in mixes:
            if f in explained_near:
                continue
            if self.unexplained(f) >= self.limit:
                return True
            explained_near.update((f - 1, f + 1))
        return False

    def unexplained(self, t: int) -> float:
        """The unexplained share of the most blend-like change ending at ``t`` (remembered:
        TransNetV2's windows overlap, so most frames are asked twice)."""
        part = self._unexplained.get(t)
        if part is None:
            length = self.adaptive.active_length.get(t)
            a = self.grays.get(t - length) if length is not None else None
            b = self.grays.get(t)
            if a is None or b is None:
                part = 1.0
            else:
                part = self.measure(a, b)
                self.measured += 1
            self._unexplained[t] = part
        return part
