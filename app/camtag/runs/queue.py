"""A batch queue: analyse many files (or folders) into the library, one status per file.

Used by ``camtag library add`` and the UI: :func:`batch_job` is a job whose
``Progress.partial`` is a :class:`QueueItem` when a file changes status, a
:class:`~camtag.library.records.Notice` for messages, and None for the current file's progress
(``done``/``total`` of that file). A cancelled batch leaves the current file resumable and the
rest queued; running the same batch again resumes exactly there.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from camtag.jobs import CancelToken, Cancelled, Job, Progress, drive
from camtag.library.errors import LibraryBusyError, LibraryError
from camtag.library.media_files import expand_media_paths
from camtag.library.records import Notice
from camtag.media.errors import MediaError
from camtag.model import AnalysisRequest, RequestError
from camtag.runs.whole import analyze_into_library

if TYPE_CHECKING:
    from camtag.library import Library

WAIT_S = 3600.0          # how long a batch waits for a file another camtag process is analysing
POLL_S = 1.0
STATUSES = ("queued", "running", "done", "up to date", "failed", "cancelled")


@dataclass
class QueueItem:
    path: str
    status: str = "queued"
    message: str = ""
    shots: int = 0
    resumed_from: int = 0
    analysis_id: int | None = None
    request: AnalysisRequest | None = None   # per-file override (resuming an unfinished analysis)

    @property
    def name(self) -> str:
        return os.path.basename(self.path) or self.path


def unfinished_queue(lib: "Library") -> list[QueueItem]:
    """One item per unfinished analysis, with the detector and settings it was started with."""
    items = []
    for analysis in lib.status().unfinished:
        media = lib.find_media(analysis.media_id)
        if media is not None:
            try:
                request = AnalysisRequest.from_settings(analysis.settings, analysis.detector,
                                                        strict=False)
            except RequestError as exc:           # stored by an older camtag, now out of range
                items.append(QueueItem(media.path, "failed", f"stored settings: {exc}"))
                continue
            items.append(QueueItem(media.path, request=request))
    return items


def make_queue(paths: Iterable[str]) -> list[QueueItem]:
    files, problems = expand_media_paths(paths)
    items = [QueueItem(f) for f in files]
    for problem in problems:
        path, _, reason = problem.partition(": ")
        items.append(QueueItem(path, "failed", reason))
    return items


def batch_job(lib: "Library", items: list[QueueItem], request: AnalysisRequest | None = None, *,
              cancel: CancelToken | None = None, again: bool = False,
              isolate: bool = True, wait_s: float = WAIT_S) -> Job[list[QueueItem]]:
    """Run the queue; library-wide errors (full, locked, read-only) stop it and are raised.
    Each file is decoded in a watched worker process unless ``isolate`` is false, so a decoder
    crash or hang marks that file failed with the reason and the queue goes on. A file another
    live camtag process is analysing is put back after the others and waited for (up to
    ``wait_s`` seconds; it is then normally up to date); past that it is reported as failed."""
    cancel = cancel or CancelToken()
    request = request or AnalysisRequest()
    total = len(items)
    order = list(range(total))
    deadline: dict[int, float] = {}        # item index -> when to stop waiting for its holder
    while order:
        i = order.pop(0)
        item = items[i]
        if item.status != "queued":
            yield Progress(i + 1, total, item.message, item)
            continue
        if cancel.cancelled:
            break
        if i in deadline and all(j in deadline for j in order):   # only files held elsewhere left
            time.sleep(POLL_S)
        item.status = "running"
        yield Progress(i, total, item.name, item)
        run = drive(analyze_into_library(lib, item.path, item.request or request, cancel=cancel,
                                         again=again, isolate=isolate))
        try:
            for progress in run:
                note = progress.partial if isinstance(progress.partial, Notice) else None
                yield Progress(progress.done, progress.total, progress.message, note)
            record = run.result
        except Cancelled:
            item.status, item.message = "cancelled", "stopped; run the same command again to resume"
            yield Progress(i, total, item.message, item)
            break
        except MediaError as exc:
            item.status, item.message = "failed", exc.reason
        except LibraryBusyError as exc:
            first = i not in deadline
            deadline.setdefault(i, time.monotonic() + wait_s)
            if time.monotonic() < deadline[i]:
                item.status, item.message = "queued", "another camtag process is analysing it; " \
                                                      "waiting for it"
                order.append(i)
                if first:
                    yield Progress(i, total, item.message, item)
                continue
            item.status, item.message = "failed", str(exc)
        except LibraryError:
            item.status, item.message = "failed", "library error"
            raise
        except Exception as exc:       # a bug or an unexpected decoder error: report, go on
            item.status, item.message = "failed", f"{type(exc).__name__}: {exc}".splitlines()[0]
        else:
            item.analysis_id, item.shots = record.id, record.shots
            item.resumed_from = record.resumed_from
            item.status = "up to date" if record.skipped else "done"
            if record.resumed_from:
                item.message = f"resumed at frame {record.resumed_from}"
            if record.error:
                item.message = "; ".join(m for m in (item.message, record.error) if m)
        finally:
            run.close()
        yield Progress(i + 1, total, item.message, item)
    return items
