"""Frame consumers: anything that reads the single decode pass besides the shot detectors.

The pipeline merges the :class:`FrameSpec` of every consumer, decodes once, and feeds each
frame to every consumer in decode order. A consumer may do its work on its own thread
(see :class:`ThreadedConsumer`) so that it runs concurrently with decoding.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Protocol, runtime_checkable

from camtag.media.decode import AnalysisFrame, FrameSpec


@runtime_checkable
class FrameConsumer(Protocol):
    NAME: str
    spec: FrameSpec

    def consume(self, frame: AnalysisFrame) -> None: ...

    def finish(self) -> Any: ...


class ThreadedConsumer:
    """Runs another consumer on a worker thread fed by a bounded queue."""

    def __init__(self, inner: FrameConsumer, maxsize: int = 32) -> None:
        self.inner = inner
        self.NAME = inner.NAME
        self.spec = inner.spec
        self._queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"camtag-{inner.NAME}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            if self._error is None:
                try:
                    self.inner.consume(frame)
                except BaseException as exc:  # re-raised on the caller's thread
                    self._error = exc

    def consume(self, frame: AnalysisFrame) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(frame)

    def finish(self) -> Any:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.inner.finish()

    def abandon(self, timeout: float = 10.0) -> None:
        """Stop the worker without finishing (cancel path): drop queued frames, send the stop
        marker and wait for the thread, so no thread is left inside native code at exit."""
        self._error = self._error or RuntimeError("abandoned")
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)


class InlineConsumer:
    """The same interface as :class:`ThreadedConsumer`, on the caller's thread (one-core runs)."""

    def __init__(self, inner: FrameConsumer) -> None:
        self.inner = inner
        self.NAME = inner.NAME
        self.spec = inner.spec
        self.consume = inner.consume

    def finish(self) -> Any:
        return self.inner.finish()

    def abandon(self, timeout: float = 10.0) -> None:
        pass
