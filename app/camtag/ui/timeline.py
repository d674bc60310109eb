"""The motion timeline (pyqtgraph): pan/tilt/zoom/roll per frame over the whole media.

Curves are the smoothed per-second rates (pan/tilt in % of the frame width, zoom in % scale,
roll in degrees). Shot boundaries are one line item, sub-shot segments one image strip in a lane
under the curves (coloured by the taxonomy), so thousands of shots stay cheap. Curves use
peak downsampling and clip-to-view, which keeps a two-hour file (≈200k samples per curve) smooth.
The playhead follows the player; dragging it, or clicking the plot, seeks. Wheel zooms time,
drag pans; the axis is labelled in source timecode.
"""

from __future__ import annotations

from bisect import bisect_right
from html import escape
from typing import Callable, Optional, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

CURVES = (("pan", "#54a0ff", "pan %/s"), ("tilt", "#1dd1a1", "tilt %/s"),
          ("zoom", "#ff9f43", "zoom %/s"), ("roll", "#c56cf0", "roll °/s"))
LANE_COLUMNS = 16384
SCALE = {"pan": 100.0, "tilt": 100.0, "zoom": 100.0, "roll": 1.0}


def frame_steps(fps: int) -> list[int]:
    """Tick steps under a second that land on the same frames every second (24 fps: 1, 2, 3, 4,
    6, 8, 12; 25 fps: 1, 5; 30 fps: 1, 2, 3, 5, 6, 10, 15), not multiples of 5 frames."""
    return [d for d in range(1, fps) if fps % d == 0] if fps > 1 else [1]


