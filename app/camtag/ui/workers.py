"""The one Qt adapter for camtag jobs: a job (generator) runs on a pool thread via superqt's
``GeneratorWorker``; progress, result, errors and cancellation come back as calls on the GUI
thread. Cancelling sets the job's :class:`CancelToken` (the job stops between units and raises
``Cancelled``); the generator is always closed on its own thread, so nothing is left half-done.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QObject, QThreadPool, Signal

from camtag.jobs import CancelToken, Cancelled, Job, Progress


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


def run_in_thread(func: Callable[[], object], on_done: Callable[[object], None],
                  on_error: Optional[Callable[[Exception], None]] = None):
    """A short blocking call (probing a file, checking engines) off the GUI thread; returns the
    superqt ``FunctionWorker`` (keep it while it runs)."""
    from superqt.utils import FunctionWorker

    worker = FunctionWorker(func)
    worker.returned.connect(on_done)
    if on_error is not None:
        worker.errored.connect(on_error)
    worker.start()
    return worker


def wait_for_workers(msecs: int = 5000) -> bool:
    """Block until every pool thread is idle (on quit, after cancelling the jobs)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
