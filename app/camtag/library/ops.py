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


def _shot(tx: Tx, shot_id: int):
    row = tx.one("SELECT * FROM shots WHERE id = ?", (shot_id,))
    if row is None:
        raise LibraryError(f"shot {shot_id} does not exist (deleted or re-analysed)")
    return row


def _clip(start, end, lo: int, hi: int):
    """A tag/segment range clipped to [lo, hi); None when nothing is left; (None, None) stays."""
    if start is None:
        return (None, None)
    s, e = max(start, lo), min(end, hi)
    return (s, e) if s < e else None


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
            _shot(tx, sid)
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
        _shot(tx, self.shot_id)
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
            _shot(tx, sid)
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


# -- cuts --------------------------------------------------------------------------------------
def _clip_children(tx: Tx, shot_id: int, lo: int, hi: int) -> None:
    for table in ("tags", "segments"):
        for r in tx.query(f"SELECT id, start_frame, end_frame FROM {table} WHERE shot_id = ?",
                          (shot_id,)):
            clipped = _clip(r["start_frame"], r["end_frame"], lo, hi)
            if clipped is None:
                tx.execute(f"DELETE FROM {table} WHERE id = ?", (r["id"],))
            elif clipped != (r["start_frame"], r["end_frame"]):
                tx.execute(f"UPDATE {table} SET start_frame = ?, end_frame = ? WHERE id = ?",
                           (*clipped, r["id"]))


@dataclass
class SplitShot(Command):
    """Cut a shot in two at ``frame`` (the first frame of the new second shot)."""

    shot_id: int
    frame: int
    label = "Split shot"

    def affected(self, tx: Tx) -> set[int]:
        row = _shot(tx, self.shot_id)
        if not row["start_frame"] < self.frame < row["end_frame"]:
            raise LibraryError(f"cannot split shot {self.shot_id} at frame {self.frame}: it spans "
                               f"{row['start_frame']}-{row['end_frame']}")
        return {self.shot_id}

    def apply(self, tx: Tx, now: str) -> Changes:
        row = _shot(tx, self.shot_id)
        new = tx.insert(
            "INSERT INTO shots (analysis_id, media_id, idx, start_frame, end_frame, transition_type, "
            "transition_start, transition_end, poster) "
            "VALUES (?, ?, ?, ?, ?, 'cut', ?, ?, NULL) RETURNING id",
            (row["analysis_id"], row["media_id"], row["idx"], self.frame, row["end_frame"],
             self.frame, self.frame + 1))
        tx.execute("INSERT INTO shot_evidence (shot_id, data) SELECT CAST(? AS INTEGER), data "
                   "FROM shot_evidence WHERE shot_id = ?", (new, self.shot_id))
        tx.execute("UPDATE shots SET end_frame = ? WHERE id = ?", (self.frame, self.shot_id))
        for table, cols in (("tags", "tag, source, state, confidence, reason, start_frame, "
                                     "end_frame, created_at, changed_at"),
                            ("segments", "start_frame, end_frame, tags, confidence"),
                            ("traces", "source, observation, reasoning, answer, raw, problems")):
            tx.execute(f"INSERT INTO {table} (shot_id, {cols}) SELECT CAST(? AS INTEGER), {cols} "
                       f"FROM {table} WHERE shot_id = ? ORDER BY id", (new, self.shot_id))
        tx.execute("INSERT INTO collection_shots (collection_id, shot_id) SELECT collection_id, "
                   "CAST(? AS INTEGER) FROM collection_shots WHERE shot_id = ?", (new, self.shot_id))
        _clip_children(tx, self.shot_id, row["start_frame"], self.frame)
        _clip_children(tx, new, self.frame, row["end_frame"])
        tags = {r[0] for r in tx.query("SELECT tag FROM tags WHERE shot_id = ?", (new,))}
        return Changes(shots=frozenset({self.shot_id}), added_shots=frozenset({new}),
                       tags=frozenset((s, t) for t in tags for s in (self.shot_id, new)),
                       label=self.label)


def _neighbour(tx: Tx, row, after: bool):
    if after:
        return tx.one("SELECT * FROM shots WHERE analysis_id = ? AND start_frame >= ? "
                      "ORDER BY start_frame LIMIT 1", (row["analysis_id"], row["end_frame"]))
    return tx.one("SELECT * FROM shots WHERE analysis_id = ? AND start_frame < ? "
                  "ORDER BY start_frame DESC LIMIT 1", (row["analysis_id"], row["start_frame"]))


