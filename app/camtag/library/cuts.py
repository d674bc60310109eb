"""Undoable cut edits: split a shot, merge it with the next, move a cut.

Each half or merged shot keeps only what is true of its frames (see :class:`SplitShot`), and shot
numbers are in frame order again at once (the later shots of the clip are part of the undo step).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from camtag.library import curves as blobs
from camtag.library.errors import LibraryError
from camtag.library.ops import Command, shot_row
from camtag.library.records import Changes
from camtag.library.rows import insert_tag_rows, marks
from camtag.library.store import Tx


def _clip(start, end, lo: int, hi: int):
    """A tag/segment range clipped to [lo, hi); None when nothing is left; (None, None) stays."""
    if start is None:
        return (None, None)
    s, e = max(start, lo), min(end, hi)
    return (s, e) if s < e else None



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


def _later(tx: Tx, row) -> set[int]:
    """The shots after ``row`` in its analysis (their numbers change when it is split or merged)."""
    return set(tx.column("SELECT id FROM shots WHERE analysis_id = ? AND start_frame > ?",
                         (row["analysis_id"], row["start_frame"])))


def _renumber(tx: Tx, analysis_id: int) -> set[int]:
    """Shot numbers in frame order again; returns the shots whose number changed."""
    moved = [(n, r["id"]) for n, r in enumerate(tx.query(
        "SELECT id, idx FROM shots WHERE analysis_id = ? ORDER BY start_frame", (analysis_id,)))
        if r["idx"] != n]
    tx.executemany("UPDATE shots SET idx = ? WHERE id = ?", moved)
    return {sid for _, sid in moved}


def _note_trace(tx: Tx, shot_id: int, text: str) -> None:
    """Replace a shot's reasoning traces (they described other frames) by one line saying so."""
    tx.execute("DELETE FROM traces WHERE shot_id = ?", (shot_id,))
    tx.execute("INSERT INTO traces (shot_id, source, observation, reasoning, answer, raw, problems) "
               "VALUES (?, 'editor', ?, '', '', '', '[]')", (shot_id, text))


def _keep_supported_tags(tx: Tx, shot_id: int, keep_source: str = "editor") -> None:
    """After a split: an engine's whole-shot tag stays on a half only where that half's segments
    still name it (it described the whole parent); the editor's decisions stay as they are."""
    named: set[str] = set()
    for r in tx.query("SELECT tags FROM segments WHERE shot_id = ?", (shot_id,)):
        named.update((r["tags"] or "").split())            # stored space-separated (rows.py)
    for r in tx.query("SELECT id, tag FROM tags WHERE shot_id = ? AND start_frame IS NULL "
                      "AND state = 'proposed' AND source NOT IN ('editor', ?)", (shot_id, keep_source)):
        if r["tag"] not in named:
            tx.execute("DELETE FROM tags WHERE id = ?", (r["id"],))


def analysis_thresholds(lib, analysis_id: int):
    """The motion thresholds the analysis ran with (its stored ``motion_settings``), so a re-read
    half is read as the engine read the shot; the defaults when none were set."""
    from camtag.motion.engine import EngineSettings

    with lib.store.read() as tx:
        raw = tx.scalar("SELECT settings FROM analyses WHERE id = ?", (analysis_id,))
    try:
        stored = json.loads(raw or "{}").get("motion_settings") or {}
        return EngineSettings.from_dict(stored).thresholds
    except (ValueError, TypeError, AttributeError):     # settings of another version: defaults
        return EngineSettings().thresholds


def _read_ranges(lib, analysis_id: int, ranges) -> tuple:
    """The motion engine's reading of each frame range from the analysis' stored curves (as the
    engine reads a shot), or () when there are none to read (another engine, an old library)."""
    from camtag.motion.classify import read_shot
    from camtag.motion.curves import MotionCurves

    try:
        curves = lib.motion_curves(analysis_id)
        if not isinstance(curves, MotionCurves):
            return ()
        thresholds = analysis_thresholds(lib, analysis_id)
        return tuple(read_shot(curves.slice(lo, hi), thresholds) for lo, hi in ranges)
    except Exception:  # noqa: BLE001 - no reading: the edit keeps what it can prove instead
        return ()


def reread(lib, shot_id: int, frame: int) -> tuple:
    """Readings of the two halves of ``shot_id`` split at ``frame`` (() when none)."""
    try:
        rec = lib.shot(shot_id)
    except LibraryError:
        return ()
    if not rec.start_frame < frame < rec.end_frame:
        return ()
    return _read_ranges(lib, rec.analysis_id, ((rec.start_frame, frame), (frame, rec.end_frame)))


