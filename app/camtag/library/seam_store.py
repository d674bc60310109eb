"""Storage for the seams of a split analysis (see ``camtag.runs.seams``): the stored shots with
their side data, the first junction where neighbouring parts disagree, whether a re-analysed shot
equals a stored one, putting re-analysed shots in place, and the finished file's curves.

At each junction of consecutive stored shots ``s``, ``t``:

- ``t`` starts where ``s`` ends (no gap, no overlap);
- ``t``'s incoming transition is the one the run that made ``s`` saw there;
- when another part made ``t``: the motion columns ``s``'s part measured just past its closing
  boundary equal ``t``'s stored columns, bit for bit (the tracker and window state agree).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Optional, Protocol, Sequence

import numpy as np

from camtag.library import curves
from camtag.library.errors import LibraryError
from camtag.library.records import MediaRecord, RunOutcome
from camtag.library.rows import analysis_record, load_shots, media_record, write_shot
from camtag.library.schema import now
from camtag.model import Shot, Transition

if TYPE_CHECKING:
    from camtag.library.library import Library
    from camtag.library.records import AnalysisRecord

REPAIR = -1          # part_shots.part of shots made by a seam repair


@dataclass(frozen=True)
class StoredShot:
    """A stored shot of a split analysis with its side data."""

    id: int
    start: int
    end: int
    transition: Optional[Transition]
    part: Optional[int]               # None: no side data (not written by a part)
    next: Optional[Transition]


def _transition(kind, start, end) -> Optional[Transition]:
    return Transition(kind, start, end) if kind else None


def load_stored(tx, analysis_id: int) -> list[StoredShot]:
    rows = tx.query(
        "SELECT s.id, s.start_frame, s.end_frame, s.transition_type, s.transition_start, "
        "s.transition_end, p.part, p.next_type, p.next_start, p.next_end FROM shots s "
        "LEFT JOIN part_shots p ON p.analysis_id = s.analysis_id AND p.start_frame = s.start_frame "
        "WHERE s.analysis_id = ? ORDER BY s.start_frame", (analysis_id,))
    return [StoredShot(r[0], r[1], r[2], _transition(r[3], r[4], r[5]), r[6],
                    _transition(r[7], r[8], r[9])) for r in rows]


def _chunk(tx, analysis_id: int, start: int):
    blob = tx.scalar("SELECT curves FROM part_shots WHERE analysis_id = ? AND start_frame = ?",
                     (analysis_id, start))
    return curves.decode_motion(bytes(blob)) if blob is not None else None


def _columns_equal(a, b, frames: Optional[int] = None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    n = frames if frames is not None else max(a.frames, b.frames)
    for key in a.arrays:
        x, y = np.asarray(a.arrays[key])[:n], np.asarray(b.arrays.get(key, ()))[:n]
        if len(x) != len(y) or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
            return False
    return True


def _columns_from(tx, analysis_id: int, shots: list[StoredShot], i: int, frames: int):
    """Stored motion columns of ``frames`` frames from the start of ``shots[i]`` on."""
    from camtag.motion.curves import MotionCurves

    parts = []
    have = 0
    while i < len(shots) and have < frames:
        c = _chunk(tx, analysis_id, shots[i].start)
        if c is None:
            return None
        parts.append(c)
        have += c.frames
        i += 1
    if not parts:
        return None
    arrays = {k: np.concatenate([np.asarray(p.arrays[k]) for p in parts]) for k in parts[0].arrays}
    return MotionCurves(parts[0].start_frame, parts[0].rate, arrays, (), parts[0].width)


def first_bad_junction(tx, analysis_id: int, shots: list[StoredShot]) -> Optional[int]:
    """Index of the first stored shot that does not follow on from the one before (0: the first
    shot does not start at frame 0); None when every junction agrees."""
    if not shots:
        return None
    if shots[0].start != 0:
        return 0
    parts = {r["part"]: r for r in tx.query("SELECT * FROM analysis_parts WHERE analysis_id = ?",
                                            (analysis_id,))}
    for i in range(1, len(shots)):
        s, t = shots[i - 1], shots[i]
        if s.end != t.start or s.part is None or t.part is None or s.next != t.transition:
            return i
        if REPAIR in (s.part, t.part):
            continue
        own = parts.get(s.part)
        if s.part == t.part:            # one part; a retried attempt may have resumed here
            if own is not None and t.start in json.loads(own["info"] or "{}").get(
                    "suspect_resumes", []):
                return i
            continue
        if own is None or own["closing"] != s.end:
            return i
        if own["tail"] is not None:
            tail = curves.decode_motion(bytes(own["tail"]))
            if not _columns_equal(tail, _columns_from(tx, analysis_id, shots, i, tail.frames),
                                  tail.frames):
                return i
    return None


# -- comparing a re-analysed shot with a stored one ----------------------------------------------
def _shot_key(shot: Shot, tags) -> tuple:
    return (shot.start_frame, shot.end_frame, shot.transition_in,
            tuple(sorted((t[0], t[1], float(t[2]), t[3], t[4]) for t in tags)),
            tuple((g.start_frame, g.end_frame, tuple(g.tags), float(g.confidence))
                  for g in shot.segments))


class ShotSide(Protocol):
    """What a part run hands out with each shot (``camtag.pipeline.ShotCurves``)."""

    @property
    def curves(self) -> object: ...

    @property
    def next_transition(self) -> Optional[Transition]: ...


def _same(tx, analysis_id: int, stored: StoredShot, shot: Shot, side: Optional[ShotSide]) -> bool:
    """Is the stored shot what this run made at the same frame (tags, columns, next transition)?"""
    found = load_shots(tx, [stored.id], whole_analysis=True)
    if not found:
        return False
    rec = found[0]
    proposed = [(t.tag, t.source, t.confidence, t.start_frame, t.end_frame)
                for t in rec.tag_records if t.source != "editor"]
    mine = [(t.id, t.source, t.confidence, t.start_frame, t.end_frame) for t in shot.tags
            if t.source != "editor"]
    if _shot_key(rec.shot, proposed) != _shot_key(shot, mine):
        return False
    if side is None or stored.next != side.next_transition:
        return False
    return _columns_equal(_chunk(tx, analysis_id, stored.start), side.curves)


def matches(lib: "Library", analysis_id: int, stored: StoredShot, shot: Shot,
            side: Optional[ShotSide]) -> bool:
    """Is the stored shot what this run made at the same frame (tags, columns, next transition)?"""
    with lib.store.read() as tx:
        return _same(tx, analysis_id, stored, shot, side)


def stored_at(lib: "Library", analysis_id: int, start: int) -> Optional[StoredShot]:
    with lib.store.read() as tx:
        return next((s for s in load_stored(tx, analysis_id) if s.start == start), None)


def next_bad_junction(lib: "Library", analysis_id: int) -> tuple[list[StoredShot], Optional[int]]:
    """The stored shots and the index of the first one that does not follow on (None: all do)."""
    with lib.store.read() as tx:
        shots = load_stored(tx, analysis_id)
        return shots, first_bad_junction(tx, analysis_id, shots)


@dataclass(frozen=True)
class SplitState:
    """A split analysis as stored: its row, media, parts' rows and whether it is finished."""

    row: Any
    media: MediaRecord
    parts: list
    shots: int

    @property
    def done(self) -> bool:
        return self.row["status"] == "done"

    @property
    def waiting(self) -> list[int]:
        return [p["part"] + 1 for p in self.parts if p["status"] != "done"]

    @property
    def preroll(self) -> int:
        return max([0] + [p["preroll"] for p in self.parts])

    def record(self) -> "AnalysisRecord":
        return analysis_record(self.row, self.shots)


