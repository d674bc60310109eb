"""Rows <-> records: writing a :class:`~camtag.model.Shot` with its children, reading shots back,
and raw snapshots of shots (used by undo/redo)."""

from __future__ import annotations

import json
from typing import Iterable, Sequence

from camtag.analysis_json import media_from_dict
from camtag.library import curves
from camtag.library.records import AnalysisRecord, MediaRecord, ShotRecord, TagRecord
from camtag.library.store import Tx
from camtag.model import Segment, Shot, Trace, Transition

CHUNK = 500
SHOT_CHILDREN = ("tags", "segments", "traces", "notes", "shot_evidence", "collection_shots")


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def marks(n: int) -> str:
    return ", ".join("?" * n)


# -- writing ---------------------------------------------------------------------------------
def insert_tag_rows(tx: Tx, shot_id: int, tags, now: str) -> None:
    tx.executemany(
        "INSERT INTO tags (shot_id, tag, source, state, confidence, reason, start_frame, end_frame, "
        "created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(shot_id, t.id, t.source, "added" if t.source == "editor" else "proposed",
          float(t.confidence), t.reason or "", t.start_frame, t.end_frame, now,
          now if t.source == "editor" else None) for t in tags])


def write_shot(tx: Tx, analysis_id: int, media_id: int, shot: Shot, now: str) -> int | None:
    """Insert a shot and its tags, segments, traces and note. Idempotent: a shot already stored for
    this analysis at the same start frame is left alone and None is returned."""
    tr = shot.transition_in
    shot_id = tx.insert(
        "INSERT INTO shots (analysis_id, media_id, idx, start_frame, end_frame, transition_type, "
        "transition_start, transition_end, poster) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (analysis_id, start_frame) DO NOTHING RETURNING id",
        (analysis_id, media_id, shot.index, shot.start_frame, shot.end_frame,
         tr.type if tr else None, tr.start_frame if tr else None, tr.end_frame if tr else None,
         shot.poster))
    if shot_id is None:
        return None
    if shot.evidence:
        tx.execute("INSERT INTO shot_evidence (shot_id, data) VALUES (?, ?)",
                   (shot_id, curves.encode(shot.evidence)))
    insert_tag_rows(tx, shot_id, shot.tags, now)
    if shot.segments:
        tx.executemany("INSERT INTO segments (shot_id, start_frame, end_frame, tags, confidence) "
                       "VALUES (?, ?, ?, ?, ?)",
                       [(shot_id, g.start_frame, g.end_frame, " ".join(g.tags), float(g.confidence))
                        for g in shot.segments])
    if shot.traces:
        tx.executemany("INSERT INTO traces (shot_id, source, observation, reasoning, answer, raw, "
                       "problems) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(shot_id, t.source, t.observation, t.reasoning, t.answer, t.raw,
                         json.dumps(list(t.problems))) for t in shot.traces])
    if shot.note:
        tx.execute("INSERT INTO notes (shot_id, body, updated_at) VALUES (?, ?, ?)",
                   (shot_id, shot.note, now))
    return shot_id


# -- reading ---------------------------------------------------------------------------------
def media_record(row) -> MediaRecord:
    info = None
    try:
        data = json.loads(row["info"] or "{}")
        if data.get("rate") and data.get("width") is not None:
            info = media_from_dict(data)
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        info = None
    return MediaRecord(row["id"], row["path"], row["name"], row["size_bytes"], row["mtime_ns"],
                       row["fingerprint"], info, row["current_analysis_id"], row["added_at"])


def analysis_record(row, shots: int = 0, **extra) -> AnalysisRecord:
    return AnalysisRecord(
        row["id"], row["media_id"], row["engine"], row["model"], row["detector"],
        json.loads(row["settings"] or "{}"), row["camtag_version"], row["status"],
        row["frames_done"], row["total_frames"], shots, row["started_at"], row["finished_at"],
        row["error"], **extra)


def tag_record(row) -> TagRecord:
    return TagRecord(row["id"], row["tag"], row["source"], row["state"], row["confidence"],
                     row["reason"], row["start_frame"], row["end_frame"],
                     row["changed_at"] or row["created_at"])


_ORDINAL = ("(SELECT count(*) FROM shots s2 WHERE s2.analysis_id = s.analysis_id "
            "AND s2.start_frame < s.start_frame)")


