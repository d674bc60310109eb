"""The analysis queue: files analysed into the library one at a time, off the GUI thread.

Each file runs ``camtag.runs.analyze_into_library`` (durable and resumable: a cancelled file resumes where it
stopped) and then, when a model engine is chosen and usable, ``camtag.runs.model_pass.tag_into_library``
over its shots: each model result is stored on the shot it tags, in the same analysis (editor
decisions kept; a shot the model already tagged is not asked again). Shots
reach the browser through the library's ``shots_did_change`` events while the file runs.
"""

from __future__ import annotations

import os
from typing import Callable, Optional

from PySide6.QtCore import QObject, Signal

from camtag.jobs import CancelToken, Progress, drive
from camtag.library import LibraryBusyError, LibraryError
from camtag.library.records import Notice
from camtag.media.errors import MediaError
from camtag.runs import analyze_into_library, make_request
from camtag.runs.model_pass import model_failure, tag_into_library
from camtag.runs.queue import QueueItem, make_queue
from camtag.ui.settings import AppSettings
from camtag.ui.workers import RunningJob, start_job


class ActionNotice(Notice):
    """A notice the user should act on (shown as a warning)."""


def file_job(lib, path: str, settings: AppSettings, cancel: CancelToken):
    """Analyse one file into the library, then (optionally) tag its shots with the model; the model's
    results are stored on the shots they tag (``runs.model_pass``: the one rule for CLI, UI, Ray)."""
    request = make_request(settings.analysis_settings())
    record = yield from analyze_into_library(lib, path, request, cancel=cancel)
    if settings.engine == "geometry":
        return record
    yield Progress(0, None, "model: choosing the engine")
    from camtag.reasoner import pick_backend

    backend = pick_backend(settings.engine, settings.reasoner_settings())
    if backend is None:
        text = (f"No usable model engine for “{settings.engine}” (see Settings → Engine); "
                f"{os.path.basename(path)} keeps its geometric tags.")
        yield Progress(0, None, text, ActionNotice(text))
        return record
    try:
        yield from _with_model_notice(
            tag_into_library(lib, path, backend, mode=settings.question_mode, cancel=cancel),
            os.path.basename(path))
    finally:
        backend.close()
    return record


def _with_model_notice(job, name: str):
    """Pass a model job through, turning its first model failure into a user notice."""
    told = False
    run = drive(job)
    for p in run:
        error = model_failure(p.partial)
        if error and not told:
            told = True
            text = (f"{name}: the model failed ({error}); shots keep their geometric tags. Check "
                    f"the model files in Settings → Engine.")
            yield Progress(p.done, p.total, text, ActionNotice(text))
        yield p
    return run.result


class AnalysisQueue(QObject):
    item_changed = Signal(int)             # row
    items_reset = Signal()
    notice = Signal(str, str)              # level ("info", "warning", "error"), text
    file_started = Signal(str)
    file_finished = Signal(str, str)       # path, final status
    busy_changed = Signal(bool)

    def __init__(self, library: Callable[[], object], settings: Callable[[], AppSettings],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._settings = settings
        self.items: list[QueueItem] = []
        self.fractions: dict[int, float] = {}
        self.running_row: Optional[int] = None
        self.job: Optional[RunningJob] = None

    # -- queue edits -----------------------------------------------------------------------------
    def add_paths(self, paths: list[str]) -> list[QueueItem]:
        """Queue files and folders (folders are searched for media); starts if idle."""
        queued = {os.path.abspath(i.path) for i in self.items if i.status in ("queued", "running")}
        new = [i for i in make_queue(paths) if os.path.abspath(i.path) not in queued]
        for item in new:
            if item.status == "failed":
                self.notice.emit("warning", f"{item.name}: {item.message}; it was not queued.")
        self.items.extend(new)
        self.items_reset.emit()
        self._next()
        return new

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            if self.running_row is not None:
                self.items[self.running_row].message = "cancelling…"
                self.item_changed.emit(self.running_row)

    def resume(self) -> int:
        """Queue again every cancelled or failed file (analysis resumes where it stopped)."""
        n = 0
        for row, item in enumerate(self.items):
            if item.status in ("cancelled", "failed") and os.path.exists(item.path):
                item.status, item.message = "queued", ""
                n += 1
                self.item_changed.emit(row)
        self._next()
        return n

    def clear_finished(self) -> None:
        self.items = [i for i in self.items if i.status in ("queued", "running")]
        self.running_row = next((r for r, i in enumerate(self.items) if i.status == "running"), None)
        self.fractions = {}
        self.items_reset.emit()

    @property
    def busy(self) -> bool:
        return self.job is not None

    # -- running ---------------------------------------------------------------------------------
    def _next(self) -> None:
        if self.job is not None:
            return
        row = next((r for r, i in enumerate(self.items) if i.status == "queued"), None)
        if row is None:
            self.busy_changed.emit(False)
            return
        lib = self._library()
        if lib is None:
            self.notice.emit("error", "No library is open; analysis needs one (Settings → Library).")
            return
        item = self.items[row]
        item.status, item.message = "running", "starting"
        self.running_row = row
        self.fractions[row] = 0.0
        settings = self._settings()
        self.job = start_job(lambda token: file_job(lib, item.path, settings, token), self)
        self.job.progressed.connect(self._progress)
        self.job.done.connect(self._done)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.job.finished.connect(self._finished)
        self.item_changed.emit(row)
        self.busy_changed.emit(True)
        self.file_started.emit(item.path)

    def _progress(self, p: Progress) -> None:
        row = self.running_row
        if row is None:
            return
        if isinstance(p.partial, Notice):
            warn = isinstance(p.partial, ActionNotice) or p.partial.level == "warning"
            self.notice.emit("warning" if warn else "info", p.partial.text)
        if p.fraction is not None:
            self.fractions[row] = p.fraction
        if p.message and not (self.job and self.job.cancelling):
            self.items[row].message = p.message
        self.item_changed.emit(row)

    def _done(self, record) -> None:
        item = self.items[self.running_row]
        item.analysis_id, item.shots = record.id, record.shots
        item.status = "up to date" if record.skipped else "done"
        item.message = (f"resumed at frame {record.resumed_from}; " if record.resumed_from else "") + \
            ("already analysed with these settings" if record.skipped else f"{record.shots} shots")
        self.fractions[self.running_row] = 1.0

    def _failed(self, exc: Exception) -> None:
        item = self.items[self.running_row]
        item.status = "failed"
        if isinstance(exc, MediaError):
            item.message = exc.reason
            self.notice.emit("error", f"{item.name} cannot be analysed: {exc.reason}. Check that the "
                                      f"file plays elsewhere, or re-export it; other files go on.")
        elif isinstance(exc, (LibraryBusyError, LibraryError)):
            item.message = str(exc)
            self.notice.emit("error", f"{item.name}: {exc}. Resume it from the queue later.")
        else:
            item.message = f"{type(exc).__name__}: {exc}".splitlines()[0]
            self.notice.emit("error", f"Analysis of {item.name} failed ({item.message}). The shots "
                                      f"found so far are kept; Resume retries.")

    def _cancelled(self) -> None:
        item = self.items[self.running_row]
        item.status = "cancelled"
        item.message = "stopped; Resume continues where it stopped"

    def _finished(self) -> None:
        row, item = self.running_row, self.items[self.running_row]
        self.job = None
        self.running_row = None
        self.item_changed.emit(row)
        self.file_finished.emit(item.path, item.status)
        self._next()
