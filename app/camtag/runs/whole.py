"""Whole-file runs into the library: analyse one file, storing each finished shot in its own
transaction, resuming an unfinished run.

A killed or cancelled run leaves its analysis unfinished; the next run with the same media content,
request key and camtag version resumes it: the stored shots go back to the pipeline as a
:class:`camtag.pipeline.Resume` and decoding restarts at the end of the last one. Nothing stored is
recomputed: each shot is stored with its raw motion columns, which the finished analysis puts in
front of the resumed run's curves (the timeline shows the whole file). An unfinished analysis is leased by the process running it (``library.leases``).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from camtag.jobs import CancelToken, Cancelled, Job, Progress, drive
from camtag.library import analyses, leases, parts
from camtag.library.errors import LibraryError
from camtag.library.media_files import file_state
from camtag.library.records import AnalysisRecord, MediaRecord, Notice, RunOutcome
from camtag.media.errors import MediaError
from camtag.model import Analysis, AnalysisRequest, Shot
from camtag.runs.request import analysis_key

if TYPE_CHECKING:
    from camtag.library import Library


def analyze_into_library(lib: "Library", path: str, request: AnalysisRequest | None = None, *,
                         cancel: CancelToken | None = None, again: bool = False,
                         isolate: bool = False) -> Job[AnalysisRecord]:
    """Analyse ``path`` into the library, resuming an unfinished run. Returns the analysis record
    (``skipped=True`` if an identical finished analysis already existed). ``isolate``: decode in
    a watched worker process (a crash or hang fails only this file)."""
    request = request or AnalysisRequest()
    media, note = analyses.register_media(lib, os.path.abspath(path))
    if note:
        yield Progress(0, None, note, Notice(note))
    record, resumed = analyses.claim(lib, media, request, analysis_key(request), again=again)
    assert record is not None
    if record.skipped:
        return record
    key = leases.analysis_key(lib.url, record.id)
    leases.hold(key)
    try:
        if parts.has_parts(lib, record.id):     # split by a batch: finish its parts here
            from camtag.runs.parts import complete_in_process

            lib.events.analysis_did_start.emit(record)
            final = yield from complete_in_process(lib, media, record, path, cancel)
            return final
        done_shots = analyses.stored_shots(lib, record.id)
        start = done_shots[-1].end_frame if done_shots else 0
        lib.events.analysis_did_start.emit(record)
        if resumed:
            text = f"resuming at frame {start} ({len(done_shots)} shots kept)"
            yield Progress(start, record.total_frames, text, Notice(text))
        result = yield from _run(lib, media, record.id, path, request, cancel, start, done_shots,
                                 isolate)
        final = analyses.finish(lib, media, record.id, request, RunOutcome.of(result),
                                incomplete=_incomplete(media, path, result))
        if final.error:
            text = f"{media.name}: {final.error}; the next run analyses it again"
            yield Progress(final.frames_done, final.total_frames, text, Notice(text))
        if result.errors:                   # damaged data, a failing hardware decoder: say so
            text = f"{media.name}: decode problems: " + "; ".join(result.errors)
            text = text if len(text) <= 400 else text[:399] + "…"
            yield Progress(final.frames_done, final.total_frames, text, Notice(text, "warning"))
    finally:
        leases.release(key)
    return replace(final, resumed_from=start if resumed else 0)


def _incomplete(media: MediaRecord, path: str, result: Analysis) -> str:
    """Why ``result`` may not cover the file as it is now ("" when it does): the file changed
    while it was decoded (size or mtime re-checked), or fewer frames decoded than it lists."""
    try:
        st = file_state(path)
    except MediaError:
        return "the file went away during the analysis"
    if (st.size_bytes, st.mtime_ns) != (media.size_bytes, media.mtime_ns):
        return "the file changed during the analysis"
    declared = result.media.frames if result.media is not None else None
    decoded = max((s.end_frame for s in result.shots), default=0)
    if declared and decoded < declared:
        return f"decoded {decoded} frames, the container lists {declared}"
    return ""


def _run(lib: "Library", media: MediaRecord, analysis_id: int, path: str,
         request: AnalysisRequest, cancel: CancelToken | None, start: int,
         done_shots: tuple[Shot, ...], isolate: bool = False) -> Job[Analysis]:
    from camtag.pipeline import Resume, ShotCurves, analyze_job

    if isolate:    # a decoder crash or hang fails this file only (camtag.runs.guard)
        from camtag.runs.guard import isolated_analyze_job
        analyze_job = isolated_analyze_job  # type: ignore[assignment]  # same request, same stream

    stored = {s.start_frame for s in done_shots}
    info = replace(media.info, path=os.path.abspath(path)) if media.info is not None else None
    run = drive(analyze_job(path, request, cancel=cancel,
                            resume=Resume(start, done_shots, curves=True),
                            poster_dir=lib.poster_dir(media), media=info))
    last_beat = time.monotonic()
    side: ShotCurves | None = None
    try:
        for progress in run:
            shot = progress.partial
            if isinstance(shot, ShotCurves):      # the next shot's motion columns, kept with it
                side = shot
                continue
            if isinstance(shot, Shot) and shot.start_frame not in stored:
                chunk = side.curves if side is not None and side.start_frame == shot.start_frame \
                    else None
                analyses.store_shot(lib, analysis_id, media.id, shot, chunk)
                stored.add(shot.start_frame)
                last_beat = time.monotonic()
            elif time.monotonic() - last_beat > leases.HEARTBEAT_S:
                analyses.heartbeat(lib, [analysis_id])
                last_beat = time.monotonic()
            yield progress
        return run.result
    except (Cancelled, KeyboardInterrupt, GeneratorExit):
        analyses.mark(lib, analysis_id, "cancelled")
        raise
    except LibraryError:
        analyses.mark(lib, analysis_id, "failed", "library error")
        raise
    except BaseException as exc:
        analyses.mark(lib, analysis_id, "failed",
                      str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise
    finally:
        run.close()
