"""The shot table model: library :class:`ShotRecord` rows, and a proxy that filters by search.

Rows stay in (media, start frame) order as analysis streams them in; the proxy sorts by any
column (numeric columns sort by number through ``SORT_ROLE``; ``#`` sorts by clip, then time) and
keeps only the shot ids a search or collection returned. Tags read as an editor reads them: display
names from the taxonomy, camera moves before steadiness and speed, weak proposals left out of the
chips (they stay in the tooltip).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Optional

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QPixmap

from camtag.export.reels import embedded_reel, reel_name
from camtag.library import ShotRecord
from camtag.model import MediaInfo
from camtag.taxonomy import DEFAULT_MIN_CONFIDENCE, MOVEMENT_FAMILIES
from camtag.timebase import frames_to_timecode
from camtag.ui.shot_rows import LazyShotRows, ShotSortProxy
from camtag.ui.workers import run_in_thread

COLUMNS = ("#", "Clip", "Reel", "Poster", "In", "Out", "Duration", "Movement", "Confidence", "Notes")
(COL_INDEX, COL_CLIP, COL_REEL, COL_POSTER, COL_IN, COL_OUT, COL_DURATION, COL_MOVEMENT,
 COL_CONFIDENCE, COL_NOTES) = range(len(COLUMNS))
_FAMILY_RANK = {**{f: 0 for f in MOVEMENT_FAMILIES}, "steadiness": 1, "speed": 2, "complexity": 3}
SHOT_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
TAGS_ROLE = Qt.ItemDataRole.UserRole + 3
POSTER_SIZE = QSize(96, 54)
_ROLES = {SHOT_ROLE, TAGS_ROLE, SORT_ROLE, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
          Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.SizeHintRole,
          Qt.ItemDataRole.TextAlignmentRole}
_TIPS = {COL_INDEX: "Shot number within its clip (sorts by clip, then time)",
         COL_CLIP: "Media file the shot comes from",
         COL_REEL: "Reel (tape) name used in EDL and ALE exports (the export dialog's choice: "
                   "the file name, or the reel name embedded in the file)",
         COL_IN: "Source timecode of the first frame",
         COL_OUT: "Source timecode after the last frame (exclusive, as in an EDL)",
         COL_MOVEMENT: "Camera movement tags: ✓ confirmed, + added by an editor",
         COL_CONFIDENCE: "Confidence of the shot's camera move (its steadiness when it has no move)"}


class ShotTableModel(LazyShotRows):
    def __init__(self, media_lookup: Callable[[int], Optional[MediaInfo]], color_of, parent=None,
                 taxonomy=None):
        super().__init__(parent)
        self.taxonomy = taxonomy
        self._reels: dict[str, str] = {}
        self.reel_source = "file"                 # as the export dialog's last choice
        self._embedded: dict[str, Optional[str]] = {}     # path -> embedded reel (None: none)
        self._to_read: list[str] = []
        self._reading = None                      # the background call reading embedded reels
        self._posters: dict[str, QPixmap] = {}
        self.media_lookup = media_lookup
        self.color_of = color_of

    # -- Qt model API ----------------------------------------------------------------------------
    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return _TIPS.get(section)
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        col = index.column()
        if role == SORT_ROLE and col in (COL_INDEX, COL_IN, COL_POSTER):
            return float(index.row())       # rows are kept in (clip, time) order
        if role not in _ROLES:
            return None                     # (fonts, colours...: no need to read the shot)
        rec = self.record(index.row())
        if rec is None:
            return None
        if role == SHOT_ROLE:
            return rec
        if role == TAGS_ROLE:
            return self.tag_chips(rec)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_POSTER:
            return self.poster(rec)
        if role == Qt.ItemDataRole.SizeHintRole and col == COL_POSTER:
            return POSTER_SIZE
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_INDEX, COL_CONFIDENCE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == SORT_ROLE:
            return self._sort_value(rec, col, index.row())
        if role == Qt.ItemDataRole.ToolTipRole and col in (COL_MOVEMENT, COL_CONFIDENCE):
            return "\n".join(f"{self.name(t.tag)} {t.confidence:.2f} ({t.source}, {t.state})"
                             for t in rec.tag_records) or "no tags"
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_CLIP:
            return rec.media_path
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(rec, col)
        return None

    # -- cell values -----------------------------------------------------------------------------
    def _text(self, rec: ShotRecord, col: int) -> Optional[str]:
        shot = rec.shot
        info = self.media_lookup(rec.media_id)
        if col == COL_INDEX:
            return str(shot.index + 1)
        if col == COL_CLIP:
            return rec.media_path.replace("\\", "/").rsplit("/", 1)[-1]
        if col == COL_REEL:
            return self.reel(rec.media_path)
        if col == COL_IN:
            return info.timecode(shot.start_frame) if info else str(shot.start_frame)
        if col == COL_OUT:
            return info.timecode(shot.end_frame) if info else str(shot.end_frame)
        if col == COL_DURATION:
            if info is None:
                return f"{shot.frames} f"
            secs = float(Fraction(shot.frames) / info.rate)
            return f"{frames_to_timecode(shot.frames, info.rate)}  ({secs:.2f} s)"
        if col == COL_MOVEMENT:
            return ", ".join(f"{c[4]} {c[1]:.2f}" for c in self.tag_chips(rec))
        if col == COL_CONFIDENCE:
            lead = self.lead_tag(rec)
            return "" if lead is None else f"{lead.confidence:.2f}"
        if col == COL_NOTES:
            return shot.note.replace("\n", " ")
        return None

    def _sort_value(self, rec: ShotRecord, col: int, row: int):
        if col in (COL_CLIP, COL_REEL):
            return f"{self._text(rec, col)}\x00{row:09d}"
        if col == COL_OUT:
            return float(rec.shot.end_frame)
        if col == COL_DURATION:
            return float(rec.shot.frames)
        if col == COL_CONFIDENCE:
            lead = self.lead_tag(rec)
            return -1.0 if lead is None else float(lead.confidence)
        return self._text(rec, col) or ""

    # -- tags as an editor reads them --------------------------------------------------------------
    def name(self, tag_id: str) -> str:
        return self.taxonomy.display_name(tag_id) if self.taxonomy is not None else tag_id

    def tag_rank(self, tag_id: str) -> int:
        if self.taxonomy is None or tag_id not in self.taxonomy:
            return 0                        # an editor's custom tag reads like a move
        return _FAMILY_RANK.get(self.taxonomy.get(tag_id).family, 4)

    def sorted_tags(self, rec: ShotRecord):
        """Camera moves first, then steadiness, speed, complexity; most confident first in each."""
        return sorted(rec.shot.tags, key=lambda t: (self.tag_rank(t.id), -t.confidence))

    def lead_tag(self, rec: ShotRecord):
        tags = self.sorted_tags(rec)
        return tags[0] if tags else None

    def tag_chips(self, rec: ShotRecord) -> list[tuple[str, float, str, str, str]]:
        """(tag id, confidence, state, colour, display name) for each effective tag worth reading:
        moves first; proposals under the search floor are left out except the leading one (the
        tooltip lists them all)."""
        out = []
        for n, t in enumerate(self.sorted_tags(rec)):
            state = rec.tag_state(t.id) or "proposed"
            if state == "proposed" and t.confidence < DEFAULT_MIN_CONFIDENCE and n > 0:
                continue                    # (the leading tag always shows: it is what to review)
            out.append((t.id, t.confidence, state, self.color_of(t.id), self.name(t.id)))
        return out

    def reel(self, path: str) -> str:
        """The reel an export would write. With embedded reel names chosen, a clip's name is read
        off the GUI thread, once per clip (the file-name reel shows until it arrives)."""
        if self.reel_source == "embedded":
            if path in self._embedded:
                found = self._embedded[path]
                if found:
                    return found
            elif path not in self._to_read:
                self._to_read.append(path)
                if len(self._to_read) == 1 and self._reading is None:
                    QTimer.singleShot(0, self._read_embedded)     # one call for the whole paint
        reel = self._reels.get(path)
        if reel is None:
            reel = self._reels[path] = reel_name(path)
        return reel

    def set_reel_source(self, source: str) -> None:
        if source == self.reel_source:
            return
        self.reel_source = source
        self._reel_column_changed()

    def _read_embedded(self) -> None:
        if self._reading is not None or not self._to_read:
            return
        paths, self._to_read = list(self._to_read), []
        self._reading = run_in_thread(lambda: {p: embedded_reel(p) for p in paths},
                                      self._embedded_read)

    def _embedded_read(self, found) -> None:
        self._reading = None
        self._embedded.update(found)
        if any(found.values()):
            self._reel_column_changed()
        self._read_embedded()                   # clips asked for meanwhile

    def _reel_column_changed(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(self.index(0, COL_REEL), self.index(self.rowCount() - 1, COL_REEL),
                                  [Qt.ItemDataRole.DisplayRole])

    def poster(self, rec: ShotRecord) -> Optional[QPixmap]:
        path = rec.shot.poster
        if not path:
            return None
        pix = self._posters.get(path)
        if pix is None:
            pix = QPixmap(path)
            if not pix.isNull():
                pix = pix.scaled(POSTER_SIZE * 2, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
                pix.setDevicePixelRatio(2.0)      # sharp on HiDPI, POSTER_SIZE on screen
            self._posters[path] = pix
        return None if pix.isNull() else pix


class ShotFilterProxy(ShotSortProxy):
    def __init__(self, parent=None) -> None:
        super().__init__(SORT_ROLE, COL_INDEX, parent)
