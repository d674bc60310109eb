"""Hover-scrub posters for the shot grid (as in Kyno or Resolve's media pool).

Moving the mouse across a card's poster shows frames across that shot: the poster's width maps to
the shot's length in ``STEPS`` positions. Frames are small (``SCRUB_SIZE``), decoded on a thread of
their own (the GUI thread only asks and paints) and kept in a small cache, so a second pass over
the same shot costs nothing; while the editor hovers, the other positions of that shot are decoded
ahead. Leaving the poster (or the grid) shows the stored poster again. A file that cannot be read
(offline, moved) simply keeps its poster.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QListView

from camtag.ui.frame_reader import FrameReader
from camtag.ui.frame_server import to_qimage
from camtag.ui.shot_model import SHOT_ROLE

STEPS = 12
SCRUB_SIZE = (320, 180)
_CACHE_FRAMES = 600             # ~100 MiB at most of small RGB pixmaps
_READERS = 2                    # open files kept (the hovered clip and the one before)


def scrub_frame(start: int, end: int, fraction: float, steps: int = STEPS) -> int:
    """The frame shown at ``fraction`` (0..1) across the poster of shot [start, end)."""
    length = max(1, end - start)
    step = max(0, min(steps - 1, int(fraction * steps)))
    return min(end - 1, start + (2 * step + 1) * length // (2 * steps))


def poster_rect(card: QRect) -> QRect:
    """Where the grid delegate paints the poster inside a card (kept in one place)."""
    r = card.adjusted(4, 4, -4, -4)
    return QRect(r.left() + 6, r.top() + 6, r.width() - 12, int((r.width() - 12) * 9 / 16))


@dataclass(frozen=True)
class ScrubView:
    """What a card shows while hovered: the shot, the frame, its image (None until decoded)."""

    shot_id: int
    frame: int
    fraction: float
    pixmap: Optional[QPixmap]


class ScrubFrames(QObject):
    """Decodes small frames off the GUI thread; ``ready(path, frame, image)`` on the GUI thread."""

    ready = Signal(str, int, QImage)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cv = threading.Condition()
        self._queue: list[tuple[str, int, Fraction, int]] = []
        self._stop = False
        self._readers: OrderedDict[str, FrameReader] = OrderedDict()
        self._bad: set[str] = set()
        self.decoded = 0
        self._thread = threading.Thread(target=self._run, name="camtag-scrub", daemon=True)
        self._thread.start()

    def want(self, path: str, rotation: int, sar: Fraction, frames: list[int]) -> None:
        """Decode ``frames`` of ``path`` in this order, replacing whatever was still queued."""
        with self._cv:
            self._queue = [(path, rotation, sar, f) for f in frames]
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._queue = []
            self._cv.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not (self._stop or self._queue):
                    if not self._cv.wait(timeout=30) and not self._queue:
                        self._close_all()           # idle: release the files
                if self._stop:
                    break
                path, rotation, sar, frame = self._queue.pop(0)
            reader = self._reader(path, rotation, sar)
            if reader is None:
                continue
            try:
                image = to_qimage(reader.read(frame))
            except Exception:  # noqa: BLE001 - a frame that does not decode keeps the poster
                continue
            self.decoded += 1
            self.ready.emit(path, frame, image)
        self._close_all()

    def _reader(self, path: str, rotation: int, sar: Fraction) -> Optional[FrameReader]:
        if path in self._bad:
            return None
        reader = self._readers.get(path)
        if reader is not None:
            self._readers.move_to_end(path)
            return reader
        try:
            reader = FrameReader(path, rotation=rotation, sar=sar, max_size=SCRUB_SIZE,
                                 cache_bytes=8 << 20)
        except Exception:  # noqa: BLE001 - offline or unreadable: no scrub for that file
            self._bad.add(path)
            return None
        self._readers[path] = reader
        while len(self._readers) > _READERS:
            self._readers.popitem(last=False)[1].close()
        return reader

    def _close_all(self) -> None:
        while self._readers:
            self._readers.popitem(last=False)[1].close()


class HoverScrub(QObject):
    """Watches the grid's mouse and tells its delegate which frame to paint on which card."""

    changed = Signal()

    def __init__(self, grid: QListView, media_lookup,
                 row_of: Callable[[int], Optional[int]]) -> None:
        super().__init__(grid)
        self.grid = grid
        self.media_lookup = media_lookup
        self.row_of = row_of            # shot id -> the grid's row showing it (None: not shown)
        self.view: Optional[ScrubView] = None
        self._cache: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self._row = -1
        self._path = ""
        self.frames = ScrubFrames()
        self.frames.ready.connect(self._ready)
        grid.setMouseTracking(True)
        grid.viewport().installEventFilter(self)
        grid.destroyed.connect(self.frames.stop)
        model = grid.model()
        for sig in (model.modelReset, model.layoutChanged, model.rowsRemoved, model.rowsInserted):
            sig.connect(self._rows_moved)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            self.hover(event.position().toPoint())
        elif kind in (QEvent.Type.Leave, QEvent.Type.Hide):
            self.clear()
        return False

    def hover(self, pos: QPoint) -> None:
        index = self.grid.indexAt(pos)
        rec = index.data(SHOT_ROLE) if index.isValid() else None
        pic = poster_rect(self.grid.visualRect(index)) if rec is not None else QRect()
        if rec is None or not pic.contains(pos):
            self.clear()
            return
        media = self.media_lookup(rec.media_id)
        path = media.path if media is not None else rec.media_path
        fraction = (pos.x() - pic.left()) / max(1, pic.width())
        start, end = rec.shot.start_frame, rec.shot.end_frame
        frame = scrub_frame(start, end, fraction)
        if self.view is not None and self.view.shot_id == rec.id and self.view.frame == frame:
            return
        pix = self._cache.get((path, frame))
        self._path = path
        self._set(ScrubView(rec.id, frame, fraction, pix), index.row())
        if pix is None or index.row() != self._row:
            wanted = [] if pix is not None else [frame]
            others = sorted({scrub_frame(start, end, (s + 0.5) / STEPS) for s in range(STEPS)},
                            key=lambda f: abs(f - frame))
            wanted += [f for f in others if (path, f) not in self._cache and f != frame]
            if wanted:
                self.frames.want(path, media.rotation if media else 0,
                                 media.sar if media else Fraction(1), wanted)

    def _rows_moved(self, *_args) -> None:
        """Rows were re-sorted, reloaded or removed: the hovered shot keeps its frame wherever its
        card is now (the scrub is keyed by shot id); a shot that is gone ends the scrub."""
        if self.view is None:
            return
        row = self.row_of(self.view.shot_id)
        self._set(self.view if row is not None else None, row if row is not None else -1)

    def clear(self, *_args) -> None:
        if self.view is not None:
            self._set(None, -1)

    def _set(self, view: Optional[ScrubView], row: int) -> None:
        old = self._row
        self.view, self._row = view, row
        for r in {old, row} - {-1}:
            index = self.grid.model().index(r, self.grid.modelColumn())
            self.grid.viewport().update(self.grid.visualRect(index))
        self.changed.emit()

    def _ready(self, path: str, frame: int, image: QImage) -> None:
        pix = QPixmap.fromImage(image)
        self._cache[(path, frame)] = pix
        while len(self._cache) > _CACHE_FRAMES:
            self._cache.popitem(last=False)
        view = self.view
        if view is not None and view.frame == frame and view.pixmap is None \
                and self._path == path:
            self._set(ScrubView(view.shot_id, frame, view.fraction, pix), self._row)