@dataclass
class MergeShots(Command):
    """Merge a shot with the one after it (the cut between them goes away)."""

    shot_id: int
    label = "Merge shots"

    def affected(self, tx: Tx) -> set[int]:
        nxt = _neighbour(tx, _shot(tx, self.shot_id), after=True)
        if nxt is None:
            raise LibraryError(f"shot {self.shot_id} is the last shot; nothing to merge with")
        self._next = nxt["id"]
        return {self.shot_id, nxt["id"]}

    def apply(self, tx: Tx, now: str) -> Changes:
        a, b = _shot(tx, self.shot_id), _shot(tx, self._next)
        tags = {r[0] for r in tx.query(f"SELECT tag FROM tags WHERE shot_id IN ({marks(2)})",
                                       (a["id"], b["id"]))}
        notes = [r["body"] for r in tx.query(
            f"SELECT n.body FROM notes n JOIN shots s ON s.id = n.shot_id WHERE n.shot_id IN "
            f"({marks(2)}) ORDER BY s.start_frame", (a["id"], b["id"]))]
        for table in ("tags", "segments", "traces"):
            tx.execute(f"UPDATE {table} SET shot_id = ? WHERE shot_id = ?", (a["id"], b["id"]))
        tx.execute("INSERT INTO collection_shots (collection_id, shot_id) SELECT collection_id, "
                   "CAST(? AS INTEGER) FROM collection_shots WHERE shot_id = ? ON CONFLICT DO NOTHING",
                   (a["id"], b["id"]))
        self._dedupe_tags(tx, a["id"])
        tx.execute("DELETE FROM shots WHERE id = ?", (b["id"],))
        tx.execute("UPDATE shots SET end_frame = ? WHERE id = ?", (b["end_frame"], a["id"]))
        if len(notes) > 1:
            tx.execute("UPDATE notes SET body = ?, updated_at = ? WHERE shot_id = ?",
                       ("\n".join(notes), now, a["id"]))
        elif notes:
            tx.execute("INSERT INTO notes (shot_id, body, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (shot_id) DO NOTHING", (a["id"], notes[0], now))
        return Changes(shots=frozenset({a["id"]}), removed_shots=frozenset({b["id"]}),
                       tags=frozenset((a["id"], t) for t in tags),
                       notes=frozenset({a["id"]}) if notes else frozenset(), label=self.label)

    @staticmethod
    def _dedupe_tags(tx: Tx, shot_id: int) -> None:
        """One whole-shot row per (tag, source): the editor's latest decision wins, best confidence."""
        groups: dict[tuple, list] = {}
        for r in tx.query("SELECT * FROM tags WHERE shot_id = ? AND start_frame IS NULL ORDER BY id",
                          (shot_id,)):
            groups.setdefault((r["tag"], r["source"]), []).append(r)
        for rows in groups.values():
            if len(rows) < 2:
                continue
            decided = [r for r in rows if r["state"] != "proposed"]
            keep = max(decided, key=lambda r: r["changed_at"] or "") if decided else rows[0]
            best = max(r["confidence"] for r in rows)
            tx.execute("UPDATE tags SET confidence = ? WHERE id = ?", (best, keep["id"]))
            others = [r["id"] for r in rows if r["id"] != keep["id"]]
            tx.execute(f"DELETE FROM tags WHERE id IN ({marks(len(others))})", others)


@dataclass
class MoveCut(Command):
    """Move the cut at the start of ``shot_id`` to ``frame`` (its previous shot grows or shrinks)."""

    shot_id: int
    frame: int
    label = "Move cut"

    def affected(self, tx: Tx) -> set[int]:
        b = _shot(tx, self.shot_id)
        a = _neighbour(tx, b, after=False)
        if a is None or a["end_frame"] != b["start_frame"]:
            raise LibraryError(f"shot {self.shot_id} has no shot right before it; no cut to move")
        if not a["start_frame"] < self.frame < b["end_frame"]:
            raise LibraryError(f"cannot move the cut to frame {self.frame}: it must stay inside "
                               f"{a['start_frame'] + 1}-{b['end_frame'] - 1}")
        self._prev = a["id"]
        return {a["id"], b["id"]}

    def apply(self, tx: Tx, now: str) -> Changes:
        a, b = _shot(tx, self._prev), _shot(tx, self.shot_id)
        delta = self.frame - b["start_frame"]
        tr = (b["transition_type"], b["transition_start"], b["transition_end"])
        if tr[0] in (None, "cut"):
            tr = ("cut", self.frame, self.frame + 1)
        else:
            tr = (tr[0], tr[1] + delta, tr[2] + delta)
        tx.execute("UPDATE shots SET end_frame = ? WHERE id = ?", (self.frame, a["id"]))
        tx.execute("UPDATE shots SET start_frame = ?, transition_type = ?, transition_start = ?, "
                   "transition_end = ? WHERE id = ?", (self.frame, *tr, b["id"]))
        _clip_children(tx, a["id"], a["start_frame"], self.frame)
        _clip_children(tx, b["id"], self.frame, b["end_frame"])
        return Changes(shots=frozenset({a["id"], b["id"]}), label=self.label)


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
