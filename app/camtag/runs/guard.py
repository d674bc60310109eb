"""Crash and hang isolation: analyse one file in a worker process watched by a watchdog.

A decoder that segfaults, aborts or loops forever on a hostile file takes down only its
worker. :func:`isolated_analyze_job` runs :func:`camtag.pipeline.analyze_job` (same request,
same Progress/partial-shot stream, same Analysis result); a crash or a hang
becomes a :class:`MediaError` with a one-line reason, so a batch marks the file failed and
goes on. Shots the worker finished before it died were already yielded and are kept.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from typing import Optional

from camtag.jobs import CancelToken, Cancelled, Job, Progress, drive
from camtag.media.errors import MediaError
from camtag.model import AnalysisRequest, MediaInfo
from camtag.pipeline import Resume

STALL_TIMEOUT = 120.0     # seconds without any progress message before the worker counts as hung
_POLL = 0.1


def _worker(conn, path: str, request: AnalysisRequest, kwargs: dict) -> None:
    """Runs in the child: stream progress and the result back through ``conn``. A parent that
    went away (closed pipe, e.g. after SIGTERM or SIGHUP) ends the worker with one line."""
    from camtag.pipeline import analyze_job

    try:
        try:
            run = drive(analyze_job(path, request, **kwargs))
            for p in run:
                conn.send(("progress", p.done, p.total, p.message, p.partial))
            conn.send(("done", run.result))
        except MediaError as exc:
            conn.send(("media_error", exc.reason))
        except (BrokenPipeError, ConnectionError, EOFError):
            raise
        except BaseException as exc:  # noqa: BLE001 - everything crosses back as one line
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            conn.send(("error", f"{type(exc).__name__}: {first}" if first else type(exc).__name__))
    except (BrokenPipeError, ConnectionError, EOFError, KeyboardInterrupt):
        print("camtag: analysis worker stopped (its parent has gone)", file=sys.stderr)
    finally:
        try:
            conn.close()
        except OSError:
            pass


def _death_reason(exitcode: Optional[int]) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the decoder crashed ({name}); the file is probably damaged"
    return f"the analysis worker stopped unexpectedly (exit code {exitcode})"


def isolated_analyze_job(path: str, request: AnalysisRequest | None = None, *,
                         cancel: CancelToken | None = None, resume: Resume | None = None,
                         poster_dir: str | None = None, media: MediaInfo | None = None,
                         stall_timeout: float = STALL_TIMEOUT,
                         total_timeout: float | None = None) -> Job:
    """:func:`analyze_job` in a 'spawn' worker process with a watchdog.

    ``stall_timeout``: seconds without any message from the worker (it yields progress at
    least every 0.1 s while decoding) after which it is killed and the file reported hung.
    ``total_timeout``: optional cap on the whole file.
    """
    cancel = cancel or CancelToken()
    path = os.fspath(path)
    request = request or AnalysisRequest()
    kwargs = dict(resume=resume, poster_dir=poster_dir, media=media)
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(child, path, request, kwargs), name="camtag-analyze-worker",
                       daemon=True)
    proc.start()
    child.close()
    started = last = time.monotonic()
    try:
        yield Progress(0, None, f"analysing {os.path.basename(path)} in a worker")
        while True:
            if cancel.cancelled:
                raise Cancelled()
            now = time.monotonic()
            if now - last > stall_timeout:
                raise MediaError(path, f"analysis hung: no progress for {stall_timeout:g} s; "
                                       "the worker was stopped")
            if total_timeout is not None and now - started > total_timeout:
                raise MediaError(path, f"analysis took longer than {total_timeout:g} s; "
                                       "the worker was stopped")
            try:
                ready = parent.poll(_POLL)
                msg = parent.recv() if ready else None
            except (EOFError, OSError):
                proc.join(timeout=5)
                raise MediaError(path, _death_reason(proc.exitcode)) from None
            if msg is None:
                if not proc.is_alive() and not parent.poll():
                    raise MediaError(path, _death_reason(proc.exitcode))
                continue
            last = time.monotonic()
            kind = msg[0]
            if kind == "progress":
                yield Progress(msg[1], msg[2], msg[3], msg[4])
            elif kind == "done":
                return msg[1]
            elif kind == "media_error":
                raise MediaError(path, msg[1])
            else:
                raise MediaError(path, f"analysis failed: {msg[1]}")
    finally:
        _stop(proc)
        parent.close()


def _stop(proc) -> None:
    if proc.is_alive():
        proc.kill()
    proc.join(timeout=10)
    try:
        proc.close()
    except ValueError:
        pass


def worker_pids() -> list[int]:
    """Pids of the analysis workers this process runs now (for diagnostics and tests)."""
    return [p.pid for p in multiprocessing.active_children()
            if p.name == "camtag-analyze-worker" and p.pid is not None]
