"""The one Qt adapter for camtag jobs: a job (generator) runs on a pool thread via superqt's
``GeneratorWorker``; progress, result, errors and cancellation come back as calls on the GUI
thread. Cancelling sets the job's :class:`CancelToken` (the job stops between units and raises
``Cancelled``); the generator is always closed on its own thread, so nothing is left half-done.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional

from PySide6.QtCore import QObject, QThreadPool, Signal

from camtag.jobs import CancelToken, Cancelled, Job, Progress

log = logging.getLogger("camtag.ui")


def _drive(job: Job):
    try:
        result = yield from job
    finally:
        job.close()
    return result


class RunningJob(QObject):
    """Handle of a started job. ``cancelling`` stays True until the job has really stopped."""

    progressed = Signal(object)          # Progress
    done = Signal(object)                # the job's return value
    failed = Signal(object)              # the exception
    cancelled = Signal()
    finished = Signal()                  # after any of the three above

    def __init__(self, job: Job, cancel: CancelToken, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_token = cancel
        self.cancelling = False
        self.running = True
        from superqt.utils import GeneratorWorker   # imported on first use: faster start

        self.worker = GeneratorWorker(_drive, job)
        self.worker.yielded.connect(self._yielded)
        self.worker.returned.connect(self.done)
        self.worker.errored.connect(self._errored)
        self.worker.finished.connect(self._finished)

    def start(self) -> "RunningJob":
        self.worker.start()          # superqt keeps the worker alive until it has finished
        return self

    def cancel(self, reason: str = "cancelled by the user") -> None:
        if self.running and not self.cancelling:
            self.cancelling = True
            self.cancel_token.cancel(reason)

    def _yielded(self, value) -> None:
        if isinstance(value, Progress):
            self.progressed.emit(value)

    def _errored(self, exc: Exception) -> None:
        if isinstance(exc, Cancelled):
            self.cancelled.emit()
        else:
            self.failed.emit(exc)

    def _finished(self) -> None:
        self.running = False
        self.cancelling = False
        self.finished.emit()


def start_job(job_factory: Callable[[CancelToken], Job], parent: QObject | None = None) -> RunningJob:
    """Build the job with a fresh cancel token and start it (keep the returned handle)."""
    token = CancelToken()
    return RunningJob(job_factory(token), token, parent).start()


class BackgroundCall(QObject):
    """One short call on a pool thread; ``returned``/``errored`` are delivered on the thread that
    made it (the GUI thread). Plain Qt: the app starts without importing superqt."""

    returned = Signal(object)
    errored = Signal(object)

    def __init__(self, func: Callable[[], object]) -> None:
        super().__init__()
        self.func = func
        self.running = False

    def start(self) -> "BackgroundCall":
        self.running = True
        QThreadPool.globalInstance().start(self._run)
        return self

    def _run(self) -> None:
        try:
            value = self.func()
        except Exception as exc:  # noqa: BLE001 - handed to the caller on the GUI thread
            self._report(self.errored, exc)
        else:
            self._report(self.returned, value)

    def _report(self, signal, value) -> None:
        self.running = False
        try:
            signal.emit(value)
        except RuntimeError:        # the handle was deleted with the app meanwhile: nobody listens
            pass


def run_in_thread(func: Callable[[], object], on_done: Callable[[object], None],
                  on_error: Optional[Callable[[Exception], None]] = None) -> BackgroundCall:
    """A short blocking call (probing a file, checking engines) off the GUI thread; returns the
    handle (keep it while it runs)."""
    call = BackgroundCall(func)
    call.returned.connect(on_done)
    call.errored.connect(on_error if on_error is not None else _log_failure)
    return call.start()


def _log_failure(exc: Exception) -> None:
    log.warning("camtag: a background call failed", exc_info=exc)


def wait_for_workers(msecs: int = 5000) -> bool:
    """Block until every pool thread is idle (on quit, after cancelling the jobs)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