def split_state(lib: "Library", analysis_id: int) -> SplitState:
    with lib.store.read() as tx:
        row = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
        if row is None:
            raise LibraryError(f"analysis {analysis_id} is not in the library")
        media = media_record(tx.one("SELECT * FROM media WHERE id = ?", (row["media_id"],)))
        parts = tx.query("SELECT * FROM analysis_parts WHERE analysis_id = ? ORDER BY part",
                         (analysis_id,))
        count = tx.scalar("SELECT count(*) FROM shots WHERE analysis_id = ?", (analysis_id,), 0)
    return SplitState(row, media, parts, count)


def renumber(lib: "Library", analysis_id: int) -> None:
    """Final shot numbers, in frame order."""
    with lib.store.write() as tx:
        ids = tx.column("SELECT id FROM shots WHERE analysis_id = ? ORDER BY start_frame",
                        (analysis_id,))
        tx.executemany("UPDATE shots SET idx = ? WHERE id = ?", [(n, sid) for n, sid in enumerate(ids)])


def drop_side_data(lib: "Library", analysis_id: int) -> None:
    """The side data of a finished split analysis has served its purpose."""
    with lib.store.write() as tx:
        tx.execute("DELETE FROM part_shots WHERE analysis_id = ?", (analysis_id,))
        tx.execute("DELETE FROM analysis_frame_index WHERE analysis_id = ?", (analysis_id,))
        tx.execute("UPDATE analysis_parts SET tail = NULL WHERE analysis_id = ?", (analysis_id,))


