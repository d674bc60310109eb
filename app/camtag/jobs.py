"""The job API shared by the CLI and the UI.

A job is a generator that yields :class:`Progress` and checks a :class:`CancelToken`
between units of work; it returns its result (``StopIteration.value``). The CLI drives
it with a progress bar, the UI with a worker thread. Nothing else knows about threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Generator, Generic, Iterator, Optional, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    done: int
    total: Optional[int]
    message: str = ""
    partial: Any = None  # e.g. a newly finished Shot, for streaming UIs

    @property
    def fraction(self) -> Optional[float]:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str = "cancelled") -> None:
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled(self.reason or "cancelled")


Job = Generator[Progress, None, T]


class Driven(Generic[T]):
    """A job driven by hand: iterate it for its :class:`Progress`; once the iteration ends,
    :attr:`result` holds what the job returned (``finished`` tells it did). The one place that
    knows how a job's result comes back (``StopIteration.value``)::

        run = drive(job)
        for progress in run:
            ...
        record = run.result
    """

    def __init__(self, job: Job[T]) -> None:
        self.job = job
        self.finished = False
        self._result: Optional[T] = None

    def __iter__(self) -> Iterator[Progress]:
        self._result = yield from self.job
        self.finished = True

    @property
    def result(self) -> T:
        if not self.finished:
            raise RuntimeError("the job has not finished")
        return self._result  # type: ignore[return-value]

    def close(self) -> None:
        self.job.close()


def drive(job: Job[T]) -> Driven[T]:
    return Driven(job)


def run_job(job: Job[T], on_progress: Callable[[Progress], None] | None = None) -> T:
    """Drive a job to completion synchronously and return its result."""
    run = drive(job)
    for progress in run:
        if on_progress is not None:
            on_progress(progress)
    return run.result
