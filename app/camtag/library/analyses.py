"""Storage of analyses for the runs (camtag.runs): register media, claim and lease an analysis,
store its shots one by one, heartbeat, mark it stopped, finish it; and import a finished one.

An analysis row is found by its media, content fingerprint and key (what ran: see
``camtag.runs.request``); an unfinished one is resumed by the next run with the same key and
camtag version. Nothing here runs the pipeline.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Sequence

import numpy as np

from camtag import __version__
from camtag.analysis_json import media_to_dict
from camtag.library import curves
from camtag.library.errors import LibraryBusyError, LibraryError
from camtag.library.leases import lease_alive, owner_id
from camtag.library.media_files import file_state, fingerprint, probe_info, same_file
from camtag.library.records import AnalysisRecord, Changes, MediaRecord, RunOutcome
from camtag.library.rows import analysis_record, load_shots, media_record, write_shot
from camtag.library.schema import now
from camtag.model import AnalysisRequest, Shot

if TYPE_CHECKING:
    from camtag.library.library import Library


INCOMPLETE = "incomplete: "      # error prefix of a finished analysis the next run does again


def model_name(request: AnalysisRequest) -> str:
    """The model file an analysis names (empty for the geometric engine)."""
    r = request.reasoner
    return str(r.get("model_path") or r.get("hf_model_dir") or r.get("server_model") or "")


# -- media registration ------------------------------------------------------------------------
def register_media(lib: "Library", path: str) -> tuple[MediaRecord, str]:
    """Find or add the media row for ``path``; re-link a moved file by its content fingerprint.

    A symlink is resolved and a hard link to a registered file (same device and inode) is that
    file's record: links to one file are one media row. Safe against other writers: the row is
    looked up again inside the write transaction and inserted with ``ON CONFLICT DO NOTHING``.
    Returns the record and a one-line note for the user ("" when nothing special happened).
    """
    st = file_state(path)
    with lib.store.read() as tx:
        row = tx.one("SELECT * FROM media WHERE path = ?", (st.path,))
    if row is not None and (row["size_bytes"], row["mtime_ns"]) == (st.size_bytes, st.mtime_ns):
        return media_record(row), ""
    fp = fingerprint(st.path, st.size_bytes)
    note, info = "", {}
    name = os.path.basename(st.path)
    with lib.store.read() as tx:
        same = tx.query("SELECT * FROM media WHERE fingerprint = ? AND path <> ?", (fp, st.path))
    if row is None:
        linked = next((r for r in same if same_file(r["path"], st.path)), None)
        if linked is not None:
            if (linked["size_bytes"], linked["mtime_ns"]) != (st.size_bytes, st.mtime_ns):
                with lib.store.write() as tx:       # the same file, touched since: note its state
                    tx.execute("UPDATE media SET size_bytes = ?, mtime_ns = ? WHERE id = ?",
                               (st.size_bytes, st.mtime_ns, linked["id"]))
                    linked = tx.one("SELECT * FROM media WHERE id = ?", (linked["id"],))
            return media_record(linked), f"{name} is a link to {linked['path']} (one media record)"
    moved = [r for r in same if not os.path.exists(r["path"])]
    if row is None and not moved or row is not None and row["fingerprint"] != fp:
        info = probe_info(st.path)
    with lib.store.write() as tx:
        current = tx.one("SELECT * FROM media WHERE path = ?", (st.path,))
        if row is None and current is not None:     # another process registered it meanwhile
            media_id = current["id"]
        elif row is not None:
            if row["fingerprint"] != fp:
                note = (f"{name} changed since it was analysed (content differs); it is analysed "
                        f"again and the previous analysis is kept")
                tx.execute("UPDATE media SET size_bytes = ?, mtime_ns = ?, fingerprint = ?, info = ?, "
                           "fps = ?, frames = ? WHERE id = ?",
                           (st.size_bytes, st.mtime_ns, fp, json.dumps(info), _fps(info),
                            info.get("frames"), row["id"]))
            else:
                tx.execute("UPDATE media SET size_bytes = ?, mtime_ns = ? WHERE id = ?",
                           (st.size_bytes, st.mtime_ns, row["id"]))
            media_id = row["id"]
        elif moved and tx.scalar("SELECT path FROM media WHERE id = ?",
                                 (moved[0]["id"],)) == moved[0]["path"]:
            old = moved[0]
            note = f"re-linked moved media: {old['path']} -> {st.path}"
            info = json.loads(old["info"] or "{}")
            info["path"] = st.path
            tx.execute("UPDATE media SET path = ?, name = ?, mtime_ns = ?, info = ? WHERE id = ?",
                       (st.path, name, st.mtime_ns, json.dumps(info), old["id"]))
            media_id = old["id"]
        else:
            if not info:          # a moved row another process re-linked meanwhile
                info = probe_info(st.path)
            tx.execute(
                "INSERT INTO media (path, name, size_bytes, mtime_ns, fingerprint, fps, frames, info, "
                "added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO NOTHING",
                (st.path, name, st.size_bytes, st.mtime_ns, fp, _fps(info), info.get("frames"),
                 json.dumps(info), now()))
            media_id = tx.scalar("SELECT id FROM media WHERE path = ?", (st.path,))
        record = media_record(tx.one("SELECT * FROM media WHERE id = ?", (media_id,)))
    lib.events.media_did_change.emit(frozenset({media_id}))
    return record, note


def _fps(info: dict) -> float | None:
    try:
        num, den = str(info["rate"]).split("/")
        return int(num) / int(den)
    except (KeyError, ValueError, ZeroDivisionError):
        return None


# -- claiming, marking, finishing ------------------------------------------------------------
def claim(lib: "Library", media: MediaRecord, request: AnalysisRequest, key: str, *,
          again: bool = False, owner: str | None = None,
          whole_only: bool = False) -> tuple[AnalysisRecord | None, bool]:
    """Pick the analysis to run (or the finished one to skip to), in one write transaction.
    ``key``: what the run will be (runs.request.analysis_key); returns (record, resumed).

    ``owner``: the lease holder (default: this process; a batch driver claims for its tasks and
    may claim again). ``whole_only``: return ``(None, False)`` instead of claiming an unfinished
    analysis that already holds shots of a whole-file run (so it is resumed as one)."""
    reclaim = owner is not None             # a named owner may take its own claim again
    owner = owner or owner_id()
    settings = request.settings()
    with lib.store.write() as tx:
        rows = tx.query("SELECT * FROM analyses WHERE media_id = ? AND settings_key = ? AND "
                        "fingerprint = ? ORDER BY id DESC", (media.id, key, media.fingerprint))
        finished = next((r for r in rows if r["status"] == "done"), None)
        done = None if finished is None or str(finished["error"] or "").startswith(INCOMPLETE) \
            else finished          # the latest finished one, unless it is marked incomplete
        if done is not None and not again:
            shots = tx.scalar("SELECT count(*) FROM shots WHERE analysis_id = ?", (done["id"],), 0)
            return analysis_record(done, shots, skipped=True), False
        open_ = next((r for r in rows if r["status"] != "done"
                      and r["camtag_version"] == __version__), None)
        if finished is not None and open_ is not None and open_["id"] < finished["id"]:
            open_ = None
        if open_ is not None and not (reclaim and open_["owner"] == owner) and \
                lease_alive(str(lib.url), open_):
            raise LibraryBusyError(f"{media.name} is being analysed by another camtag process "
                                   f"({open_['owner']}); try again when it is done")
        if whole_only and open_ is not None and \
                tx.scalar("SELECT count(*) FROM shots WHERE analysis_id = ?", (open_["id"],), 0) and \
                not tx.scalar("SELECT count(*) FROM analysis_parts WHERE analysis_id = ?",
                              (open_["id"],), 0):
            return None, False
        if open_ is not None:
            tx.execute("UPDATE analyses SET status = 'running', owner = ?, heartbeat_at = ?, "
                       "error = '' WHERE id = ?", (owner, now(), open_["id"]))
            analysis_id, resumed = open_["id"], True
        else:
            analysis_id = tx.insert(
                "INSERT INTO analyses (media_id, fingerprint, engine, model, detector, settings, "
                "settings_key, camtag_version, status, total_frames, started_at, owner, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?) RETURNING id",
                (media.id, media.fingerprint, request.engine, model_name(request), request.detector,
                 json.dumps(settings, default=str), key,
                 __version__, media.info.frames if media.info else None, now(), owner, now()))
            resumed = False
        if media.current_analysis_id is None:     # a first analysis streams into the library
            tx.execute("UPDATE media SET current_analysis_id = ? WHERE id = ?", (analysis_id, media.id))
        row = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
        return analysis_record(row), resumed


def mark(lib: "Library", analysis_id: int, status: str, error: str = "") -> None:
    try:
        with lib.store.write() as tx:
            tx.execute("UPDATE analyses SET status = ?, error = ?, owner = '' WHERE id = ? "
                       "AND status <> 'done'", (status, error[:500], analysis_id))
    except LibraryError:
        pass        # e.g. the disk is full: the analysis stays resumable all the same


# -- a running analysis ------------------------------------------------------------------------
def stored_shots(lib: "Library", analysis_id: int) -> tuple[Shot, ...]:
    """The shots stored so far, in frame order (what a resumed run keeps)."""
    with lib.store.read() as tx:
        ids = [r[0] for r in tx.query("SELECT id FROM shots WHERE analysis_id = ? "
                                      "ORDER BY start_frame", (analysis_id,))]
        return tuple(r.shot for r in load_shots(tx, ids, whole_analysis=True))


WHOLE_RUN = -2      # part_shots.part of a whole-file run's shot columns (kept for a resume)


def store_shot(lib: "Library", analysis_id: int, media_id: int, shot: Shot,
               motion=None) -> int | None:
    """One finished shot in its own transaction, with the run's heartbeat (idempotent: None when
    a shot at that frame is stored already). ``motion``: the shot's raw motion columns, kept until
    the analysis finishes so that a stopped and resumed run still has the whole file's curves."""
    blob = curves.encode_motion(motion) if motion is not None else None
    with lib.store.write() as tx:
        sid = write_shot(tx, analysis_id, media_id, shot, now())
        if blob is not None:
            tx.execute("INSERT INTO part_shots (analysis_id, start_frame, end_frame, part, curves) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (analysis_id, start_frame) DO NOTHING",
                       (analysis_id, shot.start_frame, shot.end_frame, WHOLE_RUN, blob))
        tx.execute("UPDATE analyses SET frames_done = ?, heartbeat_at = ? WHERE id = ?",
                   (shot.end_frame, now(), analysis_id))
    if sid is not None:
        lib.events.shots_did_change.emit(Changes(added_shots=frozenset({sid}), label="analysis"))
    return sid


