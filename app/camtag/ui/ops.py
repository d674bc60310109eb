"""Editor operations as typed values, run off the GUI thread (Anki's ``CollectionOp`` pattern).

An :class:`Op` is a label and a function over the :class:`~camtag.library.Library` that returns
the :class:`~camtag.library.Changes` it made (None: nothing was done). The factories below are the
UI's whole vocabulary of edits: ``confirm_tag(ids, tag)``, ``split_shot(...)``, ``undo()``...

:class:`OpRunner` runs ops one at a time, in the order they were asked for, on a worker thread of
its own, so a slow disk or a poster decode never freezes the window and no edit overtakes another.
Back on the GUI thread each op ends in exactly one of: ``applied(op, changes)`` (the window
refreshes once from the returned Changes) then the op's ``on_success``; or ``failed(op, line)``
(one line for the status bar) then its ``on_failure``. The library's ``shots_did_change`` and
``collections_did_change`` events fired inside an op are not forwarded to the UI
(:func:`in_operation`): the returned Changes are the op's one refresh.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Optional

from PySide6.QtCore import QObject, QThreadPool, Signal

from camtag.library import Changes, Library, LibraryError, QueryError

log = logging.getLogger("camtag.ui")

OpFunc = Callable[[Library], Optional[Changes]]


class _OpThread(threading.local):
    active = False


_THREAD = _OpThread()


def in_operation() -> bool:
    """True on the thread running an op (its library events come back as the op's Changes)."""
    return _THREAD.active


@dataclass(frozen=True)
class Op:
    label: str
    run: OpFunc
    on_success: Optional[Callable[[Optional[Changes]], None]] = None
    on_failure: Optional[Callable[[str], None]] = None

    def success(self, callback: Callable[[Optional[Changes]], None]) -> "Op":
        return replace(self, on_success=callback)

    def failure(self, callback: Callable[[str], None]) -> "Op":
        return replace(self, on_failure=callback)


# -- the operations ------------------------------------------------------------------------------
def confirm_tag(shot_ids: Iterable[int], tag: str) -> Op:
    ids = list(shot_ids)
    return Op(f"Confirm {tag}", lambda lib: lib.confirm_tag(ids, tag))


def reject_tag(shot_ids: Iterable[int], tag: str) -> Op:
    ids = list(shot_ids)
    return Op(f"Reject {tag}", lambda lib: lib.reject_tag(ids, tag))


def add_tag(shot_ids: Iterable[int], tag: str) -> Op:
    ids = list(shot_ids)
    return Op(f"Add {tag}", lambda lib: lib.add_tag(ids, tag))


def replace_tags(pairs: dict[tuple[str, str], list[int]]) -> Op:
    """Reject each (old, new) pair's old tag and confirm its new one on its shots."""
    frozen = {key: list(ids) for key, ids in pairs.items()}

    def run(lib: Library) -> Changes:
        out = Changes()
        for (old, new), ids in frozen.items():
            out = out | lib.reject_tag(ids, old) | lib.confirm_tag(ids, new)
        return out
    return Op("Swap tags", run)


def edit_note(shot_id: int, text: str) -> Op:
    return Op("Edit note", lambda lib: lib.edit_note(shot_id, text))


def split_shot(shot_id: int, frame: int,
               posters: Optional[Callable[[Library], tuple]] = None) -> Op:
    """Split at ``frame``; ``posters(lib)`` (run on the op's thread: it decodes) gives the halves'
    new poster files."""
    def run(lib: Library) -> Changes:
        if posters is None:
            return lib.split_shot(shot_id, frame)
        return lib.split_shot(shot_id, frame, posters(lib))
    return Op("Split shot", run)


def merge_shots(shot_id: int) -> Op:
    return Op("Merge shots", lambda lib: lib.merge_shots(shot_id))


def undo() -> Op:
    return Op("Undo", lambda lib: lib.undo())


def redo() -> Op:
    return Op("Redo", lambda lib: lib.redo())


def _named(name: str, label: str) -> Changes:
    return Changes(collections=frozenset({name}), label=label)


def add_to_collection(name: str, shot_ids: Iterable[int]) -> Op:
    ids = list(shot_ids)
    return Op(f"Add to {name}", lambda lib: lib.add_to_collection(name, ids))


def remove_from_collection(name: str, shot_ids: Iterable[int]) -> Op:
    ids = list(shot_ids)
    return Op(f"Remove from {name}", lambda lib: lib.remove_from_collection(name, ids))


def create_collection(name: str, shot_ids: Iterable[int]) -> Op:
    ids = list(shot_ids)

    def run(lib: Library) -> Changes:
        lib.create_collection(name, ids)
        return _named(name, f"New collection {name}")
    return Op(f"New collection {name}", run)


def save_search(name: str, query: str) -> Op:
    def run(lib: Library) -> Changes:
        lib.save_search(name, query)
        return _named(name, f"Save search {name}")
    return Op(f"Save search {name}", run)


def delete_collection(name: str) -> Op:
    def run(lib: Library) -> Changes:
        lib.delete_collection(name)
        return _named(name, f"Delete {name}")
    return Op(f"Delete {name}", run)


def problem_line(op: Op, exc: BaseException) -> str:
    """One line for the status bar: the library's own words, else what failed and why."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, (LibraryError, QueryError)):
        return text
    return f"{op.label} failed: {text}"


# -- the runner ----------------------------------------------------------------------------------
class _Relay(QObject):
    """Lives on the GUI thread; emitted from the op's thread, so its slots run on the GUI thread."""
    done = Signal(object)          # the op's return value
    failed = Signal(object)        # the exception


class OpRunner(QObject):
    applied = Signal(object, object)     # (Op, Changes or None)
    failed = Signal(object, str)         # (Op, one line)

    def __init__(self, library: Callable[[], Optional[Library]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._queue: deque[Op] = deque()
        self._running: Optional[tuple[Op, Library]] = None
        self._relay = _Relay(self)
        self._relay.done.connect(self._done)
        self._relay.failed.connect(self._failed)

    @property
    def idle(self) -> bool:
        return self._running is None and not self._queue

    def submit(self, op: Op) -> None:
        """Queue ``op`` behind the ones already asked for; it runs when they have finished."""
        self._queue.append(op)
        self._next()

    def _next(self) -> None:
        while self._running is None and self._queue:
            op = self._queue.popleft()
            lib = self.library()
            if lib is None:
                self._report_failure(op, "No library is open.")
                continue
            self._running = (op, lib)
            relay = self._relay
            self._pool.start(lambda: _work(op, lib, relay))

    def _done(self, changes: Optional[Changes]) -> None:
        if self._running is None:
            return
        op, lib = self._running
        self._running = None
        if lib is self.library():          # not a library switched away from meanwhile
            self.applied.emit(op, changes)
            if op.on_success is not None:
                op.on_success(changes)
        self._next()

    def _failed(self, exc: BaseException) -> None:
        if self._running is None:
            return
        op, _lib = self._running
        self._running = None
        if not isinstance(exc, (LibraryError, QueryError)):
            log.warning("camtag: the operation %r failed", op.label, exc_info=exc)
        self._report_failure(op, problem_line(op, exc))
        self._next()

    def _report_failure(self, op: Op, line: str) -> None:
        self.failed.emit(op, line)
        if op.on_failure is not None:
            op.on_failure(line)

    def finish(self, msecs: int = 10000) -> None:
        """On close: wait for the running op, then apply the queued ones here: no edit is lost."""
        self._pool.waitForDone(msecs)
        self._running = None
        lib = self.library()
        while self._queue and lib is not None:
            op = self._queue.popleft()
            try:
                op.run(lib)
            except Exception as exc:  # noqa: BLE001 - closing: log it, keep the other edits
                log.warning("camtag: %s", problem_line(op, exc))
        self._queue.clear()


def _work(op: Op, lib: Library, relay: _Relay) -> None:
    _THREAD.active = True
    try:
        result = op.run(lib)
    except Exception as exc:  # noqa: BLE001 - every failure is one line on the GUI thread
        relay.failed.emit(exc)
    else:
        relay.done.emit(result)
    finally:
        _THREAD.active = False
