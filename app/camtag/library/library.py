"""The :class:`Library` facade the CLI, the UI and the exporters use (see ``camtag.library``)."""

from __future__ import annotations

import json
import os
from typing import Iterable, Optional, Sequence

from camtag.library import cuts, ops
from camtag.library.errors import LibraryError, UndoError
from camtag.library.events import LibraryEvents
from camtag.library.query_sql import compile_query
from camtag.library.records import (AnalysisRecord, Changes, CollectionRecord, LibraryStatus,
                                    MediaRecord, ShotRecord)
from camtag.library.rows import (analysis_record, analysis_shot_ids, load_shots, media_record,
                                 restore, snapshot)
from camtag.library.schema import LATEST, now
from camtag.library.store import Store
from camtag.model import Analysis, MediaInfo, Shot

_FROM = "FROM media m JOIN shots s ON s.analysis_id = m.current_analysis_id"


class Library:
    def __init__(self, store: Store, found_version: int = LATEST) -> None:
        self.store = store
        self.url = store.url
        self.found_version = found_version          # schema version before any migration
        self.events = LibraryEvents()
        self.undo_stack = ops.UndoStack()
        self._data_version: Optional[int] = None

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @property
    def read_only(self) -> bool:
        return self.store.read_only

    # -- media ---------------------------------------------------------------------------------
    def media(self) -> list[MediaRecord]:
        with self.store.read() as tx:
            return [media_record(r) for r in tx.query("SELECT * FROM media ORDER BY path")]

    def find_media(self, path_or_id: str | int) -> Optional[MediaRecord]:
        with self.store.read() as tx:
            if isinstance(path_or_id, int):
                row = tx.one("SELECT * FROM media WHERE id = ?", (path_or_id,))
            else:
                row = tx.one("SELECT * FROM media WHERE path IN (?, ?) ORDER BY id LIMIT 1",
                             (os.path.realpath(path_or_id), os.path.abspath(path_or_id)))
        return media_record(row) if row is not None else None

    def _media(self, media: MediaRecord | str | int) -> MediaRecord:
        if isinstance(media, MediaRecord):
            return media
        found = self.find_media(media)
        if found is None:
            raise LibraryError(f"{media} is not in the library")
        return found

    def add_media(self, path: str) -> tuple[MediaRecord, str]:
        """Register a file (re-linking a moved one) without analysing it; returns (record, note)."""
        from camtag.library.analyses import register_media

        return register_media(self, os.path.abspath(path))

    def poster_dir(self, media: MediaRecord) -> Optional[str]:
        base = self.store.data_dir()
        return os.path.join(base, media.fingerprint[:16]) if base else None

    # -- analyses --------------------------------------------------------------------------------
    def import_analysis(self, analysis: Analysis, media_path: str | None = None) -> AnalysisRecord:
        """Store a finished Analysis (e.g. read from an analysis JSON) and make it current."""
        from camtag.library.analyses import import_analysis

        return import_analysis(self, analysis, media_path=media_path)

    def analyses(self, media: MediaRecord | str | int) -> list[AnalysisRecord]:
        m = self._media(media)
        with self.store.read() as tx:
            rows = tx.query("SELECT a.*, (SELECT count(*) FROM shots s WHERE s.analysis_id = a.id) "
                            "AS n FROM analyses a WHERE a.media_id = ? ORDER BY a.id", (m.id,))
            return [analysis_record(r, r["n"]) for r in rows]

    def analysis(self, media: MediaRecord | str | int, analysis_id: int | None = None, *,
                 partial: bool = False) -> Analysis:
        """A whole :class:`~camtag.model.Analysis` (current one by default), e.g. for exporters;
        shots carry the editor's cuts and effective tags. An unfinished analysis is refused
        unless ``partial``."""
        m = self._media(media)
        analysis_id = analysis_id or m.current_analysis_id
        if analysis_id is None or m.info is None:
            raise LibraryError(f"{m.name} has no analysis yet")
        with self.store.read() as tx:
            row = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
            shots = load_shots(tx, analysis_shot_ids(tx, analysis_id), whole_analysis=True)
        rec = analysis_record(row)
        if rec.status != "done" and not partial:
            raise LibraryError(f"{m.name}: the analysis is unfinished ({rec.status}, frame "
                               f"{rec.frames_done} of {rec.total_frames or '?'}); "
                               f"`camtag library add` finishes it")
        problems = tuple(json.loads(row["warnings"] or "[]"))
        return Analysis(media=m.info, shots=tuple(s.shot for s in shots), detector=rec.detector,
                        engine=rec.engine, settings=rec.settings,
                        motion=self.motion_curves(analysis_id), warnings=problems)

    def motion_curves(self, analysis_id: int):
        """The analysis' motion curves: a MotionCurves when that class is available, else a dict."""
        from camtag.library import curves

        with self.store.read() as tx:
            blob = tx.scalar("SELECT data FROM motion_curves WHERE analysis_id = ?", (analysis_id,))
        return None if blob is None else curves.decode_motion(blob)

    # -- shots -----------------------------------------------------------------------------------
    def shots(self, media: MediaRecord | str | int) -> list[ShotRecord]:
        """The shots of a media's current analysis, in order."""
        m = self._media(media)
        if m.current_analysis_id is None:
            return []
        with self.store.read() as tx:
            return load_shots(tx, analysis_shot_ids(tx, m.current_analysis_id), whole_analysis=True)

    def shot(self, shot_id: int) -> ShotRecord:
        found = self.get_shots([shot_id])
        if not found:
            raise LibraryError(f"shot {shot_id} does not exist")
        return found[0]

    def get_shots(self, shot_ids: Sequence[int]) -> list[ShotRecord]:
        with self.store.read() as tx:
            return load_shots(tx, list(shot_ids))

    # -- search ----------------------------------------------------------------------------------
    def _lookup_collection(self, name: str):
        with self.store.read() as tx:
            row = tx.one("SELECT kind, query FROM collections WHERE name = ?", (name,))
        return None if row is None else (row["kind"], row["query"])

    def check_query(self, query: str) -> None:
        """Raise :class:`QueryError` if ``query`` is not valid (for live validation in a UI)."""
        compile_query(query, self.store.dialect, self._lookup_collection)

    def search_ids(self, query: str, limit: int | None = None, offset: int = 0) -> list[int]:
        """Ids of matching shots of current analyses, ordered by media path and time."""
        c = compile_query(query, self.store.dialect, self._lookup_collection)
        sql = f"SELECT s.id {self.store.dialect.hits_in_order(c.where)}"
        params = list(c.params)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        with self.store.read() as tx:
            return tx.column(sql, params)

    def search(self, query: str, limit: int | None = None, offset: int = 0) -> list[ShotRecord]:
        """Matching shots (hydrated). ``"pan_left and not handheld"``, ``"tilt_up duration>2s"``..."""
        return self.get_shots(self.search_ids(query, limit, offset))

    def search_for_export(self, query: str) -> list[tuple[MediaInfo, Shot]]:
        """Matching shots as (MediaInfo, Shot) pairs, the form :mod:`camtag.export` accepts."""
        records = self.search(query)
        infos = {m.id: m.info for m in self.media() if m.info is not None}
        return [(infos[r.media_id], r.shot) for r in records if r.media_id in infos]

    def count(self, query: str) -> int:
        c = compile_query(query, self.store.dialect, self._lookup_collection)
        with self.store.read() as tx:
            return int(tx.scalar(f"SELECT count(*) {_FROM} WHERE {c.where}", c.params, 0))

    # -- collections -----------------------------------------------------------------------------
    def collections(self) -> list[CollectionRecord]:
        with self.store.read() as tx:
            return [CollectionRecord(r["id"], r["name"], r["kind"], r["query"], r["created_at"])
                    for r in tx.query("SELECT * FROM collections ORDER BY name")]

    def _new_collection(self, name: str, kind: str, query: str) -> CollectionRecord:
        name = name.strip()
        if not name:
            raise LibraryError("a collection needs a name")
        with self.store.write() as tx:
            if tx.one("SELECT id FROM collections WHERE name = ?", (name,)):
                raise LibraryError(f"a collection named {name!r} already exists")
            cid = tx.insert("INSERT INTO collections (name, kind, query, created_at) "
                            "VALUES (?, ?, ?, ?) RETURNING id", (name, kind, query, now()))
        self.events.collections_did_change.emit(frozenset({name}))
        return CollectionRecord(cid, name, kind, query)

    def save_search(self, name: str, query: str) -> CollectionRecord:
        """A smart collection: a saved query, evaluated live whenever it is opened."""
        self.check_query(query)
        return self._new_collection(name, "smart", query)

    def create_collection(self, name: str, shot_ids: Iterable[int] = ()) -> CollectionRecord:
        record = self._new_collection(name, "manual", "")
        ids = list(shot_ids)
        if ids:
            self.add_to_collection(name, ids)
        return record

    def delete_collection(self, name: str) -> None:
        with self.store.write() as tx:
            tx.execute("DELETE FROM collections WHERE name = ?", (name,))
        self.events.collections_did_change.emit(frozenset({name}))

    def collection_ids(self, name: str, limit: int | None = None) -> list[int]:
        return self.search_ids(f"collection:{json.dumps(name)}", limit)

    def collection_shots(self, name: str, limit: int | None = None) -> list[ShotRecord]:
        return self.get_shots(self.collection_ids(name, limit))

    def add_to_collection(self, name: str, shot_ids: int | Iterable[int]) -> Changes:
        return self.apply(ops.CollectShots(name, shot_ids))

    def remove_from_collection(self, name: str, shot_ids: int | Iterable[int]) -> Changes:
        return self.apply(ops.CollectShots(name, shot_ids, remove=True))

    # -- editor operations (undoable) ------------------------------------------------------------
    def apply(self, command: ops.Command) -> Changes:
        """Run an editor command in one transaction and push it on the undo stack."""
        with self.store.write() as tx:
            before = snapshot(tx, command.affected(tx))
            changes = command.apply(tx, now())
            before.update({sid: None for sid in changes.added_shots})
            after = snapshot(tx, before)
        self.undo_stack.push(ops.UndoEntry(command.label, before, after, changes))
        self._emit(changes)
        return changes

    def _emit(self, changes: Changes) -> None:
        self.events.shots_did_change.emit(changes)
        if changes.collections:
            self.events.collections_did_change.emit(changes.collections)
        self.events.undo_did_change.emit()

    def _swap(self, source: list, target: list, undo: bool) -> Optional[Changes]:
        if not source:
            return None
        entry = source[-1]
        expect, goal = (entry.after, entry.before) if undo else (entry.before, entry.after)
        with self.store.write() as tx:
            if snapshot(tx, expect) != expect:
                raise UndoError(f"cannot {'undo' if undo else 'redo'} {entry.label!r}: those shots "
                                f"were changed elsewhere since")
            restore(tx, goal)
        target.append(source.pop())
        changes = entry.changes.inverted() if undo else entry.changes
        self._emit(changes)
        return changes

    def undo(self) -> Optional[Changes]:
        """Undo the last editor command; returns what changed (None if nothing to undo)."""
        return self._swap(self.undo_stack.undo_entries, self.undo_stack.redo_entries, undo=True)

    def redo(self) -> Optional[Changes]:
        return self._swap(self.undo_stack.redo_entries, self.undo_stack.undo_entries, undo=False)

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack.undo_entries)

    @property
    def can_redo(self) -> bool:
        return bool(self.undo_stack.redo_entries)

    def confirm_tag(self, shot_ids: int | Iterable[int], tag: str) -> Changes:
        return self.apply(ops.ConfirmTag(shot_ids, tag))

    def reject_tag(self, shot_ids: int | Iterable[int], tag: str) -> Changes:
        return self.apply(ops.RejectTag(shot_ids, tag))

    def add_tag(self, shot_ids: int | Iterable[int], tag: str, start_frame: int | None = None,
                end_frame: int | None = None) -> Changes:
        return self.apply(ops.AddTag(shot_ids, tag, start_frame, end_frame))

    def split_shot(self, shot_id: int, frame: int,
                   posters: tuple[Optional[str], Optional[str]] = (None, None)) -> Changes:
        """Split at ``frame``; ``posters`` are the halves' new poster files (None: keep/none)."""
        return self.apply(cuts.SplitShot(shot_id, frame, tuple(posters),
                                         cuts.reread(self, shot_id, frame)))

    def merge_shots(self, shot_id: int) -> Changes:
        """Merge ``shot_id`` with the shot after it."""
        return self.apply(cuts.MergeShots(shot_id, cuts.reread_merge(self, shot_id)))

    def move_cut(self, shot_id: int, frame: int) -> Changes:
        """Move the cut at the start of ``shot_id`` to ``frame``."""
        return self.apply(cuts.MoveCut(shot_id, frame))

    def edit_note(self, shot_id: int, text: str) -> Changes:
        return self.apply(ops.EditNote(shot_id, text))

    # -- status ----------------------------------------------------------------------------------
    def status(self) -> LibraryStatus:
        with self.store.read() as tx:
            media = [media_record(r) for r in tx.query("SELECT * FROM media ORDER BY path")]
            shots = tx.scalar(f"SELECT count(*) {_FROM}", (), 0)
            analyses = {r[0]: r[1] for r in tx.query(
                "SELECT status, count(*) FROM analyses GROUP BY status")}
            tags = {r[0]: r[1] for r in tx.query(
                f"SELECT t.state, count(*) {_FROM} JOIN tags t ON t.shot_id = s.id GROUP BY t.state")}
            ncoll = tx.scalar("SELECT count(*) FROM collections", (), 0)
            unfinished = tuple(analysis_record(r, r["n"]) for r in tx.query(
                "SELECT a.*, (SELECT count(*) FROM shots s WHERE s.analysis_id = a.id) AS n "
                "FROM analyses a WHERE a.status <> 'done' ORDER BY a.id"))
            version = tx.scalar("SELECT max(version) FROM schema_version", (), 0)
        missing, changed = [], []
        for m in media:
            try:
                st = os.stat(m.path)
            except OSError:
                missing.append(m)
                continue
            if (st.st_size, st.st_mtime_ns) != (m.size_bytes, m.mtime_ns):
                changed.append(m)
        return LibraryStatus(str(self.url), int(version), self.read_only, self.store.size_bytes(),
                             len(media), int(shots), analyses, tags, int(ncoll), unfinished,
                             tuple(missing), tuple(changed))

    def poll_external_changes(self) -> bool:
        """True (and ``library_did_change_externally`` emitted) if another connection committed
        since the last call; a UI calls this on a timer."""
        version = self.store.data_version()
        changed = self._data_version is not None and version != self._data_version
        self._data_version = version
        if changed:
            self.events.library_did_change_externally.emit()
        return changed