def reread_merge(lib, shot_id: int) -> tuple:
    """The reading of ``shot_id`` merged with the shot after it (() when none)."""
    with lib.store.read() as tx:
        row = tx.one("SELECT * FROM shots WHERE id = ?", (shot_id,))
        nxt = _neighbour(tx, row, after=True) if row is not None else None
    if nxt is None:
        return ()
    return _read_ranges(lib, row["analysis_id"], ((row["start_frame"], nxt["end_frame"]),))


def _insert_trace(tx: Tx, shot_id: int, tr) -> None:
    tx.execute("INSERT INTO traces (shot_id, source, observation, reasoning, answer, raw, problems) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)", (shot_id, tr.source, tr.observation, tr.reasoning,
                                                tr.answer, tr.raw, json.dumps(list(tr.problems))))


def _apply_reading(tx: Tx, shot_id: int, reading, now: str) -> None:
    """A half's geometric tags, segments, trace and evidence from its own curves; the editor's
    decisions on geometric tags stay (a re-read tag they decided is not proposed again)."""
    tx.execute("DELETE FROM tags WHERE shot_id = ? AND source = 'geometry' AND state = 'proposed'",
               (shot_id,))
    decided = {r[0] for r in tx.query("SELECT tag FROM tags WHERE shot_id = ? AND source = "
                                      "'geometry'", (shot_id,))}
    insert_tag_rows(tx, shot_id, [t for t in reading.tags if t.id not in decided], now)
    tx.execute("DELETE FROM segments WHERE shot_id = ?", (shot_id,))
    tx.executemany("INSERT INTO segments (shot_id, start_frame, end_frame, tags, confidence) "
                   "VALUES (?, ?, ?, ?, ?)", [(shot_id, g.start_frame, g.end_frame,
                                               " ".join(g.tags), float(g.confidence))
                                              for g in reading.segments])
    old = tx.scalar("SELECT data FROM shot_evidence WHERE shot_id = ?", (shot_id,))
    evidence = {**(blobs.to_plain(blobs.decode(old)) if old is not None else {}),
                "geometry": reading.evidence}
    tx.execute("DELETE FROM shot_evidence WHERE shot_id = ?", (shot_id,))
    tx.execute("INSERT INTO shot_evidence (shot_id, data) VALUES (?, ?)",
               (shot_id, blobs.encode(evidence)))


