"""One batch task: analyse one file into the library at ``library_url``.

The task opens the library itself (SQLite for a local run, PostgreSQL for a cluster) and stores
each shot as soon as it is found (idempotent per shot), so a task that dies and is retried resumes
after the last stored shot and never duplicates one. Unreadable media is a per-file result, not a
retry; library or system errors propagate so that Ray retries the task.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Optional

FAULT_ENV = "CAMTAG_FAULT_EXIT_AFTER_SHOTS"      # "N:MARKER": test hook, die once after N new shots


@dataclass
class FileResult:
    path: str
    status: str                 # done / up to date / failed
    shots: int = 0
    message: str = ""
    resumed_from: int = 0
    analysis_id: Optional[int] = None
    tagged: int = 0             # shots the model tagged (camtag batch --engine)


def one_line(exc: BaseException) -> str:
    """The last line of an error (a traceback's last line names the error)."""
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def ray_failure(exc: BaseException) -> str:
    """One line for a failed Ray call: the task's own exception when Ray wraps one."""
    from ray.exceptions import RayTaskError

    cause = exc.cause if isinstance(exc, RayTaskError) and exc.cause is not None else exc
    return one_line(cause)


def _fault_hook() -> Callable[[int], None]:
    spec = os.environ.get(FAULT_ENV, "")
    if not spec:
        return lambda n: None
    count, _, marker = spec.partition(":")

    def hook(stored: int) -> None:
        if stored >= int(count) and marker and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(3)                         # a worker dying mid-file (as on a node failure)
    return hook


def open_watched_library(library_url: str):
    """Open the library for a task, with the test hook that kills the worker after N new shots."""
    from camtag.library import open_library

    hook = _fault_hook()
    lib = open_library(library_url)
    stored = [0]

    def on_shots(changes) -> None:
        stored[0] += len(changes.added_shots)
        hook(stored[0])

    lib.events.shots_did_change.connect(on_shots)
    return lib


def progress_reporter(report, key: str, *, zero: bool = False):
    """An ``on_progress`` for :func:`camtag.jobs.run_job` that passes each new frame count on as
    ``report(key, done, total)`` (nothing when ``report`` is None; a count of 0 only if ``zero``)."""
    last = [-1]

    def on_progress(progress) -> None:
        if report is not None and (progress.done or zero) and progress.done != last[0]:
            last[0] = progress.done
            report(key, progress.done, progress.total)
    return on_progress


def analyze_file(library_url: str, path: str, request=None, *,
                 report: Callable[[str, int, Optional[int]], None] | None = None) -> FileResult:
    """Analyse ``path`` into the library; ``report(path, done_frames, total_frames)`` is called as
    frames are processed. ``request``: a :class:`~camtag.model.AnalysisRequest` (default: the
    defaults)."""
    from camtag.jobs import run_job
    from camtag.media.errors import MediaError
    from camtag.runs import analyze_into_library

    lib = open_watched_library(library_url)
    try:
        record = run_job(analyze_into_library(lib, path, request),
                         progress_reporter(report, path))
    except MediaError as exc:
        return FileResult(path, "failed", message=exc.reason)
    finally:
        lib.close()
    if report is not None and record.total_frames:
        report(path, record.total_frames, record.total_frames)
    return FileResult(path, "up to date" if record.skipped else "done", record.shots,
                      f"resumed at frame {record.resumed_from}" if record.resumed_from else "",
                      record.resumed_from, record.id)
