"""Editor operations as undoable commands returning a :class:`Changes` summary.

Each command touches a known set of shots. :class:`camtag.library.Library.apply` snapshots those
shots' rows before and after (one transaction), so undo/redo restore them exactly (same ids) and
refuse if someone else changed them meanwhile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from camtag.library.errors import LibraryError
from camtag.library.records import Changes
from camtag.library.rows import marks
from camtag.library.store import Tx

TAG_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _ids(shot_ids: int | Iterable[int]) -> tuple[int, ...]:
    return (int(shot_ids),) if isinstance(shot_ids, int) else tuple(int(i) for i in shot_ids)


def shot_row(tx: Tx, shot_id: int):
    row = tx.one("SELECT * FROM shots WHERE id = ?", (shot_id,))
    if row is None:
        raise LibraryError(f"shot {shot_id} does not exist (deleted or re-analysed)")
    return row


class Command:
    label = "edit"

    def affected(self, tx: Tx) -> set[int]:
        """Existing shots this command touches (checked to exist)."""
        raise NotImplementedError

    def apply(self, tx: Tx, now: str) -> Changes:
        raise NotImplementedError


# -- tags ------------------------------------------------------------------------------------
@dataclass
class _TagCommand(Command):
    shot_ids: tuple
    tag: str

    def __post_init__(self) -> None:
        self.shot_ids = _ids(self.shot_ids)
        self.tag = str(self.tag).strip().lower().replace("-", "_")
        if not TAG_ID.match(self.tag):
            raise LibraryError(f"{self.tag!r} is not a tag id (letters, digits and _)")

    def affected(self, tx: Tx) -> set[int]:
        for sid in self.shot_ids:
            shot_row(tx, sid)
        return set(self.shot_ids)

    def rows(self, tx: Tx, sid: int) -> list:
        return tx.query("SELECT * FROM tags WHERE shot_id = ? AND tag = ?", (sid, self.tag))

    def set_state(self, tx: Tx, sid: int, state: str, now: str) -> None:
        tx.execute("UPDATE tags SET state = ?, changed_at = ? WHERE shot_id = ? AND tag = ?",
                   (state, now, sid, self.tag))

    def insert(self, tx: Tx, sid: int, state: str, now: str, confidence: float,
               start: Optional[int] = None, end: Optional[int] = None) -> None:
        tx.execute("INSERT INTO tags (shot_id, tag, source, state, confidence, reason, start_frame, "
                   "end_frame, created_at, changed_at) VALUES (?, ?, 'editor', ?, ?, '', ?, ?, ?, ?)",
                   (sid, self.tag, state, confidence, start, end, now, now))

    def changes(self) -> Changes:
        return Changes(shots=frozenset(self.shot_ids),
                       tags=frozenset((s, self.tag) for s in self.shot_ids), label=self.label)


class ConfirmTag(_TagCommand):
    """The editor agrees with a proposed tag (adds it if nobody proposed it)."""

    @property
    def label(self) -> str:
        return f"Confirm {self.tag}"

    def apply(self, tx: Tx, now: str) -> Changes:
        for sid in self.shot_ids:
            if self.rows(tx, sid):
                self.set_state(tx, sid, "confirmed", now)
            else:
                self.insert(tx, sid, "added", now, 1.0)
        return self.changes()


class RejectTag(_TagCommand):
    """The editor says the tag is wrong; it stays rejected across re-analysis."""

    @property
    def label(self) -> str:
        return f"Reject {self.tag}"

    def apply(self, tx: Tx, now: str) -> Changes:
        for sid in self.shot_ids:
            if self.rows(tx, sid):
                self.set_state(tx, sid, "rejected", now)
            else:
                self.insert(tx, sid, "rejected", now, 0.0)
        return self.changes()


@dataclass
class AddTag(_TagCommand):
    """The editor adds a tag (optionally for part of the shot); a proposed one becomes confirmed."""

    start_frame: Optional[int] = None
    end_frame: Optional[int] = None

    @property
    def label(self) -> str:
        return f"Add {self.tag}"

    def apply(self, tx: Tx, now: str) -> Changes:
        for sid in self.shot_ids:
            if self.rows(tx, sid) and self.start_frame is None:
                self.set_state(tx, sid, "confirmed", now)
            else:
                self.insert(tx, sid, "added", now, 1.0, self.start_frame, self.end_frame)
        return self.changes()


# -- notes and collections -------------------------------------------------------------------
@dataclass
class EditNote(Command):
    shot_id: int
    text: str

    label = "Edit note"

    def affected(self, tx: Tx) -> set[int]:
        shot_row(tx, self.shot_id)
        return {self.shot_id}

    def apply(self, tx: Tx, now: str) -> Changes:
        body = self.text.strip()
        if body:
            tx.execute("INSERT INTO notes (shot_id, body, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (shot_id) DO UPDATE SET body = excluded.body, "
                       "updated_at = excluded.updated_at", (self.shot_id, body, now))
        else:
            tx.execute("DELETE FROM notes WHERE shot_id = ?", (self.shot_id,))
        return Changes(shots=frozenset({self.shot_id}), notes=frozenset({self.shot_id}),
                       label=self.label)


@dataclass
class CollectShots(Command):
    """Add shots to (or, with ``remove=True``, take them out of) a manual collection."""

    collection: str
    shot_ids: tuple
    remove: bool = False

    def __post_init__(self) -> None:
        self.shot_ids = _ids(self.shot_ids)

    @property
    def label(self) -> str:
        return f"{'Remove from' if self.remove else 'Add to'} {self.collection}"

    def affected(self, tx: Tx) -> set[int]:
        for sid in self.shot_ids:
            shot_row(tx, sid)
        return set(self.shot_ids)

    def apply(self, tx: Tx, now: str) -> Changes:
        row = tx.one("SELECT id, kind FROM collections WHERE name = ?", (self.collection,))
        if row is None or row["kind"] != "manual":
            raise LibraryError(f"no manual collection named {self.collection!r}")
        if self.remove:
            tx.execute(f"DELETE FROM collection_shots WHERE collection_id = ? AND shot_id IN "
                       f"({marks(len(self.shot_ids))})", (row["id"], *self.shot_ids))
        else:
            tx.executemany("INSERT INTO collection_shots (collection_id, shot_id) VALUES (?, ?) "
                           "ON CONFLICT DO NOTHING", [(row["id"], s) for s in self.shot_ids])
        return Changes(shots=frozenset(self.shot_ids), collections=frozenset({self.collection}),
                       label=self.label)


# -- undo stack ----------------------------------------------------------------------------------
@dataclass
class UndoEntry:
    label: str
    before: dict
    after: dict
    changes: Changes


@dataclass
class UndoStack:
    limit: int = 200
    undo_entries: list = field(default_factory=list)
    redo_entries: list = field(default_factory=list)

    def push(self, entry: UndoEntry) -> None:
        self.undo_entries.append(entry)
        del self.undo_entries[:-self.limit]
        self.redo_entries.clear()

    @property
    def undo_label(self) -> Optional[str]:
        return self.undo_entries[-1].label if self.undo_entries else None

    @property
    def redo_label(self) -> Optional[str]:
        return self.redo_entries[-1].label if self.redo_entries else None
