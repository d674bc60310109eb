"""Durable analysis: run the pipeline and store each finished shot in its own transaction.

A killed or cancelled run leaves its analysis unfinished; the next run with the same media content,
settings and camtag version resumes it: the stored shots go back to the pipeline as ``done_shots``
and decoding restarts at the end of the last one (``start_frame``). Nothing stored is recomputed.
An unfinished analysis is "leased" by the process running it (host:pid + heartbeat), so two
processes never work on the same one; a dead owner's lease is taken over.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from camtag import __version__
from camtag.analysis_json import media_to_dict
from camtag.jobs import CancelToken, Cancelled, Job, Progress
from camtag.library import curves
from camtag.library.errors import LibraryBusyError, LibraryError
from camtag.library.media_files import file_state, fingerprint, probe_info
from camtag.library.records import AnalysisRecord, Changes, MediaRecord, Notice
from camtag.library.rows import analysis_record, load_shots, media_record, write_shot
from camtag.library.schema import now
from camtag.model import Shot

if TYPE_CHECKING:
    from camtag.library.library import Library

HEARTBEAT_S = 30.0
STALE_S = 600.0
_ACTIVE: set[tuple[str, int]] = set()        # (library url, analysis id) running in this process


def settings_key(detector: str, settings: dict) -> str:
    return json.dumps({"detector": detector, "settings": settings}, sort_keys=True, default=str)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _age_s(stamp: str | None) -> float:
    if not stamp:
        return float("inf")
    try:
        return (datetime.now(timezone.utc) - datetime.fromisoformat(stamp)).total_seconds()
    except ValueError:
        return float("inf")


def lease_alive(lib: "Library", row) -> bool:
    """Is another live run working on this unfinished analysis?"""
    if row["status"] != "running" or not row["owner"]:
        return False
    return owner_alive(row["owner"], row["heartbeat_at"], (str(lib.url), row["id"]))


def owner_alive(owner: str, heartbeat_at: str | None, active_key: tuple) -> bool:
    """Is the process ``owner`` (host:pid) alive? On this host the pid tells (this very process:
    ``active_key`` in :data:`_ACTIVE`); elsewhere a heartbeat younger than :data:`STALE_S`."""
    if not owner:
        return False
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return _age_s(heartbeat_at) < STALE_S
    pid = int(pid_text)
    if pid == os.getpid():
        return active_key in _ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        pass
    return _age_s(heartbeat_at) < STALE_S


# -- media registration ------------------------------------------------------------------------
def register_media(lib: "Library", path: str) -> tuple[MediaRecord, str]:
    """Find or add the media row for ``path``; re-link a moved file by its content fingerprint.

    Returns the record and a one-line note for the user ("" when nothing special happened).
    """
    st = file_state(path)
    with lib.store.read() as tx:
        row = tx.one("SELECT * FROM media WHERE path = ?", (st.path,))
    if row is not None and (row["size_bytes"], row["mtime_ns"]) == (st.size_bytes, st.mtime_ns):
        return media_record(row), ""
    fp = fingerprint(st.path, st.size_bytes)
    note, info = "", None
    with lib.store.read() as tx:
        moved = [r for r in tx.query("SELECT * FROM media WHERE fingerprint = ? AND path <> ?",
                                     (fp, st.path)) if not os.path.exists(r["path"])]
    if row is None and not moved or row is not None and row["fingerprint"] != fp:
        info = probe_info(st.path)
    name = os.path.basename(st.path)
    with lib.store.write() as tx:
        if row is not None:
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
        elif moved:
            old = moved[0]
            note = f"re-linked moved media: {old['path']} -> {st.path}"
            info = json.loads(old["info"] or "{}")
            info["path"] = st.path
            tx.execute("UPDATE media SET path = ?, name = ?, mtime_ns = ?, info = ? WHERE id = ?",
                       (st.path, name, st.mtime_ns, json.dumps(info), old["id"]))
            media_id = old["id"]
        else:
            media_id = tx.insert(
                "INSERT INTO media (path, name, size_bytes, mtime_ns, fingerprint, fps, frames, info, "
                "added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (st.path, name, st.size_bytes, st.mtime_ns, fp, _fps(info), info.get("frames"),
                 json.dumps(info), now()))
        record = media_record(tx.one("SELECT * FROM media WHERE id = ?", (media_id,)))
    lib.events.media_did_change.emit(frozenset({media_id}))
    return record, note


def _fps(info: dict) -> float | None:
    try:
        num, den = str(info["rate"]).split("/")
        return int(num) / int(den)
    except (KeyError, ValueError, ZeroDivisionError):
        return None


# -- the job -----------------------------------------------------------------------------------
def _claim(lib: "Library", media: MediaRecord, detector: str, settings: dict, again: bool,
           owner: str | None = None, whole_only: bool = False):
    """Pick the analysis to run (or the finished one to skip to), in one write transaction.

    ``owner``: the lease holder (default: this process; a batch driver claims for its tasks and
    may claim again). ``whole_only``: return ``(None, False)`` instead of claiming an unfinished
    analysis that already holds shots of a whole-file run (so it is resumed as one)."""
    key = settings_key(detector, settings)
    reclaim = owner is not None             # a named owner may take its own claim again
    owner = owner or _owner()
    with lib.store.write() as tx:
        rows = tx.query("SELECT * FROM analyses WHERE media_id = ? AND settings_key = ? AND "
                        "fingerprint = ? ORDER BY id DESC", (media.id, key, media.fingerprint))
        done = next((r for r in rows if r["status"] == "done"), None)
        if done is not None and not again:
            shots = tx.scalar("SELECT count(*) FROM shots WHERE analysis_id = ?", (done["id"],), 0)
            return analysis_record(done, shots, skipped=True), False
        open_ = next((r for r in rows if r["status"] != "done"
                      and r["camtag_version"] == __version__), None)
        if done is not None and open_ is not None and open_["id"] < done["id"]:
            open_ = None
        if open_ is not None and not (reclaim and open_["owner"] == owner) and \
                lease_alive(lib, open_):
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
                (media.id, media.fingerprint, str(settings.get("engine", "geometry")),
                 str(settings.get("model", "")), detector, json.dumps(settings, default=str), key,
                 __version__, media.info.frames if media.info else None, now(), owner, now()))
            resumed = False
        if media.current_analysis_id is None:     # a first analysis streams into the library
            tx.execute("UPDATE media SET current_analysis_id = ? WHERE id = ?", (analysis_id, media.id))
        row = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
        return analysis_record(row), resumed


def _mark(lib: "Library", analysis_id: int, status: str, error: str = "") -> None:
    try:
        with lib.store.write() as tx:
            tx.execute("UPDATE analyses SET status = ?, error = ?, owner = '' WHERE id = ? "
                       "AND status <> 'done'", (status, error[:500], analysis_id))
    except LibraryError:
        pass        # e.g. the disk is full: the analysis stays resumable all the same


def analyze_into_library(lib: "Library", path: str, *, detector: str = "fused",
                         settings: dict | None = None, cancel: CancelToken | None = None,
                         again: bool = False, isolate: bool = False) -> Job[AnalysisRecord]:
    """Analyse ``path`` into the library, resuming an unfinished run. Returns the analysis record
    (``skipped=True`` if an identical finished analysis already existed)."""
    settings = dict(settings or {})
    media, note = register_media(lib, os.path.abspath(path))
    if note:
        yield Progress(0, None, note, Notice(note))
    record, resumed = _claim(lib, media, detector, settings, again)
    if record.skipped:
        return record
    key = (str(lib.url), record.id)
    _ACTIVE.add(key)
    try:
        from camtag.library import segments

        if segments.has_parts(lib, record.id):     # split by a batch: finish its parts here
            lib.events.analysis_did_start.emit(record)
            final = yield from segments.complete_in_process(lib, media, record, path, detector,
                                                            settings, cancel)
            return final
        with lib.store.read() as tx:
            ids = [r[0] for r in tx.query("SELECT id FROM shots WHERE analysis_id = ? "
                                          "ORDER BY start_frame", (record.id,))]
            done_shots = tuple(r.shot for r in load_shots(tx, ids, whole_analysis=True))
        start = done_shots[-1].end_frame if done_shots else 0
        lib.events.analysis_did_start.emit(record)
        if resumed:
            text = f"resuming at frame {start} ({len(done_shots)} shots kept)"
            yield Progress(start, record.total_frames, text, Notice(text))
        result = yield from _run(lib, media, record.id, path, detector, settings, cancel,
                                 start, done_shots, isolate)
        final = _finish(lib, media, record.id, detector, settings, result)
    finally:
        _ACTIVE.discard(key)
    return replace(final, resumed_from=start if resumed else 0)


def _run(lib, media, analysis_id, path, detector, settings, cancel, start, done_shots,
         isolate=False):
    import inspect

    if isolate:    # a decoder crash or hang fails this file only (camtag.media.guard)
        from camtag.media.guard import isolated_analyze_job as analyze_job
    else:
        from camtag.pipeline import analyze_job

    stored = {s.start_frame for s in done_shots}
    extra = {}
    if media.info is not None and "media" in inspect.signature(analyze_job).parameters:
        extra["media"] = replace(media.info, path=os.path.abspath(path))   # probed at registration
    job = analyze_job(path, detector=detector, settings=settings, cancel=cancel,
                      start_frame=start, done_shots=done_shots, poster_dir=lib.poster_dir(media),
                      **extra)
    last_beat = time.monotonic()
    try:
        while True:
            try:
                progress = next(job)
            except StopIteration as stop:
                return stop.value
            shot = progress.partial
            if isinstance(shot, Shot) and shot.start_frame not in stored:
                with lib.store.write() as tx:
                    sid = write_shot(tx, analysis_id, media.id, shot, now())
                    tx.execute("UPDATE analyses SET frames_done = ?, heartbeat_at = ? WHERE id = ?",
                               (shot.end_frame, now(), analysis_id))
                stored.add(shot.start_frame)
                last_beat = time.monotonic()
                if sid is not None:
                    lib.events.shots_did_change.emit(Changes(added_shots=frozenset({sid}),
                                                             label="analysis"))
            elif time.monotonic() - last_beat > HEARTBEAT_S:
                with lib.store.write() as tx:
                    tx.execute("UPDATE analyses SET heartbeat_at = ? WHERE id = ?", (now(), analysis_id))
                last_beat = time.monotonic()
            yield progress
    except (Cancelled, KeyboardInterrupt, GeneratorExit):
        _mark(lib, analysis_id, "cancelled")
        raise
    except LibraryError:
        _mark(lib, analysis_id, "failed", "library error")
        raise
    except BaseException as exc:
        _mark(lib, analysis_id, "failed", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise
    finally:
        job.close()


def _finish(lib: "Library", media: MediaRecord, analysis_id: int, detector: str, settings: dict,
            result) -> AnalysisRecord:
    """Store what the streaming missed, the media info and motion curves; promote; all in one go."""
    from camtag.library.carry import promote

    added: set[int] = set()
    with lib.store.write() as tx:
        stamp = now()
        for shot in getattr(result, "shots", ()):
            sid = write_shot(tx, analysis_id, media.id, shot, stamp)
            if sid is not None:
                added.add(sid)
        info = getattr(result, "media", None)
        if info is not None:
            data = media_to_dict(info)
            data["path"] = media.path
            tx.execute("UPDATE media SET info = ?, fps = ?, frames = ? WHERE id = ?",
                       (json.dumps(data), float(info.rate), info.frames, media.id))
        motion = getattr(result, "motion", None)
        if motion is not None:
            tx.execute("INSERT INTO motion_curves (analysis_id, codec, data) VALUES (?, ?, ?) "
                       "ON CONFLICT (analysis_id) DO UPDATE SET codec = excluded.codec, "
                       "data = excluded.data", (analysis_id, curves.CODEC, curves.encode_motion(motion)))
        problems = list(getattr(result, "warnings", ())) + list(getattr(result, "errors", ()))
        total = info.frames if info is not None else None
        tx.execute("UPDATE analyses SET status = 'done', finished_at = ?, engine = ?, detector = ?, "
                   "model = ?, warnings = ?, frames_done = coalesce(?, frames_done), "
                   "total_frames = coalesce(?, total_frames), owner = '', heartbeat_at = ? "
                   "WHERE id = ?",
                   (stamp, getattr(result, "engine", "") or "geometry",
                    getattr(result, "detector", "") or detector, str(settings.get("model", "")),
                    json.dumps(problems), total, total, stamp, analysis_id))
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
             json.dumps(settings, default=str), settings_key(detector, settings), __version__,
             info.frames, info.frames, stamp, stamp,
             json.dumps(list(analysis.warnings) + list(analysis.errors))))
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