def with_stored_start(tx, analysis_id: int, motion):
    """A resumed run measured motion from its resume point on: put the columns its stopped
    attempts stored with their shots in front (unchanged when they do not cover the start)."""
    from camtag.motion.curves import MotionCurves

    if not isinstance(motion, MotionCurves) or not motion.start_frame:
        return motion
    first = motion.start_frame

    rows = tx.query("SELECT start_frame, end_frame, curves FROM part_shots WHERE analysis_id = ? "
                    "AND part = ? AND start_frame < ? ORDER BY start_frame",
                    (analysis_id, WHOLE_RUN, first))
    chunks, at = [], 0
    for row in rows:
        start, end, blob = row[0], row[1], row[2]
        chunk = curves.decode_motion(bytes(blob)) if blob is not None else None
        if not isinstance(chunk, MotionCurves) or start != at or chunk.start_frame != start \
                or chunk.end_frame != end or set(chunk.arrays) != set(motion.arrays):
            return motion
        chunks.append(chunk)
        at = end
    if at != first:
        return motion
    arrays = {k: np.concatenate([np.asarray(c.arrays[k]) for c in chunks] + [np.asarray(v)])
              for k, v in motion.arrays.items()}
    breaks = [c.start_frame for c in chunks[1:]] + [first, *motion.breaks]
    return MotionCurves(0, motion.rate, arrays, tuple(breaks), motion.width)


