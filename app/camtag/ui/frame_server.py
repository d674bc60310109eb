"""Decodes frames for the player on its own thread; the GUI thread only asks and paints.

Requests coalesce: only the latest wanted frame matters (scrubbing past 50 frames decodes the
last one, not all 50). Results arrive on the GUI thread as ``frame_ready(index, QImage)``.
Idle time prefetches frames the user is likely to jump to next (the neighbouring shot starts).
"""

from __future__ import annotations

import threading
from fractions import Fraction

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from camtag.ui.frame_reader import FrameReader


def to_qimage(img) -> QImage:
    h, w, _ = img.shape
    return QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class FrameServer(QObject):
    frame_ready = Signal(int, QImage)       # index, image
    opened = Signal(int, int, int)          # frames, width, height
    failed = Signal(str)                    # one-line reason

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cv = threading.Condition()
        self._wanted: int | None = None
        self._keep_behind = 0
        self._prefetch: list[int] = []
        self._idle = True                   # prefetch only while the player is paused
        self._open_args: tuple | None = None
        self._stop = False
        self._reader: FrameReader | None = None
        self._last = -1
        self._thread = threading.Thread(target=self._run, name="camtag-frames", daemon=True)
        self._thread.start()

    # -- GUI thread ---------------------------------------------------------------------------
    def open(self, path: str, rotation: int = 0, sar: Fraction = Fraction(1),
             max_size: tuple[int, int] = (1280, 720)) -> None:
        with self._cv:
            self._open_args = (path, rotation, sar, max_size)
            self._wanted, self._prefetch = None, []
            self._cv.notify()

    def request(self, index: int) -> None:
        with self._cv:
            self._keep_behind = 48 if 0 <= index < self._last else 0
            self._wanted = index
            self._cv.notify()

    def prefetch(self, indices: list[int]) -> None:
        with self._cv:
            self._prefetch = list(indices)
            self._cv.notify()

    def set_idle(self, idle: bool) -> None:
        with self._cv:
            self._idle = idle
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join(timeout=5)

    # -- decode thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cv:
                while not (self._stop or self._open_args or self._wanted is not None
                           or (self._prefetch and self._idle)):
                    self._cv.wait()
                if self._stop:
                    break
                open_args, self._open_args = self._open_args, None
                wanted, self._wanted = self._wanted, None
                behind = self._keep_behind
                prefetch = self._prefetch.pop(0) if wanted is None and not open_args \
                    and self._prefetch and self._idle else None
            if open_args is not None:
                self._open(*open_args)
            if self._reader is None:
                continue
            try:
                if wanted is not None:
                    img = self._reader.read(wanted, keep_behind=behind)
                    self._last = wanted
                    self.frame_ready.emit(wanted, to_qimage(img))
                elif prefetch is not None and self._reader.cached(prefetch) is None:
                    self._reader.read(prefetch)
            except Exception as exc:  # noqa: BLE001 - a bad frame must not kill the player
                self.failed.emit(f"frame {wanted if wanted is not None else prefetch}: {exc}")
        if self._reader is not None:
            self._reader.close()

    def _open(self, path, rotation, sar, max_size) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._last = -1
        try:
            self._reader = FrameReader(path, rotation=rotation, sar=sar, max_size=max_size)
        except Exception as exc:  # noqa: BLE001 - reported to the user, the app keeps running
            self.failed.emit(str(exc))
            return
        self.opened.emit(self._reader.frames, *self._reader.size)
