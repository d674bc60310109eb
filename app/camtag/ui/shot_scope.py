"""What the browser shows, kept in step with the library: one clip's shots, all shots, or a
collection, narrowed by the search bar. Library changes (analysis streaming shots in, editor
operations, undo) update only the rows they touch.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from camtag.library import Changes, LibraryError, QueryError, ShotRecord
from camtag.model import MediaInfo
from camtag.ui.library_bridge import LibraryBridge
from camtag.ui.shot_model import ShotFilterProxy, ShotTableModel


class ShotScope(QObject):
    records_changed = Signal(object)        # ids whose rows changed (frozenset) or None = all
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
        self._media_infos: dict[int, MediaInfo] = {}
        self._research = QTimer(self)
        self._research.setSingleShot(True)
        self._research.setInterval(300)
        self._research.timeout.connect(self.apply_search)
        bridge.shots_changed.connect(self.on_changes)

    @property
    def lib(self):
        return self.bridge.lib

    # -- media infos for timecode ----------------------------------------------------------------
    def media_info(self, media_id: int) -> Optional[MediaInfo]:
        if media_id not in self._media_infos and self.lib is not None:
            self.refresh_media_infos()
        return self._media_infos.get(media_id)

    def refresh_media_infos(self, override: Optional[tuple[int, MediaInfo]] = None) -> None:
        if self.lib is None:
            return
        self._media_infos = {m.id: m.info for m in self.lib.media() if m.info is not None}
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
        records: list[ShotRecord] = []
        if lib is not None:
            try:
                records = self._load(lib)
            except LibraryError as exc:
                self.search_failed.emit(str(exc))
        self.model.set_records(records)
        self.apply_search()
        self.records_changed.emit(None)

    def _load(self, lib) -> list[ShotRecord]:
        if self.kind == "collection":
            return lib.collection_shots(str(self.value))
        if self.kind == "all":
            out: list[ShotRecord] = []
            for m in lib.media():
                out.extend(lib.shots(m))
            return out
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
        if ids:
            records = lib.get_shots(sorted(ids))
            keep = [r for r in records if self.model.row_of(r.id) is not None or self.belongs(r)]
            self.model.upsert(keep)
        if self.query:
            self._research.start()
        self.records_changed.emit(touched)

    # -- search ----------------------------------------------------------------------------------
    def set_query(self, query: str) -> None:
        self.query = query.strip()
        self.apply_search()

    def apply_search(self) -> None:
        if not self.query or self.lib is None:
            self.proxy.set_allowed(None)
            return
        try:
            ids = self.lib.search_ids(self.query)
        except (QueryError, LibraryError) as exc:
            self.search_failed.emit(str(exc).splitlines()[0])
            return
        self.proxy.set_allowed(ids)

    def shots_of_current_media(self) -> list[ShotRecord]:
        return [r for r in self.model.records() if self.kind != "media" or r.media_id == self.value]
