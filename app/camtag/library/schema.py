"""Versioned schema migrations. Each version is applied once, in one transaction, and recorded in
``schema_version``; a library from a newer camtag is refused untouched.

The DDL is portable SQL with type slots (see :mod:`camtag.library.store`); the full-text indexes are
written by each dialect. ``MIGRATIONS[0]`` (version 1) is also the fixture the migration test starts from.

Tables: media (one row per file; content fingerprint to re-link moved files), analyses (one per run
of the pipeline with given settings; every analysis is kept), shots, shot_evidence, tags (proposed
by geometry/vlm/fusion, with the editor's state), segments, traces, notes, motion_curves (compressed
binary),
collections (smart = saved query, manual = listed shots) and collection_shots; analysis_parts and
part_shots (the segments of an analysis split over several workers, while it runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from camtag import __version__
from camtag.library.errors import LibraryReadOnlyError, SchemaTooNewError
from camtag.library.store import Dialect, Store

EFFECTIVE_CONFIDENCE = "CASE WHEN state IN ('confirmed', 'added') THEN 1.0 ELSE confidence END"
TAG_STATES = ("proposed", "confirmed", "rejected", "added")
ANALYSIS_STATUSES = ("running", "cancelled", "failed", "done")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    dialect_statements: Callable[[Dialect], list[str]] | None = None

    def sql(self, dialect: Dialect) -> list[str]:
        out = [dialect.ddl(s) for s in self.statements]
        if self.dialect_statements is not None:
            out += self.dialect_statements(dialect)
        return out


V1 = Migration(1, "initial library", (
    """CREATE TABLE schema_version (
        version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, camtag_version TEXT NOT NULL)""",
    """CREATE TABLE media (
        id {pk},
        path TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        size_bytes {bigint} NOT NULL,
        mtime_ns {bigint} NOT NULL,
        fingerprint TEXT NOT NULL,
        fps {float},
        frames INTEGER,
        info TEXT NOT NULL DEFAULT '{{}}',
        current_analysis_id INTEGER,
        added_at TEXT NOT NULL)""",
    "CREATE INDEX media_fingerprint ON media(fingerprint)",
    """CREATE TABLE analyses (
        id {pk},
        media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,
        engine TEXT NOT NULL,
        model TEXT NOT NULL DEFAULT '',
        detector TEXT NOT NULL,
        settings TEXT NOT NULL,
        settings_key TEXT NOT NULL,
        camtag_version TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'cancelled', 'failed', 'done')),
        frames_done INTEGER NOT NULL DEFAULT 0,
        total_frames INTEGER,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        error TEXT NOT NULL DEFAULT '',
        warnings TEXT NOT NULL DEFAULT '[]')""",
    "CREATE INDEX analyses_media ON analyses(media_id, settings_key)",
    """CREATE TABLE shots (
        id {pk},
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start_frame INTEGER NOT NULL,
        end_frame INTEGER NOT NULL,
        transition_type TEXT,
        transition_start INTEGER,
        transition_end INTEGER,
        poster TEXT,
        CHECK (end_frame > start_frame),
        UNIQUE (analysis_id, start_frame))""",
    "CREATE INDEX shots_media ON shots(media_id)",
    # evidence (measurements behind the tags) is read only when a shot is shown: kept out of
    # the shots rows so that searches scan narrow rows
    """CREATE TABLE shot_evidence (
        shot_id INTEGER PRIMARY KEY REFERENCES shots(id) ON DELETE CASCADE,
        data {blob} NOT NULL)""",
    """CREATE TABLE tags (
        id {pk},
        shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('proposed', 'confirmed', 'rejected', 'added')),
        confidence {float} NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        start_frame INTEGER,
        end_frame INTEGER,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX tags_by_shot ON tags(shot_id)",
    "CREATE INDEX tags_by_tag ON tags(tag, state, shot_id)",
    """CREATE TABLE segments (
        id {pk},
        shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
        start_frame INTEGER NOT NULL,
        end_frame INTEGER NOT NULL,
        tags TEXT NOT NULL,
        confidence {float} NOT NULL DEFAULT 0)""",
    "CREATE INDEX segments_by_shot ON segments(shot_id)",
    """CREATE TABLE traces (
        id {pk},
        shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        observation TEXT NOT NULL DEFAULT '',
        reasoning TEXT NOT NULL DEFAULT '',
        answer TEXT NOT NULL DEFAULT '',
        raw TEXT NOT NULL DEFAULT '',
        problems TEXT NOT NULL DEFAULT '[]')""",
    "CREATE INDEX traces_by_shot ON traces(shot_id)",
    """CREATE TABLE notes (
        shot_id INTEGER PRIMARY KEY REFERENCES shots(id) ON DELETE CASCADE,
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE collections (
        id {pk},
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('smart', 'manual')),
        query TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL)""",
    """CREATE TABLE collection_shots (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
        PRIMARY KEY (collection_id, shot_id))""",
    "CREATE INDEX collection_shots_by_shot ON collection_shots(shot_id)",
))