def heartbeat(lib: "Library", analysis_ids: Sequence[int], owner: str | None = None) -> None:
    """Refresh the lease of ``owner`` (default: this process) on running analyses."""
    if not analysis_ids:
        return
    marks = ", ".join("?" * len(analysis_ids))
    with lib.store.write() as tx:
        tx.execute(f"UPDATE analyses SET heartbeat_at = ? WHERE owner = ? AND status = 'running' "
                   f"AND id IN ({marks})", (now(), owner or owner_id(), *analysis_ids))


def finish(lib: "Library", media: MediaRecord, analysis_id: int, request: AnalysisRequest,
           result: RunOutcome, incomplete: str = "") -> AnalysisRecord:
    """Store what the streaming missed, the media info and motion curves; promote; all in one go.
    ``incomplete``: why the result may not cover the file as it is (it changed while decoding,
    fewer frames decoded than the container lists); such an analysis is kept and shown, but the
    next run does it again instead of calling it up to date."""
    from camtag.library.carry import promote

    added: set[int] = set()
    with lib.store.write() as tx:
        stamp = now()
        for shot in result.shots:
            sid = write_shot(tx, analysis_id, media.id, shot, stamp)
            if sid is not None:
                added.add(sid)
        info = result.media
        if info is not None:
            data = media_to_dict(info)
            data["path"] = media.path
            tx.execute("UPDATE media SET info = ?, fps = ?, frames = ? WHERE id = ?",
                       (json.dumps(data), float(info.rate), info.frames, media.id))
        motion = result.motion
        if motion is not None:
            motion = with_stored_start(tx, analysis_id, motion)
            tx.execute("INSERT INTO motion_curves (analysis_id, codec, data) VALUES (?, ?, ?) "
                       "ON CONFLICT (analysis_id) DO UPDATE SET codec = excluded.codec, "
                       "data = excluded.data", (analysis_id, curves.CODEC, curves.encode_motion(motion)))
        tx.execute("DELETE FROM part_shots WHERE analysis_id = ? AND part = ?",
                   (analysis_id, WHOLE_RUN))
        problems = list(result.warnings) + list(result.errors)
        total = info.frames if info is not None else None
        tx.execute("UPDATE analyses SET status = 'done', finished_at = ?, engine = ?, detector = ?, "
                   "model = ?, warnings = ?, frames_done = coalesce(?, frames_done), "
                   "total_frames = coalesce(?, total_frames), owner = '', heartbeat_at = ?, "
                   "error = ? WHERE id = ?",
                   (stamp, result.engine or "geometry", result.detector or request.detector,
                    model_name(request), json.dumps(problems), total, total, stamp,
                    (INCOMPLETE + incomplete)[:500] if incomplete else "", analysis_id))
        touched = promote(tx, media.id, analysis_id, stamp)
        row = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
        shots = tx.scalar("SELECT count(*) FROM shots WHERE analysis_id = ?", (analysis_id,), 0)
    record = analysis_record(row, shots)
    lib.store.optimize()
    if added or touched:
        lib.events.shots_did_change.emit(Changes(added_shots=frozenset(added),
                                                 shots=frozenset(touched), label="analysis"))
    lib.events.media_did_change.emit(frozenset({media.id}))
    lib.events.analysis_did_finish.emit(record)
    return record


