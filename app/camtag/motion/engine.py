"""The geometric motion engine: a frame consumer that keeps per-frame numbers only.

``consume`` may run on a worker thread (``camtag.consumers.ThreadedConsumer``) while the
pipeline calls ``tag_shot`` from its own thread once ``frames_done() >= shot.end_frame``; a lock
guards the per-frame columns. Memory stays flat: no image is kept beyond the previous luma
frame inside the tracker, and the per-frame record is a few dozen bytes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from fractions import Fraction

import numpy as np

from camtag.media.decode import AnalysisFrame, FrameSpec
from camtag.model import MediaInfo, Shot
from camtag.motion.classify import read_shot
from camtag.motion.measure import Thresholds
from camtag.motion.curves import CODES, EVIDENCE, MOTION, MotionCurves
from camtag.motion.parallax import FAMILY_TRANSLATION, analyse_window
from camtag.motion.tracker import METHOD_NONE, FrameTracker, TrackerSettings


@dataclass(frozen=True)
class EngineSettings:
    luma_width: int = 640          # decoder luma width (the working resolution)
    max_points: int = 200
    window: int = 6                # frames per parallax window
    thresholds: Thresholds = Thresholds()

    @classmethod
    def from_dict(cls, d: dict | None) -> "EngineSettings":
        d = dict(d or {})
        th = d.pop("thresholds", None) or {}
        known = {f.name for f in fields(cls)} - {"thresholds"}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown motion settings: {', '.join(sorted(unknown))}")
        known_th = {f.name for f in fields(Thresholds)}
        bad = set(th) - known_th
        if bad:
            raise ValueError(f"unknown motion thresholds: {', '.join(sorted(bad))}")
        return cls(**d, thresholds=Thresholds(**th))


class _Columns:
    """Growable per-frame arrays (amortised doubling)."""

    def __init__(self) -> None:
        self.n = 0
        self.cap = 1024
        self.data = {k: np.full(self.cap, np.nan, np.float32) for k in (*MOTION, *EVIDENCE)}
        self.data.update({k: np.zeros(self.cap, np.uint8) for k in CODES})

    def append_blank(self) -> int:
        if self.n == self.cap:
            self.cap *= 2
            for k, a in self.data.items():
                fill = np.nan if a.dtype.kind == "f" else 0
                b = np.full(self.cap, fill, a.dtype)
                b[: self.n] = a[: self.n]
                self.data[k] = b
        self.n += 1
        return self.n - 1

    def view(self) -> dict[str, np.ndarray]:
        return {k: a[: self.n] for k, a in self.data.items()}


class MotionEngine:
    NAME = "motion"

    def __init__(self, media: MediaInfo, settings: dict | None = None) -> None:
        self.media = media
        self.settings = EngineSettings.from_dict(settings)
        self.spec = FrameSpec(small_size=None, luma_width=self.settings.luma_width)
        self.rate = Fraction(media.rate) if media.rate else Fraction(25)
        self._tracker = FrameTracker(TrackerSettings(work_width=self.settings.luma_width,
                                                     max_points=self.settings.max_points))
        self._cols = _Columns()
        self._lock = threading.Lock()
        self._done = 0
        self._start: int | None = None
        self._last: int | None = None
        self._win_start: int | None = None
        self._win_scale = 0.0
        self._breaks: set[int] = set()
        self._issued: list[MotionCurves] = []
        self._width = self.settings.luma_width
        self._rotation = int(media.rotation or 0) % 360
        self._quarter = self._rotation in (90, 270)

    # -- FrameConsumer -------------------------------------------------------------------------
    def consume(self, frame: AnalysisFrame) -> None:
        idx = frame.index
        with self._lock:
            if self._start is None:
                self._start = idx
            elif self._last is not None and idx != self._last + 1:
                if idx <= self._last:
                    return                                   # repeated frame: ignore
                for _ in range(idx - self._last - 1):        # gap (skipped data): blanks
                    self._cols.append_blank()
                self._tracker.reset()
                self._win_start = None
            row = self._cols.append_blank()
        if frame.luma is None or frame.stand_in:   # (a stand-in's motion is unknown, not 0;
            self._tracker.reset()                  # the next frame starts afresh, so the
            self._finish_frame(idx, row, None)     # frames lost are not one frame's jump)
            return
        pm = self._tracker.feed(frame.luma)
        self._finish_frame(idx, row, pm)

    def _finish_frame(self, idx: int, row: int, pm) -> None:
        t = self._tracker
        with self._lock:
            d = self._cols.data
            if pm is not None and pm.method != METHOD_NONE:
                dx, dy = self._to_display(pm.dx, pm.dy)
                w = max(1.0, t.height if self._quarter else t.width)   # display width
                d["pan"][row] = -dx / w
                d["tilt"][row] = dy / w
                d["roll"][row] = -pm.theta_deg
                d["zoom"][row] = pm.log_s
                d["confidence"][row] = pm.confidence
                d["inliers"][row] = pm.inliers
                d["method"][row] = pm.method
                self._width = int(t.height if self._quarter else t.width)
            else:
                d["confidence"][row] = 0.0
            self._window_step(idx, row, pm)
            self._last = idx
            self._done = idx + 1

    def _window_step(self, idx: int, row: int, pm) -> None:
        t = self._tracker
        k = self.settings.window
        broken = pm is None or pm.method == METHOD_NONE or pm.confidence < 0.2
        if self._win_start is None or broken:
            self._win_start, self._win_scale = idx, 0.0
            t.restart_window()
            return
        if pm.log_s == pm.log_s:
            self._win_scale += pm.log_s
        if idx - self._win_start < k:
            return
        ok = np.isfinite(t.anchors[:, 0]) if len(t.anchors) else np.zeros(0, bool)
        ev = analyse_window(t.anchors[ok], t.points[ok], self._win_start, idx, int(t.width),
                            int(t.height), self._win_scale)
        a = row - (idx - self._win_start) + 1
        d = self._cols.data
        d["family"][a:row + 1] = ev.family
        d["offh"][a:row + 1] = ev.off
        d["parallax"][a:row + 1] = ev.parallax
        d["subject"][a:row + 1] = 1 if ev.subject_still else 0
        if ev.turn == ev.turn:                                  # per frame, frame widths, + = right
            d["turn"][a:row + 1] = ev.turn / max(1, idx - self._win_start) / max(1.0, float(t.width))
        if ev.family == FAMILY_TRANSLATION:
            tx, ty, tz = ev.direction
            tx, ty_down = self._to_display(tx, -ty)
            d["trans_x"][a:row + 1], d["trans_y"][a:row + 1], d["trans_z"][a:row + 1] = tx, -ty_down, tz
        self._win_start, self._win_scale = idx, 0.0
        t.restart_window()

    def _to_display(self, x: float, y: float) -> tuple[float, float]:
        """Rotate an image-space vector (y down) from stored to display orientation."""
        r = self._rotation
        if r == 90:            # shown turned 90° counter-clockwise: right becomes up
            return y, -x
        if r == 180:
            return -x, -y
        if r == 270:
            return -y, x
        return x, y

    def frames_done(self) -> int:
        return self._done

    @property
    def lag(self) -> int:
        """Frames past a shot's end the engine must see before ``tag_shot``: the parallax window
        that covers the shot's last frames completes that many frames later. Waiting for it makes
        the tags independent of how far ahead the engine's thread happens to be."""
        return self.settings.window + 1

    # -- results -------------------------------------------------------------------------------
    def curves(self, first: int | None = None, end: int | None = None) -> MotionCurves:
        """A snapshot of everything measured so far (of frames [first, end) when given)."""
        with self._lock:
            base = self._start or 0
            lo = 0 if first is None else max(0, min(self._cols.n, first - base))
            hi = self._cols.n if end is None else max(lo, min(self._cols.n, end - base))
            view = {k: np.array(v[lo:hi]) for k, v in self._cols.view().items()}
            start = base + lo
            breaks = tuple(sorted(b for b in self._breaks if b > start))
            width = self._width
        return MotionCurves(start, self.rate, view, breaks, width)

    def tag_shot(self, shot: Shot) -> Shot:
        with self._lock:
            start = self._start if self._start is not None else shot.start_frame
            a = max(0, shot.start_frame - start)
            b = max(a, min(self._cols.n, shot.end_frame - start))
            arrays = {k: np.array(v[a:b]) for k, v in self._cols.view().items()}
            width = self._width
            self._breaks.add(shot.start_frame)
            for issued in self._issued:      # curves handed out by an earlier finish()
                issued.add_break(shot.start_frame)
        c = MotionCurves(start + a, self.rate, arrays, (), width)
        c = c.slice(shot.start_frame, shot.end_frame)          # blank the cut-crossing entry
        reading = read_shot(c, self.settings.thresholds)
        tags = tuple(t for t in shot.tags if t.source != "geometry") + reading.tags
        traces = tuple(t for t in shot.traces if t.source != "geometry") + (reading.trace,)
        evidence = {**shot.evidence, "geometry": reading.evidence}
        return shot.with_(tags=tags, segments=reading.segments, traces=traces, evidence=evidence)

    def finish(self) -> MotionCurves:
        """Whole-media curves. Shots tagged after this call still add their start as a break
        to the returned object (the pipeline finishes the worker before tagging the last shots)."""
        curves = self.curves()
        with self._lock:
            self._issued = [curves]
        return curves


def create_engine(media: MediaInfo, settings: dict | None = None) -> MotionEngine:
    return MotionEngine(media, settings)

