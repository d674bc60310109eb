"""Per-frame global motion: KLT tracks, forward-backward check, RANSAC similarity.

For each consecutive frame pair the tracker fits ``x' = s·R(θ)·(x − c) + c + t`` about the
image centre (see reference/camera_motion.md §1). Tracks persist from frame to frame (corners
are re-detected only when too few survive), which is cheap and gives the chained tracks the
parallax test needs. Fallbacks: DIS optical flow on a grid when corners are scarce, then
phase correlation (translation only). Everything runs on the luma image the decoder hands
over (``FrameSpec.luma_width``), further reduced to ``work_width``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

METHOD_NONE, METHOD_KLT, METHOD_DIS, METHOD_PHASE = 0, 1, 2, 3
METHOD_NAMES = {METHOD_NONE: "none", METHOD_KLT: "klt", METHOD_DIS: "dis", METHOD_PHASE: "phase"}


_PICTURE_CHANGE = 0.15     # share of tracks surviving a frame pair below which the picture changed
_GUIDED_KEEP = 0.9         # share of tracks a guided short-pyramid pass keeps, else the full one


@dataclass(frozen=True)
class TrackerSettings:
    work_width: int = 640          # analysis width; px thresholds below are at 640 px
    max_points: int = 200
    redetect_below: float = 0.6    # re-detect when fewer than this share of max_points survive
    win: int = 11
    levels: int = 3                # pyramid levels of the forward pass without a guess
    guided_levels: int = 1         # ... when a constant-velocity guess seeds it (see _klt)
    back_levels: int = 1           # pyramid levels for the backward (checking) pass
    fb_max: float = 0.5            # forward-backward error limit, px at 640 wide
    ransac_px: float = 0.5
    min_inliers: int = 40
    min_inlier_ratio: float = 0.5
    quality: float = 0.005         # Shi-Tomasi quality level
    min_contrast: float = 1.0      # luma std below which a frame is "featureless"
    dim_contrast: float = 8.0      # below this std a dark or flat frame is stretched first


@dataclass
class PairMotion:
    """Motion from the previous frame to this one, in px of the working image."""

    dx: float = math.nan
    dy: float = math.nan
    log_s: float = math.nan
    theta_deg: float = math.nan     # image rotation, y down: > 0 turns content clockwise on screen
    confidence: float = 0.0
    method: int = METHOD_NONE
    inliers: int = 0
    inlier_ratio: float = 0.0
    residual: float = math.nan      # median inlier residual, px


def _decompose(m: np.ndarray, cx: float, cy: float) -> tuple[float, float, float, float]:
    a, b = float(m[0, 0]), float(m[1, 0])
    s = math.hypot(a, b)
    if not s > 0:
        return math.nan, math.nan, math.nan, math.nan
    tx = a * cx - b * cy + float(m[0, 2]) - cx
    ty = b * cx + a * cy + float(m[1, 2]) - cy
    return tx, ty, math.log(s), math.degrees(math.atan2(b, a))


def _fit(p0: np.ndarray, p1: np.ndarray, thresh: float):
    """RANSAC similarity; returns (2×3 matrix, inlier mask) or (None, None)."""
    if len(p0) < 6:
        return None, None
    m, inl = cv2.estimateAffinePartial2D(p0, p1, method=cv2.RANSAC, ransacReprojThreshold=thresh,
                                         maxIters=500, confidence=0.995, refineIters=10)
    if m is None or inl is None:
        return None, None
    return m, inl.ravel().astype(bool)


class FrameTracker:
    """Feed working-resolution luma frames in order; get a :class:`PairMotion` per frame.

    Live tracks are exposed as ``points`` (N×2, current frame) and ``anchors`` (N×2, position at
    the start of the current parallax window or NaN for tracks born later) so that
    :mod:`camtag.motion.parallax` can test chained tracks without keeping any image.
    """

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.s = settings or TrackerSettings()
        self._prev_img: np.ndarray | None = None
        self.points = np.empty((0, 2), np.float32)
        self.anchors = np.empty((0, 2), np.float32)
        self._last: PairMotion | None = None
        self._dis = None
        self.scale = 1.0                # working px per luma px
        self.unit = 1.0                 # working px per "640-wide" px
        self.contrast = 0.0             # luma std of the last frame (before any stretch)
        self.width = 0                  # working image size
        self.height = 0

    # -- public ------------------------------------------------------------------------------
    def reset(self) -> None:
        self._prev_img = None
        self.points = np.empty((0, 2), np.float32)
        self.anchors = np.empty((0, 2), np.float32)
        self._last = None

    def restart_window(self) -> None:
        """Begin a new parallax window at the current frame."""
        self.anchors = self.points.copy()

    def feed(self, luma: np.ndarray) -> PairMotion:
        img = self._prepare(luma)
        if self._prev_img is not None and self._prev_img.shape != img.shape:
            self.reset()            # the picture size changed mid-stream: nothing to compare
        # (OpenCV's Python binding cannot take prebuilt pyramids: LK builds them per call;
        # benchmarks/RESULTS.md "issue 21 IV" has what each pass costs)
        self._survived = 1.0
        if self._prev_img is None:
            result = PairMotion()
        else:
            result = self._estimate(img)
        if self._survived < _PICTURE_CHANGE:
            # almost no track survived: a cut or a flash. Start afresh, exactly as a run that
            # begins at this frame would (a resumed analysis then measures the same numbers)
            self.points, self.anchors, self._last = self.points[:0], self.anchors[:0], None
            self._redetect(img)
            self._prev_img = img
            return result
        self._redetect(img)
        self._prev_img = img
        self._last = result if result.method != METHOD_NONE else None
        return result

    # -- steps -------------------------------------------------------------------------------
    def _prepare(self, luma: np.ndarray) -> np.ndarray:
        h, w = luma.shape[:2]
        if w > self.s.work_width:
            out_h = max(8, round(h * self.s.work_width / w))
            self.scale = self.s.work_width / w
            luma = cv2.resize(luma, (self.s.work_width, out_h), interpolation=cv2.INTER_AREA)
        else:
            self.scale = 1.0
        self.height, self.width = luma.shape[:2]
        self.unit = self.width / 640.0
        self.contrast = float(luma[::4, ::4].std())
        if self.s.min_contrast <= self.contrast < self.s.dim_contrast:
            # low light / low texture: stretch the contrast (after a light blur against the
            # amplified sensor noise) so corners and flow see the picture that is there
            gain = min(10.0, 24.0 / self.contrast)
            soft = cv2.GaussianBlur(luma, (3, 3), 0).astype(np.float32)
            luma = np.clip((soft - float(soft.mean())) * gain + 128.0, 0, 255).astype(np.uint8)
        return luma

    def _estimate(self, img: np.ndarray) -> PairMotion:
        h, w = img.shape
        cx, cy = w / 2.0, h / 2.0
        if self.contrast < self.s.min_contrast:
            self.points = self.points[:0]
            self.anchors = self.anchors[:0]
            return PairMotion(method=METHOD_NONE)
        klt = self._klt(img, cx, cy)
        if klt is not None and klt.inliers >= self.s.min_inliers \
                and klt.inlier_ratio >= self.s.min_inlier_ratio:
            return klt
        # corners are scarce or disagree: dense flow, unless it is no better than the weak fit
        dis = self._dis_fit(img, cx, cy)
        if dis is not None and (klt is None or dis.confidence > klt.confidence):
            return dis
        if klt is not None:
            return klt
        return self._phase(img, cx, cy) or PairMotion()

    def _klt(self, img: np.ndarray, cx: float, cy: float) -> PairMotion | None:
        p0 = self.points
        if len(p0) < self.s.min_inliers:
            self.points, self.anchors = p0[:0], self.anchors[:0]
            return None
        guess, flags, levels = None, 0, self.s.levels
        if self._last is not None and self._last.confidence > 0.5:
            # constant-velocity prediction: it brings each track within a few px of its match,
            # so the pass needs the pyramid's reach only for the change of velocity (one level:
            # about ±10 px at 640 wide), not for the whole motion. Each level costs about as much
            # as the next (the per-track window work dominates, not the image size)
            m = _similarity_matrix(self._last, cx, cy)
            guess = (p0 @ m[:, :2].T + m[:, 2]).astype(np.float32)
            flags = cv2.OPTFLOW_USE_INITIAL_FLOW
            levels = self.s.guided_levels
        p1, good = self._track(img, p0, guess, flags, levels)
        if levels < self.s.levels and good.mean() < _GUIDED_KEEP:
            # the motion changed faster than the short pyramid reaches (a whip pan starting
            # after a still frame), or the picture is hard to track (flat cartoon areas): the
            # whole pyramid, exactly as before (on textured 1080p footage: 3 pairs in 624)
            p1, good = self._track(img, p0, guess, flags, self.s.levels)
        self._survived = float(good.mean()) if len(good) else 0.0
        self.points = p1[good]
        self.anchors = self.anchors[good]
        n_good = int(good.sum())
        if n_good < self.s.min_inliers // 3:
            return None
        m, inl = _fit(p0[good], p1[good], self.s.ransac_px * self.unit)
        if m is None or inl.mean() < self.s.min_inlier_ratio:
            # real lenses and rolling shutters bend the motion away from a similarity: allow
            # a looser fit (the residual term of the confidence pays for it)
            m2, inl2 = _fit(p0[good], p1[good], 3 * self.s.ransac_px * self.unit)
            if m2 is not None and (m is None or inl2.sum() > 1.5 * inl.sum()):
                m, inl = m2, inl2
        if m is None:
            return None
        n_inl = int(inl.sum())
        ratio = n_inl / max(1, len(p0))
        ratio_good = n_inl / n_good
        if n_inl < self.s.min_inliers // 3 or ratio_good < 0.25:
            return None
        pred = p0[good][inl] @ m[:, :2].T + m[:, 2]
        res = float(np.median(np.hypot(*(pred - p1[good][inl]).T)))
        dx, dy, ls, th = _decompose(m, cx, cy)
        conf = _confidence(n_inl, ratio_good, ratio, res / self.unit)
        return PairMotion(dx, dy, ls, th, conf, METHOD_KLT, n_inl, ratio_good, res)

    def _track(self, img: np.ndarray, p0: np.ndarray, guess, flags: int, levels: int):
        """Forward LK, then the backward check; returns the new positions and the good mask."""
        crit = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 20, 0.01)
        win = (self.s.win, self.s.win)
        p1, st, _ = cv2.calcOpticalFlowPyrLK(self._prev_img, img, p0, guess, winSize=win,
                                             maxLevel=levels, criteria=crit, flags=flags)
        # backward check starts at the original positions: a consistent track converges
        # at once, so a shallow pyramid suffices (and costs half as much)
        p0b, st2, _ = cv2.calcOpticalFlowPyrLK(img, self._prev_img, p1, p0.copy(), winSize=win,
                                               maxLevel=self.s.back_levels, criteria=crit,
                                               flags=cv2.OPTFLOW_USE_INITIAL_FLOW)
        fb = np.hypot(*(p0 - p0b).T)
        h, w = img.shape[:2]
        good = ((st.ravel() == 1) & (st2.ravel() == 1) & (fb < self.s.fb_max * self.unit)
                & (p1[:, 0] >= 0) & (p1[:, 1] >= 0) & (p1[:, 0] < w) & (p1[:, 1] < h))
        return p1, good

    def _dis_fit(self, img: np.ndarray, cx: float, cy: float) -> PairMotion | None:
        if self._prev_img is None or self._prev_img.shape != img.shape or min(img.shape) < 12:
            return None
        if self._dis is None:
            self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        flow = self._dis.calc(self._prev_img, img, None)
        h, w = img.shape
        step = max(4, int(8 * self.unit))
        ys, xs = np.mgrid[step // 2:h:step, step // 2:w:step]
        p0 = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
        f = flow[ys.ravel(), xs.ravel()]
        p1 = p0 + f
        # ignore flat cells: flow there is interpolated, not measured
        gx = cv2.Sobel(self._prev_img, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(self._prev_img, cv2.CV_32F, 0, 1, ksize=3)
        mag = cv2.boxFilter(np.abs(gx) + np.abs(gy), -1, (step, step))[ys.ravel(), xs.ravel()]
        keep = mag > max(4.0, float(np.percentile(mag, 40)))
        if keep.sum() < 30:
            return None
        m, inl = _fit(p0[keep], p1[keep], 1.0 * self.unit)
        if m is None or inl.sum() < 30 or inl.mean() < 0.4:
            return None
        dx, dy, ls, th = _decompose(m, cx, cy)
        pred = p0[keep][inl] @ m[:, :2].T + m[:, 2]
        res = float(np.median(np.hypot(*(pred - p1[keep][inl]).T)))
        conf = 0.8 * _confidence(int(inl.sum()), float(inl.mean()), float(inl.mean()), res / self.unit)
        return PairMotion(dx, dy, ls, th, conf, METHOD_DIS, int(inl.sum()), float(inl.mean()), res)

    def _phase(self, img: np.ndarray, cx: float, cy: float) -> PairMotion | None:
        if self._prev_img is None or self._prev_img.shape != img.shape:
            return None
        a = cv2.resize(self._prev_img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        b = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        win = cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F)
        (sx, sy), peak = cv2.phaseCorrelate(a.astype(np.float32), b.astype(np.float32), win)
        if not peak > 0.08:
            return None
        conf = float(min(0.35, 0.5 * peak))     # translation only; a big object can win
        return PairMotion(2 * sx, 2 * sy, 0.0, 0.0, conf, METHOD_PHASE, 0, 0.0, math.nan)

    def _redetect(self, img: np.ndarray) -> None:
        s = self.s
        if len(self.points) >= s.redetect_below * s.max_points:
            return
        h, w = img.shape
        min_dist = max(4, int(w / 40))
        mask = np.full((h, w), 255, np.uint8)
        border = max(4, int(8 * self.unit))
        mask[:border], mask[-border:], mask[:, :border], mask[:, -border:] = 0, 0, 0, 0
        for x, y in self.points.astype(int):
            cv2.circle(mask, (int(x), int(y)), min_dist, 0, -1)
        want = s.max_points - len(self.points)
        pts = _detect_spread(img, want, mask, min_dist, s.quality)
        if pts is None:
            return
        self.points = np.vstack([self.points, pts])
        self.anchors = np.vstack([self.anchors, np.full_like(pts, np.nan)])


def _detect_spread(img: np.ndarray, want: int, mask: np.ndarray, min_dist: int,
                   quality: float, grid: tuple[int, int] = (8, 5)) -> np.ndarray | None:
    """Shi-Tomasi corners spread over a grid: each cell gets its share of the strongest local
    maxima, so weakly textured regions still contribute and scale/roll stay well conditioned."""
    eig = cv2.cornerMinEigenVal(img, 5, 3)
    eig[mask == 0] = 0
    peak = eig >= cv2.dilate(eig, np.ones((2 * (min_dist // 2) + 1,) * 2, np.uint8))
    top = float(eig.max())
    if top <= 0:
        return None
    cand = peak & (eig > max(quality * top, 1e-6))
    ys, xs = np.nonzero(cand)
    if len(xs) == 0:
        return None
    vals = eig[ys, xs]
    h, w = img.shape
    gw, gh = grid
    cell = (ys * gh // h) * gw + (xs * gw // w)
    order = np.lexsort((-vals, cell))
    cell_sorted = cell[order]
    starts = np.searchsorted(cell_sorted, cell_sorted, side="left")
    rank = np.arange(len(order)) - starts
    per = max(1, -(-want // (gw * gh)))
    chosen = order[rank < per]
    if len(chosen) > want:
        chosen = chosen[np.argsort(-vals[chosen])[:want]]
    return np.stack([xs[chosen], ys[chosen]], 1).astype(np.float32)


def _similarity_matrix(p: PairMotion, cx: float, cy: float) -> np.ndarray:
    s = math.exp(p.log_s)
    th = math.radians(p.theta_deg)
    a, b = s * math.cos(th), s * math.sin(th)
    return np.array([[a, -b, cx + p.dx - (a * cx - b * cy)],
                     [b, a, cy + p.dy - (b * cx + a * cy)]], np.float32)


def _confidence(n_inl: int, ratio_good: float, ratio_all: float, residual: float) -> float:
    """0..1 from track count, inlier share and residual (px at 640 wide).

    Calibrated so that clean synthetic pairs score ~1, real footage with a consistent
    background (half the tracks on it, sub-pixel residual) ~0.5, and fits that a minority of
    tracks carry or that lost most tracks < 0.2."""
    count = min(1.0, n_inl / 80.0)
    share = min(1.0, max(0.0, (ratio_good - 0.15) / 0.5))
    survive = min(1.0, 0.6 + ratio_all)
    fit = 1.0 / (1.0 + (residual / 0.8) ** 2) if residual == residual else 0.5
    return float(max(0.0, min(1.0, (0.3 + 0.7 * count) * share * survive * (0.4 + 0.6 * fit))))
