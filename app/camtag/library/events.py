"""Plain-Python events the UI subscribes to (no Qt): ``library.events.shots_did_change.connect(cb)``.

Callbacks run synchronously on the thread that made the change (an analysis worker thread, say);
a Qt UI marshals to the GUI thread itself (e.g. superqt's ``ensure_main_thread``). A callback that
raises is logged and does not affect the library or the other callbacks.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)


class Signal:
    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []
        self._lock = threading.Lock()

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Subscribe; returns the callback so this works as a decorator."""
        with self._lock:
            if callback not in self._callbacks:
                self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(*args)
            except Exception:  # noqa: BLE001 - a broken subscriber must not break the library
                log.warning("camtag library event %s: subscriber %r failed", self.name, callback,
                            exc_info=True)

    def __repr__(self) -> str:
        return f"<Signal {self.name} ({len(self._callbacks)} subscribers)>"


class LibraryEvents:
    """The library's hooks, named ``<noun>_did_<verb>``.

    - ``shots_did_change(changes: Changes)``: editor ops, undo/redo, shots stored by an analysis;
    - ``media_did_change(media_ids: frozenset[int])``: media added, re-linked or (re)analysed;
    - ``analysis_did_start(record: AnalysisRecord)`` / ``analysis_did_finish(record)``;
    - ``collections_did_change(names: frozenset[str])``;
    - ``undo_did_change()``: undo/redo availability or labels changed;
    - ``library_did_change_externally()``: another process committed (see Library.poll_external_changes).
    """

    def __init__(self) -> None:
        self.shots_did_change = Signal("shots_did_change")
        self.media_did_change = Signal("media_did_change")
        self.analysis_did_start = Signal("analysis_did_start")
        self.analysis_did_finish = Signal("analysis_did_finish")
        self.collections_did_change = Signal("collections_did_change")
        self.undo_did_change = Signal("undo_did_change")
        self.library_did_change_externally = Signal("library_did_change_externally")