V2 = Migration(2, "full-text search, motion curves, analysis leases, tag decision times", (
    "ALTER TABLE tags ADD COLUMN changed_at TEXT",
    "UPDATE tags SET changed_at = created_at",
    "ALTER TABLE analyses ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE analyses ADD COLUMN heartbeat_at TEXT",
    """CREATE TABLE motion_curves (
        analysis_id INTEGER PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
        codec TEXT NOT NULL,
        data {blob} NOT NULL)""",
    # the shot's best non-rejected tag confidence (confirmed/added count as 1), kept by triggers
    "ALTER TABLE shots ADD COLUMN max_confidence {float}",
    "UPDATE shots SET max_confidence = (SELECT max(" + EFFECTIVE_CONFIDENCE + ") FROM tags "
    "WHERE tags.shot_id = shots.id AND tags.state <> 'rejected')",
    "CREATE INDEX shots_by_confidence ON shots(max_confidence)",
    "CREATE INDEX tags_by_source ON tags(source, state, shot_id)",
    "CREATE INDEX tags_by_state ON tags(state, shot_id)",
    "CREATE INDEX media_current ON media(current_analysis_id, path, name, fps)",
), lambda dialect: dialect.fts_statements() + dialect.score_statements())

V3 = Migration(3, "segmented analyses (a long file split into parts run in parallel)", (
    # one row per segment of an analysis whose file is split (camtag batch --ray): the frames it
    # owns, its lease, and what it saw at its closing boundary (for the seam check)
    """CREATE TABLE analysis_parts (
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        part INTEGER NOT NULL,
        own_from INTEGER NOT NULL,
        own_until INTEGER,
        preroll INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'planned'
            CHECK (status IN ('planned', 'running', 'failed', 'done')),
        owner TEXT NOT NULL DEFAULT '',
        heartbeat_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        frames_done INTEGER NOT NULL DEFAULT 0,
        closing INTEGER,
        closing_type TEXT,
        closing_start INTEGER,
        closing_end INTEGER,
        tail {blob},
        info TEXT NOT NULL DEFAULT '{{}}',
        error TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (analysis_id, part))""",
    # per stored shot of a segmented analysis: the run that made it, its raw motion columns and
    # the transition that ends it; stitched into motion_curves and dropped when the analysis is done
    """CREATE TABLE part_shots (
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        start_frame INTEGER NOT NULL,
        end_frame INTEGER NOT NULL,
        part INTEGER NOT NULL,
        next_type TEXT,
        next_start INTEGER,
        next_end INTEGER,
        curves {blob},
        PRIMARY KEY (analysis_id, start_frame))""",
    # the file's frame PTS in presentation order (int64 deltas, zlib), scanned once when the split
    # is planned, so that a segment seeks to its first frame without reading the whole file
    """CREATE TABLE analysis_frame_index (
        analysis_id INTEGER PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
        pts {blob} NOT NULL)""",
))

MIGRATIONS: tuple[Migration, ...] = (V1, V2, V3)
LATEST = MIGRATIONS[-1].version


def now() -> str:
    """UTC timestamps as ISO text (portable across backends, sortable)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def ensure_schema(store: Store) -> int:
    """Check the stored version and migrate to :data:`LATEST`; return the version found."""
    found = store.open()
    if found > LATEST:
        raise SchemaTooNewError(
            f"library {store.description} was written by a newer camtag (schema {found}, this "
            f"camtag reads up to {LATEST}); it was not changed: upgrade camtag or use another library")
    if found == LATEST:
        store.prepare_for_writes()
        return found
    if store.read_only:
        raise LibraryReadOnlyError(
            f"library {store.description} has schema {found} and must be upgraded to {LATEST}, "
            f"but it is read-only; open it once with write access")
    store.prepare_for_writes()
    migrate(store, LATEST)
    return found


def migrate(store: Store, target: int) -> None:
    """Apply the missing migrations up to ``target`` in one transaction (all or nothing)."""
    with store.write() as tx:
        exists = tx.scalar(store.dialect.table_exists(), ("schema_version",), default=0)
        current = int(tx.scalar("SELECT max(version) FROM schema_version", default=0)) if exists else 0
        for migration in MIGRATIONS:
            if current < migration.version <= target:
                for statement in migration.sql(store.dialect):
                    tx.execute(statement)
                tx.execute("INSERT INTO schema_version (version, applied_at, camtag_version) "
                           "VALUES (?, ?, ?)", (migration.version, now(), __version__))