def _shot_select(ordinal: bool) -> str:
    return (f"SELECT s.*, m.path AS media_path, n.body AS note, e.data AS evidence, "
            f"{_ORDINAL if ordinal else '0'} AS ordinal FROM shots s JOIN media m ON m.id = s.media_id "
            f"LEFT JOIN notes n ON n.shot_id = s.id LEFT JOIN shot_evidence e ON e.shot_id = s.id ")


def load_shots(tx: Tx, shot_ids: Sequence[int], whole_analysis: bool = False) -> list[ShotRecord]:
    """Hydrate shots in the order given (ids that no longer exist are skipped).

    ``Shot.index`` is the shot's position in its analysis; with ``whole_analysis`` the ids are
    all of one analysis in order, so the position is simply the place in the list."""
    rows: dict[int, object] = {}
    tags: dict[int, list] = {}
    segments: dict[int, list] = {}
    traces: dict[int, list] = {}
    for part in chunks(list(shot_ids)):
        q = marks(len(part))
        for r in tx.query(_shot_select(not whole_analysis) + f"WHERE s.id IN ({q})", part):
            rows[r["id"]] = r
        for r in tx.query(f"SELECT * FROM tags WHERE shot_id IN ({q}) ORDER BY id", part):
            tags.setdefault(r["shot_id"], []).append(tag_record(r))
        for r in tx.query(f"SELECT * FROM segments WHERE shot_id IN ({q}) ORDER BY id", part):
            segments.setdefault(r["shot_id"], []).append(
                Segment(r["start_frame"], r["end_frame"], tuple(r["tags"].split()), r["confidence"]))
        for r in tx.query(f"SELECT * FROM traces WHERE shot_id IN ({q}) ORDER BY id", part):
            traces.setdefault(r["shot_id"], []).append(
                Trace(r["observation"], r["reasoning"], r["answer"], r["source"], r["raw"],
                      tuple(json.loads(r["problems"] or "[]"))))
    out = []
    for position, sid in enumerate(shot_ids):
        r = rows.get(sid)
        if r is None:
            continue
        trs = None
        if r["transition_type"]:
            trs = Transition(r["transition_type"], r["transition_start"], r["transition_end"])
        records = tuple(tags.get(sid, ()))
        shot = Shot(index=position if whole_analysis else r["ordinal"],
                    start_frame=r["start_frame"], end_frame=r["end_frame"],
                    transition_in=trs, poster=r["poster"],
                    tags=tuple(t.to_tag() for t in records if t.effective),
                    segments=tuple(segments.get(sid, ())), traces=tuple(traces.get(sid, ())),
                    evidence=curves.to_plain(curves.decode(r["evidence"])), note=r["note"] or "")
        out.append(ShotRecord(sid, r["media_id"], r["analysis_id"], r["media_path"], shot, records))
    return out


def analysis_shot_ids(tx: Tx, analysis_id: int) -> list[int]:
    return [r[0] for r in tx.query("SELECT id FROM shots WHERE analysis_id = ? ORDER BY start_frame",
                                   (analysis_id,))]


# -- raw snapshots (undo/redo) ---------------------------------------------------------------
def snapshot(tx: Tx, shot_ids: Iterable[int]) -> dict[int, dict | None]:
    """Every row that belongs to each shot, exactly as stored (None: the shot does not exist)."""
    out: dict[int, dict | None] = {}
    for sid in sorted(set(shot_ids)):
        row = tx.one("SELECT * FROM shots WHERE id = ?", (sid,))
        if row is None:
            out[sid] = None
            continue
        data = {"shots": [dict(row)]}
        for table in SHOT_CHILDREN:
            order = "id" if table in ("tags", "segments", "traces") else "shot_id"
            data[table] = [dict(r) for r in tx.query(
                f"SELECT * FROM {table} WHERE shot_id = ? ORDER BY {order}", (sid,))]
        out[sid] = data
    return out


def restore(tx: Tx, snap: dict[int, dict | None]) -> None:
    """Make the shots in ``snap`` exactly as captured (deleting those captured as absent)."""
    for sid in snap:
        tx.execute("DELETE FROM shots WHERE id = ?", (sid,))
    for sid, data in snap.items():
        if data is None:
            continue
        for table in ("shots",) + SHOT_CHILDREN:
            for row in data[table]:
                cols = list(row)
                tx.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks(len(cols))})",
                           [row[c] for c in cols])
    tx.store.dialect.after_explicit_ids(tx, ("shots", "tags", "segments", "traces"))