# -- importing a finished analysis (analysis JSON, synthetic data) -----------------------------
def import_analysis(lib: "Library", analysis, *, media_path: str | None = None) -> AnalysisRecord:
    """Store a finished :class:`~camtag.model.Analysis` in one transaction and make it current.

    The media file need not exist (it then shows as missing in ``library status``).
    """
    from camtag.library.carry import promote

    info = analysis.media
    path = os.path.abspath(media_path or info.path)
    if os.path.isfile(path):
        st = file_state(path)
        size, mtime, fp = st.size_bytes, st.mtime_ns, fingerprint(path, st.size_bytes)
    else:
        import hashlib
        size, mtime = info.size_bytes, 0
        fp = "absent:" + hashlib.sha256(path.encode()).hexdigest()
    data = media_to_dict(info)
    data["path"] = path
    settings = dict(analysis.settings or {})
    detector = analysis.detector or "imported"
    key = json.dumps({"imported": detector, "settings": settings}, sort_keys=True, default=str)
    stamp = now()
    with lib.store.write() as tx:
        row = tx.one("SELECT * FROM media WHERE path = ?", (path,))
        if row is None:
            media_id = tx.insert(
                "INSERT INTO media (path, name, size_bytes, mtime_ns, fingerprint, fps, frames, info, "
                "added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (path, os.path.basename(path), size, mtime, fp, float(info.rate), info.frames,
                 json.dumps(data), stamp))
        else:
            media_id = row["id"]
            tx.execute("UPDATE media SET size_bytes = ?, mtime_ns = ?, fingerprint = ?, fps = ?, "
                       "frames = ?, info = ? WHERE id = ?",
                       (size, mtime, fp, float(info.rate), info.frames, json.dumps(data), media_id))
        analysis_id = tx.insert(
            "INSERT INTO analyses (media_id, fingerprint, engine, model, detector, settings, "
            "settings_key, camtag_version, status, frames_done, total_frames, started_at, "
            "finished_at, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'done', ?, ?, ?, ?, ?) RETURNING id",
            (media_id, fp, analysis.engine or "geometry", str(settings.get("model", "")), detector,
             json.dumps(settings, default=str), key, __version__,
             info.frames, info.frames, stamp, stamp,
             json.dumps(list(analysis.warnings) + list(analysis.errors))))
        assert media_id is not None and analysis_id is not None
        for shot in analysis.shots:
            write_shot(tx, analysis_id, media_id, shot, stamp)
        if analysis.motion is not None:
            tx.execute("INSERT INTO motion_curves (analysis_id, codec, data) VALUES (?, ?, ?)",
                       (analysis_id, curves.CODEC, curves.encode_motion(analysis.motion)))
        promote(tx, media_id, analysis_id, stamp)
        row = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
    record = analysis_record(row, len(analysis.shots))
    lib.store.optimize()
    lib.events.media_did_change.emit(frozenset({media_id}))
    lib.events.analysis_did_finish.emit(record)
    return record
