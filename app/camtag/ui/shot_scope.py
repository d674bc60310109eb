"""What the browser shows, kept in step with the library: one clip's shots, all shots, or a
collection, narrowed by the search bar. Library changes (analysis streaming shots in, editor
operations, undo) update only the rows they touch.

"All shots" holds only ids (rows are read when shown); a search asks the library for the
matching ids and hands the model that list, so a keystroke costs one SQL query whatever the
library's size.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from camtag.library import Changes, LibraryError, QueryError, ShotRecord
from camtag.model import MediaInfo
from camtag.ui.library_bridge import LibraryBridge
from camtag.ui.shot_model import ShotFilterProxy, ShotTableModel
from camtag.ui.shot_rows import shot_key


class ShotScope(QObject):
    records_changed = Signal(object)        # ids whose rows changed (frozenset) or None = all
    results_changed = Signal()              # the search narrowed or widened the rows
    search_failed = Signal(str)

    def __init__(self, bridge: LibraryBridge, model: ShotTableModel, proxy: ShotFilterProxy,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.model = model
        self.proxy = proxy
        self.kind = "media"                 # "media", "all" or "collection"
        self.value: object = None           # media id / collection name
        self.analysis_id: Optional[int] = None   # for "media": the analysis being shown
        self.query = ""
        self.base_ids: list[int] = []       # the scope's shots before the search
        self._base_records: list[ShotRecord] = []
        self._media_infos: dict[int, MediaInfo] = {}
        self._research = QTimer(self)
        self._research.setSingleShot(True)
        self._research.setInterval(300)
        self._research.timeout.connect(self.apply_search)
        bridge.shots_changed.connect(self.on_changes)
        model.fetch = self._fetch

    def _fetch(self, ids: list[int]) -> list[ShotRecord]:
        try:
            return self.lib.get_shots(ids) if self.lib is not None else []
        except LibraryError:
            return []

    @property
    def lib(self):
        return self.bridge.lib

    # -- media infos for timecode ----------------------------------------------------------------
    def media_info(self, media_id: int) -> Optional[MediaInfo]:
        if media_id not in self._media_infos and self.lib is not None:
            self.refresh_media_infos()
        return self._media_infos.get(media_id)

    def set_media_info(self, media_id: int, info: MediaInfo) -> None:
        if not self._media_infos and self.lib is not None:
            self.refresh_media_infos()
        self._media_infos[media_id] = info

    def refresh_media_infos(self, override: Optional[tuple[int, MediaInfo]] = None,
                            media=None) -> None:
        if self.lib is None:
            return
        media = self.lib.media() if media is None else media
        self._media_infos = {m.id: m.info for m in media if m.info is not None}
        if override is not None:
            self._media_infos[override[0]] = override[1]

    # -- scope -------------------------------------------------------------------------------------
    def show_media(self, media_id: Optional[int], analysis_id: Optional[int] = None) -> None:
        self.kind, self.value = "media", media_id
        self.analysis_id = analysis_id
        self.reload()

    def show_all(self) -> None:
        self.kind, self.value, self.analysis_id = "all", None, None
        self.reload()

    def show_collection(self, name: str) -> None:
        self.kind, self.value, self.analysis_id = "collection", name, None
        self.reload()

    def reload(self) -> None:
        lib = self.lib
        self.base_ids, self._base_records = [], []
        if lib is not None:
            try:
                if self.kind == "all":
                    self.base_ids = lib.search_ids("")           # ids only, in (clip, time) order
                else:
                    self._base_records = sorted(self._load(lib), key=shot_key)
                    self.base_ids = [r.id for r in self._base_records]
            except LibraryError as exc:
                self.search_failed.emit(str(exc))
        self.model.total = len(self.base_ids)
        try:
            ids = self._matching() if self.query and lib is not None else self.base_ids
        except (QueryError, LibraryError):
            ids = self.base_ids
        self.model.set_ids(ids, self._base_records, keep_cache=False)
        self._base_records = []
        self.records_changed.emit(None)

    def _load(self, lib) -> list[ShotRecord]:
        if self.kind == "collection":
            return lib.collection_shots(str(self.value))
        if self.value is None:
            return []
        media = lib.find_media(int(self.value))
        if media is None:
            return []
        if self.analysis_id is None or self.analysis_id == media.current_analysis_id:
            self.analysis_id = media.current_analysis_id
            return lib.shots(media)
        return []                           # a new analysis: its shots stream in

    def belongs(self, rec: ShotRecord) -> bool:
        if self.kind == "media":
            return rec.media_id == self.value and rec.analysis_id == self.analysis_id
        if self.kind == "all":
            media = self.lib.find_media(rec.media_id)
            return media is not None and rec.analysis_id == media.current_analysis_id
        return False

    # -- library changes -------------------------------------------------------------------------
    def on_changes(self, changes: Changes) -> None:
        lib = self.lib
        if lib is None:
            return
        if self.kind == "collection":
            self.reload()
            return
        ids = set(changes.shots | changes.added_shots)
        touched = frozenset(ids | changes.removed_shots)
        if changes.removed_shots:
            self.model.remove_ids(changes.removed_shots)
            gone = set(changes.removed_shots)
            self.base_ids = [i for i in self.base_ids if i not in gone]
        if ids:
            records = lib.get_shots(sorted(ids))
            known = set(self.base_ids)
            new = {r.id for r in records if r.id not in known and self.belongs(r)}
            if self.query:                  # which rows match is the library's to say
                self.model.upsert([r for r in records if self.model.row_of(r.id) is not None])
                self.base_ids += sorted(new)
            else:
                self.model.upsert([r for r in records
                                   if self.model.row_of(r.id) is not None or r.id in new])
                if new:
                    self.base_ids = self.model.ids()
        self.model.total = len(self.base_ids)
        if self.query:
            self._research.start()
        self.records_changed.emit(touched)

    # -- search ----------------------------------------------------------------------------------
    def set_query(self, query: str) -> None:
        self.query = query.strip()
        self.apply_search()

    def _matching(self) -> list[int]:
        """The scope's shots that match the query, in the scope's order."""
        found = self.lib.search_ids(self.query)
        if self.kind == "all":
            return found                    # already current analyses, in (clip, time) order
        rank = {sid: n for n, sid in enumerate(self.base_ids)}
        return sorted((i for i in found if i in rank), key=rank.__getitem__)

    def apply_search(self) -> None:
        if self.lib is None:
            return
        try:
            ids = self._matching() if self.query else self.base_ids
        except (QueryError, LibraryError) as exc:
            self.search_failed.emit(str(exc).splitlines()[0])
            return
        if ids == self.model.ids():
            return
        if not self.model.narrow_to(ids):
            self.model.set_ids(ids)
        self.results_changed.emit()