class TimecodeAxis(pg.AxisItem):
    """Frame-numbered axis labelled in timecode, with ticks on whole timecode seconds."""

    SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.formatter: Optional[Callable[[int], str]] = None
        self.fps = 0                       # frames per timecode second (nominal)
        self.start_frame = 0               # start timecode as a frame count

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        span = maxVal - minVal
        if not self.fps or span <= 0 or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        want = span / max(1.0, size / 110.0)           # about 110 px between labels
        steps = frame_steps(self.fps) + [self.fps * s for s in self.SECONDS]
        major = next((st for st in steps if st >= want), steps[-1])
        minor = next((st for st in reversed(steps) if st < major and major % st == 0
                      and major // st <= 6), 1)
        offset = (-self.start_frame) % major
        return [(major, offset), (minor, (-self.start_frame) % minor)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        if self.formatter is None:
            return super().tickStrings(values, scale, spacing)
        return [self.formatter(int(round(v))) if v >= 0 else "" for v in values]


class MotionTimeline(QWidget):
    seek_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False, background="#15171b", foreground="#aab2bf")
        self.axis = TimecodeAxis(orientation="bottom")
        self.plot = pg.PlotWidget(self, axisItems={"bottom": self.axis})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.plot.setLabel("left", "motion / s")
        self.vb = self.plot.getViewBox()
        self.vb.setMouseEnabled(x=True, y=False)
        self.vb.disableAutoRange(axis=pg.ViewBox.YAxis)
        # PlotItem applies its own modes to every item it adds: set them here, not per item
        self.plot.getPlotItem().setDownsampling(auto=True, mode="peak")
        self.plot.getPlotItem().setClipToView(True)
        self.legend = self.plot.addLegend(offset=(6, 4), colCount=4, labelTextSize="8pt")
        self.items: dict[str, pg.PlotDataItem] = {}
        for name, color, label in CURVES:
            item = pg.PlotDataItem(pen=pg.mkPen(color, width=1), name=label, connect="finite",
                                   autoDownsampleFactor=1.0)    # about 2 points per pixel
            self.plot.addItem(item)
            self.items[name] = item
        self.boundaries = pg.PlotCurveItem(pen=pg.mkPen(224, 224, 224, 110, width=1),
                                           connect="pairs")      # solid: dashes paint slowly
        self.vb.addItem(self.boundaries, ignoreBounds=True)   # not a PlotItem curve: no downsampling
        self.lane = pg.ImageItem(axisOrder="row-major")   # (col-major fails for 1-row images)
        self.lane.setZValue(-10)
        self.lane.hide()
        self.plot.addItem(self.lane, ignoreBounds=True)
        self._segments: list = []
        self._bands: tuple[list, list, list] = ([], [], [])     # starts, ends, tooltips
        self.lane_y = (0.0, 0.0)
        self.plot.scene().sigMouseMoved.connect(self._hovered)
        self.key = QLabel(self)                 # colour key of the bands: ■ Pan Right  ■ Static …
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.key.setToolTip("Colour key of the movement bands under the curves (hover a band for "
                            "its range and confidence)")
        self.key.setStyleSheet("font-size: 8pt; color: #aab2bf; padding-left: 4px")
        self.key.hide()
        self.marks = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(84, 160, 255, 40),
                                         pen=pg.mkPen("#54a0ff"))
        self.marks.setZValue(-5)
        self.marks.hide()
        self.plot.addItem(self.marks, ignoreBounds=True)
        self.playhead = pg.InfiniteLine(pos=0, angle=90, movable=True,
                                        pen=pg.mkPen("#f6e58d", width=2),
                                        hoverPen=pg.mkPen("#ffffff", width=3))
        self.playhead.setZValue(20)
        self.plot.addItem(self.playhead, ignoreBounds=True)
        self.playhead.sigDragged.connect(self._dragged)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.note = pg.TextItem("", color="#8b95a5", anchor=(0, 0))
        self.plot.addItem(self.note, ignoreBounds=True)
        self.frames = 0
        self.y_range = (-5.0, 5.0)
        self._boundary_frames = np.empty(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.key)
        self.setMinimumHeight(120)

    # -- data ------------------------------------------------------------------------------------
    def set_formatter(self, formatter: Optional[Callable[[int], str]], fps: int = 0,
                      start_frame: int = 0) -> None:
        self.axis.formatter = formatter
        self.axis.fps, self.axis.start_frame = fps, start_frame
        self.refresh_axis()

    def refresh_axis(self) -> None:
        """Relabel the time axis (a new clip or time display)."""
        self.axis.picture = None
        self.axis.update()

    def set_media(self, frames: int) -> None:
        self.frames = max(1, frames)
        self.vb.setLimits(xMin=-self.frames * 0.02, xMax=self.frames * 1.02,
                          minXRange=min(10, self.frames))
        self.vb.setXRange(0, self.frames, padding=0.01)
        self.set_curves(None)
        self.set_boundaries([])
        self.set_segments([])

    def set_curves(self, curves, message: str = "") -> None:
        """``curves``: a camtag.motion.curves.MotionCurves, or None (then ``message`` shows)."""
        if curves is None:
            for item in self.items.values():
                item.setData([], [])
            self._set_y((-5.0, 5.0))
            self._note(message)
            return
        data = curves.to_arrays(per_second=True)
        x = data["frame"].astype(np.float64)
        spans = []
        for name, _c, _l in CURVES:
            y = data[name + "_smooth"] * SCALE[name]
            self.items[name].setData(x, y)
            finite = y[np.isfinite(y)]
            if finite.size:
                spans.append(np.percentile(np.abs(finite), 99.5))
        top = max([2.0] + spans) * 1.15
        self._set_y((-top, top))
        self._note("")

    def set_arrays(self, x: np.ndarray, arrays: dict[str, np.ndarray]) -> None:
        """Raw curves (already in display units), e.g. for benchmarks of very long media."""
        for name, item in self.items.items():
            if name in arrays:
                item.setData(x, arrays[name])
        top = max(float(np.nanmax(np.abs(a))) for a in arrays.values()) * 1.15
        self._set_y((-top, top))
        self._note("")

    def _set_y(self, span: tuple[float, float]) -> None:
        lo, hi = span
        self.y_range = (lo - (hi - lo) * 0.12, hi)      # room for the segment lane below
        self.vb.setYRange(*self.y_range, padding=0)
        self.note.setPos(0, hi)
        if len(self._boundary_frames):
            self.set_boundaries(self._boundary_frames)
        if self._segments:
            self.set_segments(self._segments)

    def _note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def set_boundaries(self, frames: Sequence[int]) -> None:
        self._boundary_frames = np.asarray(sorted(frames), dtype=np.float64)
        lo, hi = self.y_range                 # lines just span the plot (long lines clip slowly)
        xs = np.repeat(self._boundary_frames, 2)
        ys = np.tile(np.array([lo, hi]), len(xs) // 2)
        self.boundaries.setData(xs, ys)

    def set_segments(self, segments: Sequence[tuple]) -> None:
        """(start, end exclusive, colour[, key name, tooltip]) per sub-shot segment, drawn as one
        image strip (one column per frame up to LANE_COLUMNS, so thousands of segments cost one
        drawImage); the names make the colour key, the tooltips show when a band is hovered."""
        self._segments = list(segments)
        self._set_key_and_tips(self._segments)
        if not segments:
            self.lane.hide()
            return
        n = max(1, self.frames)
        cols = min(n, LANE_COLUMNS)
        centers = (np.arange(cols) + 0.5) * (n / cols)
        starts = np.array([g[0] for g in segments], dtype=np.float64)
        ends = np.array([g[1] for g in segments], dtype=np.float64)
        order = np.argsort(starts)
        starts, ends = starts[order], ends[order]
        colors = np.array([QColor(segments[i][2]).getRgb() for i in order], dtype=np.uint8)
        idx = np.searchsorted(starts, centers, side="right") - 1
        inside = (idx >= 0) & (centers < ends[np.clip(idx, 0, None)])
        rgba = np.zeros((1, cols, 4), dtype=np.uint8)
        rgba[0, inside] = colors[idx[inside]]
        first = np.r_[True, idx[1:] != idx[:-1]] & inside       # mark where a segment starts
        rgba[0, first, :3] //= 2
        self.lane.setImage(rgba, autoLevels=False)
        lo, hi = self.y_range
        lane = (hi - lo) * 0.08
        self.lane.setRect(0, lo + lane * 0.15, n, lane)
        self.lane_y = (lo + lane * 0.15, lo + lane * 1.15)
        self.lane.show()

    def _set_key_and_tips(self, segments: list) -> None:
        ordered = sorted((g for g in segments if len(g) >= 5), key=lambda g: g[0])
        self._bands = ([g[0] for g in ordered], [g[1] for g in ordered], [g[4] for g in ordered])
        key = dict.fromkeys((g[3], g[2]) for g in ordered)
        self.key.setText("&nbsp;&nbsp;".join(
            f"<span style='color:{escape(c)}'>■</span>&nbsp;{escape(name)}"
            for name, c in sorted(key, key=lambda k: k[0].lower())))
        self.key.setVisible(bool(key))
        self.plot.setToolTip("")

    def band_tip(self, frame: int) -> str:
        """The tooltip of the band over ``frame`` ("" where there is none)."""
        starts, ends, tips = self._bands
        i = bisect_right(starts, frame) - 1
        return tips[i] if i >= 0 and frame < ends[i] else ""

    def _hovered(self, pos) -> None:
        tip = ""
        if self.lane.isVisible() and self.vb.sceneBoundingRect().contains(pos):
            p = self.vb.mapSceneToView(pos)
            lo, hi = self.lane_y
            (_x0, _x1), (y0, y1) = self.vb.viewRange()
            slack = (y1 - y0) * 0.02                   # the lane is thin: a little slack around it
            if lo - slack <= p.y() <= hi + slack:
                tip = self.band_tip(int(p.x()))
        if tip != self.plot.toolTip():
            self.plot.setToolTip(tip)

    def set_marks(self, mark_in: Optional[int], mark_out: Optional[int]) -> None:
        if mark_in is None and mark_out is None:
            self.marks.hide()
            return
        a = mark_in if mark_in is not None else 0
        b = (mark_out + 1) if mark_out is not None else self.frames
        self.marks.setRegion((a, b))
        self.marks.show()

    # -- playhead --------------------------------------------------------------------------------
    def set_position(self, frame: int, follow: bool = True) -> None:
        self.playhead.blockSignals(True)
        self.playhead.setValue(frame)
        self.playhead.blockSignals(False)
        if follow:
            (x0, x1), _ = self.vb.viewRange()
            if not x0 <= frame <= x1:
                width = x1 - x0
                self.vb.setXRange(frame - width * 0.1, frame + width * 0.9, padding=0)

    def _dragged(self, line) -> None:
        self.seek_requested.emit(int(round(line.value())))

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.scenePos()
        if self.legend.sceneBoundingRect().contains(pos):
            return                          # the legend toggles its curve; it does not seek
        if event.double():
            self.fit()
            return
        if not self.vb.sceneBoundingRect().contains(pos):
            return
        frame = int(round(self.vb.mapSceneToView(pos).x()))
        if 0 <= frame < max(1, self.frames):
            self.seek_requested.emit(frame)

    def fit(self) -> None:
        """Zoom to fit the whole clip (Shift+Z, as in Resolve; or double-click)."""
        if self.frames:
            self.zoom_to(0, self.frames)

    def zoom_to(self, start: int, end: int) -> None:
        self.vb.setXRange(start, end, padding=0.02)
