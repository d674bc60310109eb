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


def analyze_file(library_url: str, path: str, *, detector: str = "fused",
                 settings: dict | None = None,
                 report: Callable[[str, int, Optional[int]], None] | None = None) -> FileResult:
    """Analyse ``path`` into the library; ``report(path, done_frames, total_frames)`` is called as
    frames are processed."""
    from camtag.media.errors import MediaError

    lib = open_watched_library(library_url)
    try:
        job = lib.analyze(path, detector=detector, settings=settings)
        last = -1
        while True:
            try:
                progress = next(job)
            except StopIteration as stop:
                record = stop.value
                break
            if report is not None and progress.done != last and progress.done:
                last = progress.done
                report(path, progress.done, progress.total)
    except MediaError as exc:
        return FileResult(path, "failed", message=exc.reason)
    finally:
        lib.close()
    if report is not None and record.total_frames:
        report(path, record.total_frames, record.total_frames)
    return FileResult(path, "up to date" if record.skipped else "done", record.shots,
                      f"resumed at frame {record.resumed_from}" if record.resumed_from else "",
                      record.resumed_from, record.id)
