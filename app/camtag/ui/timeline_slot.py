"""The timeline's stand-in until the first paint: a light placeholder with the motion timeline's
small interface, so the window shows before pyqtgraph is imported (~0.4 s of a cold start).

Everything the window tells the timeline before it exists (the clip's length and timecode, its
curves, shot boundaries, bands, I/O marks, the playhead, a zoom to fit) is remembered as state,
not as a log of calls, and replayed once onto the real ``MotionTimeline`` (see
``window_setup.install_timeline``), which then takes this widget's place in the splitter.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget


def import_pyqtgraph() -> None:
    """Import pyqtgraph without CUDA Python: its package import loads RawImageWidget, which
    imports ``cuda.bindings`` when that is installed (~0.4 s of a cold start; camtag never uses
    that widget). The bindings are hidden only meanwhile and import normally afterwards."""
    if "pyqtgraph" in sys.modules or "cuda.bindings" in sys.modules:
        return
    sys.modules["cuda.bindings"] = None  # type: ignore[assignment]  # ImportError while hidden
    try:
        import pyqtgraph  # noqa: F401
    finally:
        if sys.modules.get("cuda.bindings", 0) is None:
            del sys.modules["cuda.bindings"]


@dataclass
class TimelineState:
    """What the window told the timeline so far (replayed in this order)."""

    formatter: Optional[tuple[Optional[Callable[[int], str]], int, int]] = None
    frames: Optional[int] = None
    curves: Any = None
    message: str = ""
    boundaries: list[int] = field(default_factory=list)
    segments: list[tuple] = field(default_factory=list)
    marks: tuple[Optional[int], Optional[int]] = (None, None)
    position: Optional[int] = None
    fit: bool = False


class TimelineSlot(QWidget):
    """Stands where the timeline goes; calls ``build`` once, on the event-loop turn after its
    first paint (or when ``ensure`` asks earlier)."""

    seek_requested = Signal(int)          # never emitted: there is nothing to click yet

    def __init__(self, build: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = TimelineState()
        self._build: Optional[Callable[[], None]] = build
        self.setMinimumHeight(120)
        self.setToolTip("The motion timeline is loading")

    # -- the motion timeline's interface, remembered -----------------------------------------------
    def set_formatter(self, formatter: Optional[Callable[[int], str]], fps: int = 0,
                      start_frame: int = 0) -> None:
        self.state.formatter = (formatter, fps, start_frame)

    def set_media(self, frames: int) -> None:
        s = self.state
        s.frames, s.curves, s.message, s.boundaries, s.segments = max(1, frames), None, "", [], []
        s.fit = False

    def set_curves(self, curves, message: str = "") -> None:
        self.state.curves, self.state.message = curves, message

    def set_boundaries(self, frames: Sequence[int]) -> None:
        self.state.boundaries = list(frames)

    def set_segments(self, segments: Sequence[tuple]) -> None:
        self.state.segments = list(segments)

    def set_marks(self, mark_in: Optional[int], mark_out: Optional[int]) -> None:
        self.state.marks = (mark_in, mark_out)

    def set_position(self, frame: int, follow: bool = True) -> None:
        self.state.position = frame

    def fit(self) -> None:
        self.state.fit = True

    def refresh_axis(self) -> None:
        """Nothing drawn yet: the formatter is read when the timeline is built."""

    def replay(self, timeline) -> None:
        """Tell ``timeline`` (a MotionTimeline) everything this stand-in was told."""
        s = self.state
        if s.formatter is not None:
            timeline.set_formatter(*s.formatter)
        if s.frames is not None:
            timeline.set_media(s.frames)
        timeline.set_curves(s.curves, s.message)
        timeline.set_boundaries(s.boundaries)
        timeline.set_segments(s.segments)
        timeline.set_marks(*s.marks)
        if s.position is not None:
            timeline.set_position(s.position, follow=True)
        if s.fit:
            timeline.fit()

    # -- building --------------------------------------------------------------------------------
    def ensure(self) -> None:
        """Build the real timeline now (once)."""
        build, self._build = self._build, None
        if build is not None:
            build()

    def paintEvent(self, event) -> None:  # noqa: N802 - a light placeholder, then build
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#15171b"))
        painter.setPen(QColor("#5c6370"))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "timeline…")
        painter.end()
        if self._build is not None:
            QTimer.singleShot(0, self.ensure)     # the next turn: this frame reaches the screen