def parts_outcome(lib: "Library", state: SplitState) -> RunOutcome:
    """What the parts made, for :func:`camtag.library.analyses.finish`."""
    warnings: list[str] = []
    errors: list[str] = []
    detector, engine = state.row["detector"], ""
    for p in state.parts:
        info = json.loads(p["info"] or "{}")
        for w in info.get("warnings", []):
            if w not in warnings:
                warnings.append(w)
        for e in info.get("errors", []):
            if e not in errors:
                errors.append(e)
        detector = info.get("detector") or detector
        engine = info.get("engine") or engine
    media = state.media
    return RunOutcome(media=replace(media.info, path=media.path) if media.info else None,
                      motion=_stitch(lib, state.row["id"]), warnings=tuple(warnings),
                      errors=tuple(errors), engine=engine, detector=detector)


def replace_shots(lib: "Library", analysis_id: int, media_id: int, first: int,
                  until: Optional[int], shots: Sequence[tuple[Shot, Optional[ShotSide]]]
                  ) -> tuple[set[int], set[int]]:
    """Put the re-analysed shots in place of the stored ones in [first, until); identical stored
    shots stay (ids, editor state). Returns (added, removed) shot ids."""
    stamp = now()
    added: set[int] = set()
    removed: set[int] = set()
    with lib.store.write() as tx:
        upto = "" if until is None else f" AND start_frame < {int(until)}"
        rows = tx.query("SELECT start_frame FROM shots WHERE analysis_id = ? AND start_frame >= ?"
                        + upto + " ORDER BY start_frame", (analysis_id, first))
        stored = {s.start: s for s in load_stored(tx, analysis_id)}
        mine = {shot.start_frame: (shot, side) for shot, side in shots}
        for (begin,) in rows:
            s = stored[begin]
            if begin in mine and _same(tx, analysis_id, s, *mine[begin]):
                del mine[begin]
                tx.execute("UPDATE part_shots SET part = ? WHERE analysis_id = ? AND start_frame = ?",
                           (REPAIR, analysis_id, begin))
                continue
            tx.execute("DELETE FROM shots WHERE id = ?", (s.id,))
            tx.execute("DELETE FROM part_shots WHERE analysis_id = ? AND start_frame = ?",
                       (analysis_id, begin))
            removed.add(s.id)
        for begin, (shot, side) in sorted(mine.items()):
            nt = side.next_transition if side is not None else None
            sid = write_shot(tx, analysis_id, media_id, shot, stamp)
            tx.execute("INSERT INTO part_shots (analysis_id, start_frame, end_frame, part, next_type, "
                       "next_start, next_end, curves) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (analysis_id, begin, shot.end_frame, REPAIR, nt.type if nt else None,
                        nt.start_frame if nt else None, nt.end_frame if nt else None,
                        curves.encode_motion(side.curves)
                        if side is not None and side.curves is not None else None))
            if sid is not None:
                added.add(sid)
        if until is not None:      # the right anchor: checked against the repair run
            tx.execute("UPDATE part_shots SET part = ? WHERE analysis_id = ? AND start_frame = ?",
                       (REPAIR, analysis_id, until))
    return added, removed


def _stitch(lib: "Library", analysis_id: int):
    """The whole file's motion curves from the shots' columns (None without motion)."""
    from camtag.motion.curves import MotionCurves

    with lib.store.read() as tx:
        rows = tx.query("SELECT start_frame, end_frame, curves FROM part_shots WHERE analysis_id = ? "
                        "ORDER BY start_frame", (analysis_id,))
    chunks = [curves.decode_motion(bytes(r[2])) for r in rows if r[2] is not None]
    if not chunks or len(chunks) != len(rows):
        return None
    arrays = {k: np.concatenate([np.asarray(c.arrays[k]) for c in chunks]) for k in chunks[0].arrays}
    starts = [c.start_frame for c in chunks]
    return MotionCurves(starts[0], chunks[0].rate, arrays, tuple(starts[1:]), chunks[-1].width)
