"""The seams of a split analysis: check that neighbouring parts agree, repair where they do not,
then renumber, stitch the motion curves and finish (see :mod:`camtag.library.segments`).

At each junction of consecutive stored shots ``s``, ``t``:

- ``t`` starts where ``s`` ends (no gap, no overlap);
- ``t``'s incoming transition is the one the run that made ``s`` saw there;
- when another part made ``t``: the motion columns ``s``'s part measured just past its closing
  boundary equal ``t``'s stored columns, bit for bit (the tracker and window state agree).

Shots are trusted from frame 0 (part 1 is a whole-file run up to its end) to the first junction
that fails. A failure at frame ``e`` is repaired in this process: the pipeline runs again from a
trusted shot start ``R`` before ``e`` (with its usual pre-roll) until one of its shots equals the
stored one at the same frame, columns and all (the *left anchor*: from there it is the
continuation of the trusted run; if none is met before ``e``, ``R`` moves back, down to frame 0,
where a run is the whole-file run by definition); past ``e`` it goes on until one of its shots
equals a stored one again (the *right anchor*) or the media ends. The stored shots between the
anchors are replaced by the re-analysed ones (identical ones are kept), and the check goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Optional

import numpy as np

from camtag.jobs import CancelToken, Job, Progress
from camtag.library import curves
from camtag.library.errors import LibraryError
from camtag.library.records import AnalysisRecord, Changes, Notice
from camtag.library.rows import analysis_record, load_shots, media_record, write_shot
from camtag.library.schema import now
from camtag.model import Shot, Transition

if TYPE_CHECKING:
    from camtag.library.library import Library

REPAIR = -1          # part_shots.part of shots made by a seam repair


@dataclass(frozen=True)
class _Stored:
    id: int
    start: int
    end: int
    transition: Optional[Transition]
    part: Optional[int]               # None: no side data (not written by a part)
    next: Optional[Transition]


def _transition(kind, start, end) -> Optional[Transition]:
    return Transition(kind, start, end) if kind else None


def _load(tx, analysis_id: int) -> list[_Stored]:
    rows = tx.query(
        "SELECT s.id, s.start_frame, s.end_frame, s.transition_type, s.transition_start, "
        "s.transition_end, p.part, p.next_type, p.next_start, p.next_end FROM shots s "
        "LEFT JOIN part_shots p ON p.analysis_id = s.analysis_id AND p.start_frame = s.start_frame "
        "WHERE s.analysis_id = ? ORDER BY s.start_frame", (analysis_id,))
    return [_Stored(r[0], r[1], r[2], _transition(r[3], r[4], r[5]), r[6],
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


def _columns_from(tx, analysis_id: int, shots: list[_Stored], i: int, frames: int):
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


def first_bad_junction(tx, analysis_id: int, shots: list[_Stored]) -> Optional[int]:
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


def _same(tx, analysis_id: int, stored: _Stored, shot: Shot, side) -> bool:
    """Is the stored shot what this run made at the same frame (tags, columns, next transition)?"""
    rec = load_shots(tx, [stored.id], whole_analysis=True)
    if not rec:
        return False
    rec = rec[0]
    proposed = [(t.tag, t.source, t.confidence, t.start_frame, t.end_frame)
                for t in rec.tag_records if t.source != "editor"]
    mine = [(t.id, t.source, t.confidence, t.start_frame, t.end_frame) for t in shot.tags
            if t.source != "editor"]
    if _shot_key(rec.shot, proposed) != _shot_key(shot, mine):
        return False
    if side is None or stored.next != side.next_transition:
        return False
    return _columns_equal(_chunk(tx, analysis_id, stored.start), side.curves)


# -- repair ----------------------------------------------------------------------------------
@dataclass
class _Repair:
    first: int                                 # frames from here ...
    until: Optional[int]                       # ... to here (None: the end) were re-analysed
    shots: list                                # [(Shot, ShotCurves)] in that range


def _repair(lib: "Library", ctx, shots: list[_Stored], i: int,
            cancel: CancelToken | None) -> Job[_Repair]:
    e = shots[i - 1].end if i > 0 else 0
    trusted = [s.start for s in shots[:i]]
    back = 2 * ctx.preroll
    while True:
        start = max((x for x in trusted if x <= e - back), default=0)
        found = yield from _repair_run(lib, ctx, shots, start, e, cancel)
        if found is not None:
            return found
        if start == 0:
            raise LibraryError(f"{ctx.media.name}: the seam at frame {e} could not be repaired")
        back = max(2 * back, 2 * (e - start))


def _repair_run(lib: "Library", ctx, shots: list[_Stored], start: int, e: int,
                cancel: CancelToken | None) -> Job[Optional[_Repair]]:
    from camtag.library.segments import frame_order
    from camtag.pipeline import SegmentEnd, ShotCurves, analyze_job

    by_start = {s.start: s for s in shots}
    job = analyze_job(ctx.media.path, detector=ctx.detector, settings=ctx.settings, cancel=cancel,
                      poster_dir=lib.poster_dir(ctx.media), media=ctx.info, own_from=start,
                      own_until=None, frame_order=frame_order(lib, ctx.analysis_id))
    anchored, first, out, side = start == 0, 0, [], None
    try:
        while True:
            try:
                progress = next(job)
            except StopIteration:
                return _Repair(first, None, out) if anchored else None
            item = progress.partial
            if isinstance(item, ShotCurves):
                side = item
                continue
            if isinstance(item, SegmentEnd):
                continue
            if not isinstance(item, Shot):
                yield Progress(progress.done, progress.total, f"re-analysing the seam at frame {e}")
                continue
            stored = by_start.get(item.start_frame)
            if not anchored:
                if item.start_frame >= e:
                    return None                            # started too late: move back
                if stored is not None:
                    with lib.store.read() as tx:
                        if _same(tx, ctx.analysis_id, stored, item, side):
                            anchored, first = True, item.end_frame
                continue
            if item.start_frame >= e and stored is not None:
                with lib.store.read() as tx:
                    if _same(tx, ctx.analysis_id, stored, item, side):
                        return _Repair(first, item.start_frame, out)
            out.append((item, side))
    finally:
        job.close()


def _replace(lib: "Library", ctx, fix: _Repair) -> tuple[set[int], set[int]]:
    """Put the re-analysed shots in place of the stored ones in [first, until); identical stored
    shots stay (ids, editor state). Returns (added, removed) shot ids."""
    stamp = now()
    added, removed = set(), set()
    with lib.store.write() as tx:
        upto = "" if fix.until is None else f" AND start_frame < {int(fix.until)}"
        rows = tx.query("SELECT start_frame FROM shots WHERE analysis_id = ? AND start_frame >= ?"
                        + upto + " ORDER BY start_frame", (ctx.analysis_id, fix.first))
        stored = {s.start: s for s in _load(tx, ctx.analysis_id)}
        mine = {shot.start_frame: (shot, side) for shot, side in fix.shots}
        for (begin,) in rows:
            s = stored[begin]
            if begin in mine and _same(tx, ctx.analysis_id, s, *mine[begin]):
                del mine[begin]
                tx.execute("UPDATE part_shots SET part = ? WHERE analysis_id = ? AND start_frame = ?",
                           (REPAIR, ctx.analysis_id, begin))
                continue
            tx.execute("DELETE FROM shots WHERE id = ?", (s.id,))
            tx.execute("DELETE FROM part_shots WHERE analysis_id = ? AND start_frame = ?",
                       (ctx.analysis_id, begin))
            removed.add(s.id)
        for begin, (shot, side) in sorted(mine.items()):
            nt = side.next_transition if side is not None else None
            sid = write_shot(tx, ctx.analysis_id, ctx.media.id, shot, stamp)
            tx.execute("INSERT INTO part_shots (analysis_id, start_frame, end_frame, part, next_type, "
                       "next_start, next_end, curves) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (ctx.analysis_id, begin, shot.end_frame, REPAIR, nt.type if nt else None,
                        nt.start_frame if nt else None, nt.end_frame if nt else None,
                        curves.encode_motion(side.curves)
                        if side is not None and side.curves is not None else None))
            if sid is not None:
                added.add(sid)
        if fix.until is not None:      # the right anchor: checked against the repair run
            tx.execute("UPDATE part_shots SET part = ? WHERE analysis_id = ? AND start_frame = ?",
                       (REPAIR, ctx.analysis_id, fix.until))
    return added, removed


# -- finishing -------------------------------------------------------------------------------
def finish_parts(lib: "Library", analysis_id: int, *, cancel: CancelToken | None = None,
                 max_repairs: int = 64) -> Job[AnalysisRecord]:
    """Check and repair the seams, renumber, stitch the curves and finish the analysis (idempotent:
    a finished analysis is returned as it is). Yields a :class:`Notice` per repaired seam."""
    from camtag.library.durable import _finish
    from camtag.pipeline import _PREROLL

    with lib.store.read() as tx:
        row = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
        if row is None:
            raise LibraryError(f"analysis {analysis_id} is not in the library")
        media = media_record(tx.one("SELECT * FROM media WHERE id = ?", (row["media_id"],)))
        parts = tx.query("SELECT * FROM analysis_parts WHERE analysis_id = ? ORDER BY part",
                         (analysis_id,))
    if row["status"] == "done":
        with lib.store.read() as tx:
            count = tx.scalar("SELECT count(*) FROM shots WHERE analysis_id = ?", (analysis_id,), 0)
        return analysis_record(row, count)
    waiting = [p["part"] + 1 for p in parts if p["status"] != "done"]
    if waiting:
        raise LibraryError(f"{media.name}: segment(s) {', '.join(map(str, waiting))} of "
                           f"{len(parts)} not finished")
    ctx = SimpleNamespace(analysis_id=analysis_id, media=media,
                          info=replace(media.info, path=media.path), detector=row["detector"],
                          settings=json.loads(row["settings"] or "{}"),
                          preroll=max([_PREROLL] + [p["preroll"] for p in parts]))
    for _ in range(max_repairs):
        with lib.store.read() as tx:
            shots = _load(tx, analysis_id)
            bad = first_bad_junction(tx, analysis_id, shots)
        if bad is None:
            break
        at = shots[bad - 1].end if bad else 0
        fix = yield from _repair(lib, ctx, shots, bad, cancel)
        added, removed = _replace(lib, ctx, fix)
        until = "the end" if fix.until is None else f"frame {fix.until}"
        text = (f"{media.name}: segments disagreed at frame {at}; frames {fix.first} to {until} "
                f"analysed again in one run ({len(removed)} shot(s) replaced, {len(added)} stored)")
        yield Progress(0, None, text, Notice(text))
        if added or removed:
            lib.events.shots_did_change.emit(Changes(added_shots=frozenset(added),
                                                     removed_shots=frozenset(removed),
                                                     label="analysis"))
    else:
        raise LibraryError(f"{media.name}: seams still disagree after {max_repairs} repairs")
    result = _result(lib, analysis_id, media, row, parts)
    with lib.store.write() as tx:              # final shot numbers, in frame order
        ids = tx.column("SELECT id FROM shots WHERE analysis_id = ? ORDER BY start_frame",
                        (analysis_id,))
        tx.executemany("UPDATE shots SET idx = ? WHERE id = ?", [(n, sid) for n, sid in enumerate(ids)])
    final = _finish(lib, media, analysis_id, row["detector"], ctx.settings, result)
    with lib.store.write() as tx:              # the side data has served its purpose
        tx.execute("DELETE FROM part_shots WHERE analysis_id = ?", (analysis_id,))
        tx.execute("DELETE FROM analysis_frame_index WHERE analysis_id = ?", (analysis_id,))
        tx.execute("UPDATE analysis_parts SET tail = NULL WHERE analysis_id = ?", (analysis_id,))
    return final


def _result(lib: "Library", analysis_id: int, media, row, parts) -> SimpleNamespace:
    """What the parts made, shaped like the pipeline's Analysis for ``durable._finish``."""
    warnings: list[str] = []
    errors: list[str] = []
    detector, engine = row["detector"], ""
    for p in parts:
        info = json.loads(p["info"] or "{}")
        for w in info.get("warnings", []):
            if w not in warnings:
                warnings.append(w)
        for e in info.get("errors", []):
            if e not in errors:
                errors.append(e)
        detector = info.get("detector") or detector
        engine = info.get("engine") or engine
    return SimpleNamespace(shots=(), media=replace(media.info, path=media.path),
                           motion=_stitch(lib, analysis_id), warnings=tuple(warnings),
                           errors=tuple(errors), engine=engine, detector=detector)


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
