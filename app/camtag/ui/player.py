"""The transport: position, J/K/L shuttle, stepping, marks and shot navigation (no widgets).

Positions are integer frames (0-based); playback is clock-driven (position = anchor + elapsed ×
rate × speed, so slow decoding drops frames instead of drifting), and a paused player always ends
on the exact frame requested from the :class:`FrameServer`. J/L follow the NLE convention: each
repeat doubles the speed (1→2→4→8×), the other key reverses at 1×, K pauses and playback
resumes at 1× after it; holding K while tapping J or L steps one frame.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from fractions import Fraction

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from camtag.model import MediaInfo
from camtag.ui.audio import AudioOut
from camtag.ui.frame_server import FrameServer

MAX_SPEED = 8.0


class PlayerController(QObject):
    position_changed = Signal(int)
    state_changed = Signal()                # speed, marks or media changed
    frame_shown = Signal(int, QImage)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, server: FrameServer | None = None) -> None:
        super().__init__(parent)
        self.server = server or FrameServer(self)
        self.audio = AudioOut(self)
        self.media: MediaInfo | None = None
        self.frames = 0
        self.position = 0
        self.speed = 0.0
        self.mark_in: int | None = None
        self.mark_out: int | None = None
        self.loop = False
        self.shown_index = -1
        self.k_held = False
        self._shot_starts: list[int] = []
        self._clock = QElapsedTimer()
        self._anchor = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self.server.frame_ready.connect(self._on_frame)
        self.server.failed.connect(self.failed)
        self.server.opened.connect(self._on_opened)

    # -- media ----------------------------------------------------------------------------------
    def open(self, media: MediaInfo, max_size: tuple[int, int] = (1280, 720)) -> None:
        self.pause()
        self.media = media
        self.frames = media.frames
        self.position = 0
        self.mark_in = self.mark_out = None
        self.shown_index = -1
        self._shot_starts = []
        self.server.open(media.path, media.rotation, media.sar, max_size)
        self.audio.open(media.path, media.has_audio)
        self.server.request(0)
        self.state_changed.emit()
        self.position_changed.emit(0)

    def _on_opened(self, frames: int, _w: int, _h: int) -> None:
        if frames and frames != self.frames:     # the packet count is authoritative for seeking
            self.frames = frames
            self.state_changed.emit()

    def set_shot_starts(self, starts) -> None:
        self._shot_starts = sorted(set(int(s) for s in starts))
        self._prefetch_neighbours()

    @property
    def rate(self) -> Fraction:
        return self.media.rate if self.media else Fraction(25)

    @property
    def playing(self) -> bool:
        return self.speed != 0

    # -- seeking --------------------------------------------------------------------------------
    def seek(self, frame: int) -> None:
        if not self.frames:
            return
        frame = max(0, min(int(frame), self.frames - 1))
        if self.playing:
            self._anchor, self.position = frame, frame
            self._clock.restart()
            if self.speed == 1:
                self.audio.play(frame, self.rate)
        elif frame == self.position and self.shown_index == frame:
            return
        self.position = frame
        self.server.request(frame)
        self.position_changed.emit(frame)
        if not self.playing:
            self._prefetch_neighbours()

    def step(self, frames: int) -> None:
        self.pause()
        self.seek(self.position + frames)

    def step_seconds(self, seconds: int) -> None:
        self.step(seconds * max(1, round(self.rate)))

    def go_start(self) -> None:
        self.pause()
        self.seek(0)

    def go_end(self) -> None:
        self.pause()
        self.seek(self.frames - 1)

    def previous_shot(self) -> None:
        i = bisect_left(self._shot_starts, self.position) - 1
        self.pause()
        self.seek(self._shot_starts[i] if i >= 0 else 0)

    def next_shot(self) -> None:
        i = bisect_right(self._shot_starts, self.position)
        self.pause()
        if i < len(self._shot_starts):
            self.seek(self._shot_starts[i])

    def _prefetch_neighbours(self) -> None:
        if not self._shot_starts or not self.frames:
            return
        i = bisect_right(self._shot_starts, self.position)
        near = self._shot_starts[max(0, i - 2):i + 2]
        self.server.prefetch([s for s in near if s != self.position and s < self.frames])

    # -- marks ----------------------------------------------------------------------------------
    def set_in(self) -> None:
        self.mark_in = self.position
        if self.mark_out is not None and self.mark_out < self.mark_in:
            self.mark_out = None
        self.state_changed.emit()

    def set_out(self) -> None:
        self.mark_out = self.position
        if self.mark_in is not None and self.mark_in > self.mark_out:
            self.mark_in = None
        self.state_changed.emit()

    def go_in(self) -> None:
        """To mark in (the clip's first frame when none is set, as in an NLE)."""
        self.pause()
        self.seek(self.mark_in if self.mark_in is not None else 0)

    def go_out(self) -> None:
        """To mark out (the clip's last frame when none is set)."""
        self.pause()
        self.seek(self.mark_out if self.mark_out is not None else max(0, self.frames - 1))

    def clear_marks(self) -> None:
        self.mark_in = self.mark_out = None
        self.loop = False
        self.state_changed.emit()

    # -- transport ------------------------------------------------------------------------------
    def play(self, speed: float = 1.0) -> None:
        if not self.frames:
            return
        speed = max(-MAX_SPEED, min(MAX_SPEED, speed))
        if speed > 0 and self.position >= self.frames - 1 and not self.loop:
            self.seek(0)
        self.speed = speed
        self._anchor = self.position
        self._clock.restart()
        self.server.set_idle(False)
        interval = 1000 / (float(self.rate) * abs(speed))
        self._timer.start(max(8, min(40, int(interval))))
        if speed == 1:
            self.audio.play(self.position, self.rate)
        else:
            self.audio.pause()
        self.state_changed.emit()

    def pause(self) -> None:
        was = self.playing
        self._timer.stop()
        self.speed = 0.0
        self.audio.pause()
        self.server.set_idle(True)
        if was:
            self.server.request(self.position)     # land on the exact frame
            self.state_changed.emit()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.loop = False
            self.play(1.0)

    def shuttle_forward(self, slow: bool = False) -> None:
        if self.k_held:
            self.step(1)
            return
        self.loop = False
        if slow:
            self.play(0.5)
        elif self.speed >= 1:
            self.play(min(MAX_SPEED, self.speed * 2))
        else:
            self.play(1.0)

    def shuttle_reverse(self, slow: bool = False) -> None:
        if self.k_held:
            self.step(-1)
            return
        self.loop = False
        if slow:
            self.play(-0.5)
        elif self.speed <= -1:
            self.play(max(-MAX_SPEED, self.speed * 2))
        else:
            self.play(-1.0)

    def play_in_out(self) -> None:
        start = self.mark_in if self.mark_in is not None else 0
        self.pause()
        self.loop = True
        self.seek(start)
        self.play(1.0)

    def _loop_range(self) -> tuple[int, int]:
        if self.loop:
            lo = self.mark_in if self.mark_in is not None else 0
            hi = self.mark_out if self.mark_out is not None else self.frames - 1
            return lo, max(lo, hi)
        return 0, self.frames - 1

    def _tick(self) -> None:
        lo, hi = self._loop_range()
        elapsed = self._clock.elapsed() / 1000.0
        target = self._anchor + int(elapsed * float(self.rate) * self.speed)
        if target > hi or target < lo:
            if self.loop and self.speed > 0:
                self.seek(lo)
                return
            self.seek(hi if target > hi else lo)
            self.pause()
            return
        if target != self.position:
            self.position = target
            self.server.request(target)
            self.position_changed.emit(target)
            if self.speed == 1 and target % max(1, round(self.rate)) == 0:   # once a second
                self.audio.follow(target, self.rate)

    def _on_frame(self, index: int, image: QImage) -> None:
        self.shown_index = index
        self.frame_shown.emit(index, image)

    # -- display --------------------------------------------------------------------------------
    def time_text(self, frame: int, mode: str = "timecode") -> str:
        if self.media is None:
            return "--:--:--:--"
        if mode == "frames":
            return f"{frame}"
        if mode == "seconds":
            return f"{float(Fraction(frame) / self.rate):.3f} s"
        return self.media.timecode(frame)

    def close(self) -> None:
        self.pause()
        self.audio.close()
        self.server.stop()
