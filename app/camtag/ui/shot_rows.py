"""The rows behind the shot browser: shot ids in (clip, time) order, hydrated on demand.

A scope of 100,000 shots costs one list of ids; a row's :class:`ShotRecord` is read from the
library (a page around it at a time) only when a view asks for it. Searching replaces the id
list (the library does the matching in SQL), so no per-row filtering runs in Python, and the
proxy keeps the model's own order for ``#`` ascending (no per-row sorting either).
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtCore import QSortFilterProxyModel

from camtag.library import ShotRecord

NARROW_MAX = 64                             # removals done row by row before a reset is cheaper
SCANS = 8                                   # row_of lookups by a list scan before the ids are indexed
PAGE = 40                                   # records read around a row a view asks for


def _index_valid(parent) -> bool:
    return parent is not None and parent.isValid()


def shot_key(rec: ShotRecord) -> tuple:
    return (rec.media_path, rec.shot.start_frame, rec.id)


class LazyShotRows(QAbstractTableModel):
    """Row storage for the shot table model; subclasses supply the columns."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._ids: list[int] = []
        self._cache: dict[int, ShotRecord] = {}
        self._row_of: Optional[dict[int, int]] = {}
        self._scans = 0
        self.fetch: Callable[[list[int]], list[ShotRecord]] = lambda ids: []
        self.total = 0                      # shots in the scope before a search narrowed it

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if _index_valid(parent) else len(self._ids)

    # -- reading rows ----------------------------------------------------------------------------
    def ids(self) -> list[int]:
        return list(self._ids)

    def id_at(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, shot_id: int) -> Optional[int]:
        if self._row_of is None and self._scans < SCANS:      # a few lookups (opening at the
            self._scans += 1                                    # last shot): a C-speed scan,
            try:                                                # ~1 ms over 100k ids, not
                return self._ids.index(shot_id)                 # tens of ms to index them all
            except ValueError:
                return None
        if self._row_of is None:
            self._row_of = {sid: i for i, sid in enumerate(self._ids)}
        return self._row_of.get(shot_id)

    def record(self, row: int) -> Optional[ShotRecord]:
        sid = self._ids[row]
        rec = self._cache.get(sid)
        if rec is None:
            lo, hi = max(0, row - PAGE // 2), min(len(self._ids), row + PAGE // 2)
            self._load([i for i in self._ids[lo:hi] if i not in self._cache])
            rec = self._cache.get(sid)
        return rec

    def records(self) -> list[ShotRecord]:
        """Every row, hydrated (reads the whole scope: for small scopes and tests)."""
        self._load([i for i in self._ids if i not in self._cache])
        return [self._cache[i] for i in self._ids if i in self._cache]

    def _load(self, ids: list[int]) -> None:
        if ids:
            for r in self.fetch(ids):
                self._cache[r.id] = r

    # -- changing rows ---------------------------------------------------------------------------
    def _reindex(self) -> None:
        self._row_of = None                 # rebuilt when first asked (100k ids: tens of ms)
        self._scans = 0

    def set_records(self, records: Iterable[ShotRecord]) -> None:
        records = sorted(records, key=shot_key)
        self.set_ids([r.id for r in records], records, keep_cache=False)

    def set_ids(self, ids: Iterable[int], records: Iterable[ShotRecord] = (),
                keep_cache: bool = True) -> None:
        """Show these shots in this order (records already read can be handed in)."""
        self.beginResetModel()
        self._ids = list(ids)
        if not keep_cache:
            self._cache = {}
        self._cache.update((r.id, r) for r in records)
        self._reindex()
        self.endResetModel()

    def narrow_to(self, ids: list[int]) -> bool:
        """Go to ``ids`` by removing rows, if that is all it takes (keeps the selection)."""
        keep = set(ids)
        gone = [i for i in self._ids if i not in keep]
        if len(gone) > NARROW_MAX or len(self._ids) - len(gone) != len(ids) \
                or [i for i in self._ids if i in keep] != ids:
            return False                    # (many removals one by one cost more than a reset)
        self.remove_ids(gone)
        return True

    def _insert_pos(self, key: tuple) -> int:
        lo, hi = 0, len(self._ids)
        while lo < hi:
            mid = (lo + hi) // 2
            rec = self.record(mid)
            if rec is not None and shot_key(rec) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def upsert(self, records: Iterable[ShotRecord]) -> None:
        """Add new shots in order, replace changed ones (by id) in place."""
        for rec in records:
            row = self.row_of(rec.id)
            if row is not None:
                old = self._cache.get(rec.id)
                if old is None or shot_key(old) == shot_key(rec):
                    self._cache[rec.id] = rec
                    self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
                    continue
                self.remove_ids([rec.id])
            pos = self._insert_pos(shot_key(rec))
            self.beginInsertRows(QModelIndex(), pos, pos)
            self._ids.insert(pos, rec.id)
            self._cache[rec.id] = rec
            self._reindex()
            self.endInsertRows()

    def remove_ids(self, ids: Iterable[int]) -> None:
        rows = (self.row_of(i) for i in set(ids))
        for row in sorted((r for r in rows if r is not None), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            self._cache.pop(self._ids[row], None)
            del self._ids[row]
            self.endRemoveRows()
        self._reindex()


class ShotSortProxy(QSortFilterProxyModel):
    """Sorts by any column through ``sort_role``; ``#`` ascending is the model's own order, so it
    costs nothing however many rows there are."""

    def __init__(self, sort_role: int, natural_column: int = 0, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(sort_role)
        self.natural_column = natural_column

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if column == self.natural_column and order == Qt.SortOrder.AscendingOrder:
            column = -1
        super().sort(column, order)