@dataclass
class SplitShot(Command):
    """Cut a shot in two at ``frame`` (the first frame of the new second shot). Each half keeps
    only what is true of its frames: ranged tags and segments clipped, whole-shot engine tags where
    its segments support them, a trace saying to re-analyse, optional ``posters`` (first, second)
    and shot numbers in frame order at once."""

    shot_id: int
    frame: int
    posters: tuple = (None, None)
    readings: tuple = ()            # (first, second) motion readings from :func:`reread`
    label = "Split shot"

    def affected(self, tx: Tx) -> set[int]:
        row = shot_row(tx, self.shot_id)
        if not row["start_frame"] < self.frame < row["end_frame"]:
            raise LibraryError(f"cannot split shot {self.shot_id} at frame {self.frame}: it spans "
                               f"{row['start_frame']}-{row['end_frame']}")
        return {self.shot_id} | _later(tx, row)

    def apply(self, tx: Tx, now: str) -> Changes:
        row = shot_row(tx, self.shot_id)
        first_poster, second_poster = self.posters
        new = tx.insert(
            "INSERT INTO shots (analysis_id, media_id, idx, start_frame, end_frame, transition_type, "
            "transition_start, transition_end, poster) "
            "VALUES (?, ?, ?, ?, ?, 'cut', ?, ?, ?) RETURNING id",
            (row["analysis_id"], row["media_id"], row["idx"] + 1, self.frame, row["end_frame"],
             self.frame, self.frame + 1, second_poster))
        tx.execute("INSERT INTO shot_evidence (shot_id, data) SELECT CAST(? AS INTEGER), data "
                   "FROM shot_evidence WHERE shot_id = ?", (new, self.shot_id))
        tx.execute("UPDATE shots SET end_frame = ?, poster = COALESCE(?, poster) WHERE id = ?",
                   (self.frame, first_poster, self.shot_id))
        for table, cols in (("tags", "tag, source, state, confidence, reason, start_frame, "
                                     "end_frame, created_at, changed_at"),
                            ("segments", "start_frame, end_frame, tags, confidence")):
            tx.execute(f"INSERT INTO {table} (shot_id, {cols}) SELECT CAST(? AS INTEGER), {cols} "
                       f"FROM {table} WHERE shot_id = ? ORDER BY id", (new, self.shot_id))
        tx.execute("INSERT INTO collection_shots (collection_id, shot_id) SELECT collection_id, "
                   "CAST(? AS INTEGER) FROM collection_shots WHERE shot_id = ?", (new, self.shot_id))
        reread = len(self.readings) == 2      # geometry re-read from the stored motion curves
        stale = tx.scalar("SELECT count(*) FROM traces WHERE shot_id = ?"
                          + (" AND source != 'geometry'" if reread else ""), (self.shot_id,), 0)
        note = (f"Split from a shot over frames {row['start_frame']}-{row['end_frame']}; "
                f"{'the model' if reread else 'its'} reasoning described the whole shot. "
                f"Re-analyse to update.")
        halves = ((self.shot_id, row["start_frame"], self.frame), (new, self.frame, row["end_frame"]))
        for n, (sid, lo, hi) in enumerate(halves):
            _clip_children(tx, sid, lo, hi)
            if reread:
                _apply_reading(tx, sid, self.readings[n], now)
            _keep_supported_tags(tx, sid, "geometry" if reread else "editor")
            tx.execute("DELETE FROM traces WHERE shot_id = ?", (sid,))
            if stale:
                _note_trace(tx, sid, note)
            if reread:
                _insert_trace(tx, sid, self.readings[n].trace)
        tags = {r[0] for r in tx.query(f"SELECT tag FROM tags WHERE shot_id IN ({marks(2)})",
                                       (self.shot_id, new))}
        renumbered = _renumber(tx, row["analysis_id"]) - {new}
        return Changes(shots=frozenset({self.shot_id} | renumbered), added_shots=frozenset({new}),
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
    readings: tuple = ()            # (merged,) motion reading from :func:`reread_merge`
    label = "Merge shots"

    def affected(self, tx: Tx) -> set[int]:
        nxt = _neighbour(tx, shot_row(tx, self.shot_id), after=True)
        if nxt is None:
            raise LibraryError(f"shot {self.shot_id} is the last shot; nothing to merge with")
        self._next = nxt["id"]
        return {self.shot_id} | _later(tx, shot_row(tx, self.shot_id))

    def apply(self, tx: Tx, now: str) -> Changes:
        a, b = shot_row(tx, self.shot_id), shot_row(tx, self._next)
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
        if self.readings:                   # geometry re-read over the merged frames
            _apply_reading(tx, a["id"], self.readings[0], now)
            tx.execute("DELETE FROM traces WHERE shot_id = ? AND source = 'geometry'", (a["id"],))
        if tx.scalar("SELECT count(*) FROM traces WHERE shot_id = ?", (a["id"],), 0) > 1:
            _note_trace(tx, a["id"], f"Merged from the shots over frames {a['start_frame']}-"
                                     f"{a['end_frame']} and {b['start_frame']}-{b['end_frame']}; "
                                     f"their reasoning described each part. Re-analyse to update.")
        if self.readings:
            _insert_trace(tx, a["id"], self.readings[0].trace)
        renumbered = _renumber(tx, a["analysis_id"])
        if len(notes) > 1:
            tx.execute("UPDATE notes SET body = ?, updated_at = ? WHERE shot_id = ?",
                       ("\n".join(notes), now, a["id"]))
        elif notes:
            tx.execute("INSERT INTO notes (shot_id, body, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (shot_id) DO NOTHING", (a["id"], notes[0], now))
        return Changes(shots=frozenset({a["id"]} | renumbered), removed_shots=frozenset({b["id"]}),
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
        b = shot_row(tx, self.shot_id)
        a = _neighbour(tx, b, after=False)
        if a is None or a["end_frame"] != b["start_frame"]:
            raise LibraryError(f"shot {self.shot_id} has no shot right before it; no cut to move")
        if not a["start_frame"] < self.frame < b["end_frame"]:
            raise LibraryError(f"cannot move the cut to frame {self.frame}: it must stay inside "
                               f"{a['start_frame'] + 1}-{b['end_frame'] - 1}")
        self._prev = a["id"]
        return {a["id"], b["id"]}

    def apply(self, tx: Tx, now: str) -> Changes:
        a, b = shot_row(tx, self._prev), shot_row(tx, self.shot_id)
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
