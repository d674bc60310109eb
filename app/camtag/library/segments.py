"""Segmented analyses: a long file split into parts that run in parallel (``camtag batch --ray``)
and end as one analysis equal to the whole-file run.

- :func:`plan_file` registers the file, claims its analysis for the batch driver (the analysis
  lease names the driver, so the parts never refuse each other) and writes one ``analysis_parts``
  row per segment [own_from, own_until) (:func:`plan_ranges`; an existing plan is reused).
- :func:`run_part` claims one part (its own lease) and runs the pipeline on it
  (``analyze_job(own_from=..., own_until=...)``): each owned shot is stored in its own transaction
  together with its raw motion columns and the transition that ends it (``part_shots``), so a
  retried part resumes after its last stored shot and never duplicates one (it runs that shot
  again, unstored, to check that it picks up where the stopped attempt was); at the end the part
  records its closing boundary and the motion columns just past it.
- :func:`camtag.library.seams.finish_parts` checks the seams, repairs those that disagree,
  renumbers the shots, stitches the motion curves and finishes the analysis.

:func:`complete_in_process` does all of it in one process (a split analysis met by ``camtag
analyze`` or ``library add``, e.g. after the batch that split it was stopped).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Optional, Sequence

from camtag.jobs import CancelToken, Cancelled, Job, Progress
from camtag.library import curves
from camtag.library.durable import (_ACTIVE, HEARTBEAT_S, _claim, _owner, owner_alive,
                                    register_media)
from camtag.library.errors import LibraryBusyError, LibraryError
from camtag.library.records import AnalysisRecord, Changes, MediaRecord
from camtag.library.rows import media_record, write_shot
from camtag.library.schema import now
from camtag.model import Shot

if TYPE_CHECKING:
    from camtag.library.library import Library


@dataclass(frozen=True)
class Part:
    analysis_id: int
    part: int
    own_from: int
    own_until: Optional[int]            # None: to the end of the media
    preroll: int
    status: str = "planned"

    def label(self, count: int) -> str:
        end = "end" if self.own_until is None else str(self.own_until)
        return f"segment {self.part + 1}/{count} (frames {self.own_from}-{end})"


@dataclass(frozen=True)
class Plan:
    record: AnalysisRecord
    media: MediaRecord
    parts: tuple[Part, ...]
    resumed: bool = False
    note: str = ""


@dataclass(frozen=True)
class PartOutcome:
    part: int
    status: str                        # done / failed
    stored: int = 0                    # shots stored by this attempt
    resumed_from: int = 0
    message: str = ""


# -- planning --------------------------------------------------------------------------------
def segment_frames_for(minutes: float, rate) -> int:
    """Frames in ``minutes`` at ``rate`` (0: no splitting)."""
    if not minutes or minutes <= 0:
        return 0
    return max(1, round(float(minutes) * 60 * float(rate)))


def plan_ranges(frames: int, segment: int, keyframes: Sequence[int] = (),
                preroll: Optional[int] = None) -> list[tuple[int, Optional[int]]]:
    """Split [0, frames) into segments of about ``segment`` frames; a remainder under half a
    segment joins the last one. A boundary moves by up to a quarter segment when that lets its
    pre-roll start right after a keyframe (``keyframes``: frame numbers), so the part decodes
    (almost) nothing it throws away. Returns ``[(own_from, own_until), ..., (own_from, None)]``."""
    from camtag.pipeline import _PREROLL, segment_decode_start

    preroll = _PREROLL if preroll is None else preroll
    if segment <= 0 or frames < 2 * segment - segment // 2:
        return [(0, None)]
    count = frames // segment + (1 if frames % segment >= (segment + 1) // 2 else 0)
    keys = sorted(set(int(k) for k in keyframes))
    cuts: list[int] = []
    for j in range(1, count):
        cut = _snap(j * segment, segment // 4, keys, preroll, segment_decode_start)
        if cuts and cut <= cuts[-1] + segment // 2 or cut >= frames:
            cut = j * segment
        cuts.append(cut)
    bounds = [0] + cuts
    return [(a, bounds[i + 1] if i + 1 < len(bounds) else None) for i, a in enumerate(bounds)]


def _snap(cut: int, tol: int, keys: list[int], preroll: int, decode_start) -> int:
    """The boundary within ``tol`` of ``cut`` whose decode start wastes the fewest frames after
    the keyframe the decoder seeks to (ties: the nearest to ``cut``)."""
    import bisect

    from camtag.pipeline import DETECTOR_GRID as grid

    if not keys or tol <= 0:
        return cut

    def waste(c: int) -> int:
        d = decode_start(c, preroll)
        i = bisect.bisect_right(keys, d) - 1
        return d - keys[i] if i >= 0 else d

    best = (waste(cut), 0, cut)
    for k in keys[bisect.bisect_left(keys, cut - preroll - tol - grid):]:
        if k > cut - preroll + tol:
            break
        first = -(-k // grid) * grid + preroll      # boundaries whose pre-roll starts on the
        c = min(max(cut, first), first + grid - 1)  # first grid frame at or after keyframe k
        if abs(c - cut) <= tol:
            best = min(best, (waste(c), abs(c - cut), c))
    return best[2]


def frame_index_of(path: str):
    """(every frame's PTS in presentation order, keyframe frame numbers) from one demux pass;
    (None, []) when the container will not say."""
    import numpy as np

    from camtag.media.probe import open_container, seek_index

    try:
        container = open_container(path)
    except Exception:  # noqa: BLE001 - planning goes on without snapping
        return None, []
    try:
        pts, keys = seek_index(container, container.streams.video[0], path)
        order = np.asarray(pts, np.int64)
        return order, [int(i) for i in np.searchsorted(order, np.asarray(keys))]
    except Exception:  # noqa: BLE001
        return None, []
    finally:
        container.close()


def _pack_order(order) -> bytes:
    import zlib

    import numpy as np

    return zlib.compress(np.diff(order, prepend=0).astype("<i8").tobytes(), 6)


def frame_order(lib: "Library", analysis_id: int):
    """The split file's frame PTS in presentation order, as stored when it was planned (or None)."""
    import zlib

    import numpy as np

    with lib.store.read() as tx:
        blob = tx.scalar("SELECT pts FROM analysis_frame_index WHERE analysis_id = ?", (analysis_id,))
    if blob is None:
        return None
    return np.cumsum(np.frombuffer(zlib.decompress(bytes(blob)), "<i8"))


def plan_file(lib: "Library", path: str, *, detector: str = "fused", settings: dict | None = None,
              segment_frames: int = 0, minutes: float = 0.0, owner: str | None = None,
              preroll: Optional[int] = None, snap: bool = True) -> Optional[Plan]:
    """Plan (or find the plan of) a split analysis of ``path``. None when the file is not split
    (short, or an unfinished whole-file run to resume): analyse it as one then. A plan whose
    ``record.skipped`` is set means the analysis is already done."""
    from camtag.pipeline import _PREROLL

    settings = dict(settings or {})
    media, note = register_media(lib, os.path.abspath(path))
    info = media.info
    if info is None or not info.frames:
        return None
    segment = segment_frames or segment_frames_for(minutes, info.rate)
    with lib.store.read() as tx:
        existing = _open_plan(tx, media, detector, settings)
    if existing is None and len(plan_ranges(info.frames, segment)) < 2:
        return None
    record, resumed = _claim(lib, media, detector, settings, False, owner=owner or _owner(),
                             whole_only=True)
    if record is None:
        return None
    if record.skipped:
        return Plan(record, media, (), note=note)
    rows = _part_rows(lib, record.id)
    if not rows:                      # (the keyframe scan runs outside any transaction)
        preroll = _PREROLL if preroll is None else preroll
        order, keys = frame_index_of(media.path)
        ranges = plan_ranges(info.frames, segment, keys if snap else [], preroll)
        with lib.store.write() as tx:
            if order is not None and len(order) == info.frames:
                tx.execute("INSERT INTO analysis_frame_index (analysis_id, pts) VALUES (?, ?) "
                           "ON CONFLICT (analysis_id) DO NOTHING", (record.id, _pack_order(order)))
            tx.executemany("INSERT INTO analysis_parts (analysis_id, part, own_from, own_until, "
                           "preroll) VALUES (?, ?, ?, ?, ?) ON CONFLICT (analysis_id, part) "
                           "DO NOTHING",
                           [(record.id, k, a, b, preroll) for k, (a, b) in enumerate(ranges)])
        rows = _part_rows(lib, record.id)
    return Plan(record, media, tuple(_part(r) for r in rows), resumed, note)


def _part_rows(lib: "Library", analysis_id: int) -> list:
    with lib.store.read() as tx:
        return tx.query("SELECT * FROM analysis_parts WHERE analysis_id = ? ORDER BY part",
                        (analysis_id,))


def _open_plan(tx, media: MediaRecord, detector: str, settings: dict):
    from camtag.library.durable import settings_key

    return tx.one("SELECT a.id FROM analyses a JOIN analysis_parts p ON p.analysis_id = a.id "
                  "WHERE a.media_id = ? AND a.settings_key = ? AND a.status <> 'done' LIMIT 1",
                  (media.id, settings_key(detector, settings)))


def _part(row) -> Part:
    return Part(row["analysis_id"], row["part"], row["own_from"], row["own_until"], row["preroll"],
                row["status"])


def has_parts(lib: "Library", analysis_id: int) -> bool:
    with lib.store.read() as tx:
        return bool(tx.scalar("SELECT count(*) FROM analysis_parts WHERE analysis_id = ?",
                              (analysis_id,), 0))


def parts_of(lib: "Library", analysis_id: int) -> list[Part]:
    return [_part(r) for r in _part_rows(lib, analysis_id)]


def keep_alive(lib: "Library", analysis_ids: Sequence[int], owner: str | None = None) -> None:
    """Refresh the driver's lease on the analyses its tasks are working on."""
    if not analysis_ids:
        return
    marks = ", ".join("?" * len(analysis_ids))
    with lib.store.write() as tx:
        tx.execute(f"UPDATE analyses SET heartbeat_at = ? WHERE owner = ? AND status = 'running' "
                   f"AND id IN ({marks})", (now(), owner or _owner(), *analysis_ids))


# -- one part --------------------------------------------------------------------------------
def _claim_part(lib: "Library", analysis_id: int, part: int):
    with lib.store.write() as tx:
        analysis = tx.one("SELECT * FROM analyses WHERE id = ?", (analysis_id,))
        row = tx.one("SELECT * FROM analysis_parts WHERE analysis_id = ? AND part = ?",
                     (analysis_id, part))
        if analysis is None or row is None:
            raise LibraryError(f"segment {part + 1} of analysis {analysis_id} is not in the library")
        media = media_record(tx.one("SELECT * FROM media WHERE id = ?", (analysis["media_id"],)))
        if analysis["status"] == "done" or row["status"] == "done":
            return analysis, row, media, False
        if row["status"] == "running" and owner_alive(row["owner"], row["heartbeat_at"],
                                                      _part_key(lib, analysis_id, part)):
            raise LibraryBusyError(f"segment {part + 1} of {media.name} is being analysed by "
                                   f"another camtag process ({row['owner']})")
        tx.execute("UPDATE analysis_parts SET status = 'running', owner = ?, heartbeat_at = ?, "
                   "attempts = attempts + 1, error = '' WHERE analysis_id = ? AND part = ?",
                   (_owner(), now(), analysis_id, part))
        row = tx.one("SELECT * FROM analysis_parts WHERE analysis_id = ? AND part = ?",
                     (analysis_id, part))
    return analysis, row, media, True


def _part_key(lib: "Library", analysis_id: int, part: int) -> tuple:
    return (str(lib.url), analysis_id, "part", part)


def run_part(lib: "Library", analysis_id: int, part: int, *,
             cancel: CancelToken | None = None) -> Job[PartOutcome]:
    """Run one segment into the library (resuming after its last stored shot). Progress ``done``
    counts the frames of the segment's own range."""
    from camtag.media.errors import MediaError
    from camtag.pipeline import SegmentEnd, ShotCurves, analyze_job

    analysis, row, media, claimed = _claim_part(lib, analysis_id, part)
    if not claimed:
        return PartOutcome(part, "done")
    key = _part_key(lib, analysis_id, part)
    _ACTIVE.add(key)
    info = replace(media.info, path=media.path)
    lo = row["own_from"]
    hi = row["own_until"] if row["own_until"] is not None else info.frames
    span = max(1, hi - lo)
    with lib.store.read() as tx:
        last = tx.one("SELECT start_frame, end_frame FROM part_shots WHERE analysis_id = ? AND "
                      "part = ? ORDER BY start_frame DESC LIMIT 1", (analysis_id, part))
    # a retry runs its last stored shot again (its write is skipped) to check that it picks up
    # where the stopped attempt was: same shot, same motion numbers, same transition after it
    again, resume = (last[0], last[1]) if last is not None else (None, None)
    agrees = resume is None
    stored = 0
    try:
        if resume is not None and resume >= info.frames:      # its last shot reached the end
            _part_done(lib, analysis_id, part, SegmentEnd(None, to_the_end=True), None, span, resume)
            return PartOutcome(part, "done", 0, resume)
        yield Progress(0, span, f"segment {part + 1}" + (f": resuming at frame {resume}"
                                                         if resume is not None else ""))
        job = analyze_job(media.path, detector=analysis["detector"],
                          settings=json.loads(analysis["settings"] or "{}"), cancel=cancel,
                          poster_dir=lib.poster_dir(media), media=info,
                          own_from=again if again is not None else lo,
                          own_until=row["own_until"], preroll=row["preroll"],
                          frame_order=frame_order(lib, analysis_id))
        pending: Optional[ShotCurves] = None
        end: Optional[SegmentEnd] = None
        beat = time.monotonic()
        try:
            while True:
                try:
                    progress = next(job)
                except StopIteration as stop:
                    result = stop.value
                    break
                item = progress.partial
                done = min(max(progress.done, lo), hi) - lo
                if isinstance(item, ShotCurves):
                    pending = item
                    continue
                if isinstance(item, SegmentEnd):
                    end = item
                    continue
                if isinstance(item, Shot):
                    chunk = pending if pending is not None and \
                        pending.start_frame == item.start_frame else None
                    if item.start_frame == again:
                        agrees = _agrees(lib, analysis_id, item, chunk)
                    sid = store_shot(lib, analysis_id, media.id, part, item, chunk, done)
                    beat = time.monotonic()
                    if sid is not None:
                        stored += 1
                        lib.events.shots_did_change.emit(Changes(added_shots=frozenset({sid}),
                                                                 label="analysis"))
                    yield Progress(done, span, progress.message, item)
                    continue
                if time.monotonic() - beat > HEARTBEAT_S:
                    _beat(lib, analysis_id, part)
                    beat = time.monotonic()
                yield Progress(done, span, progress.message)
        finally:
            job.close()
        _part_done(lib, analysis_id, part, end or SegmentEnd(None), result, span,
                   resume or 0, agrees)
        yield Progress(span, span, f"segment {part + 1} done")
        return PartOutcome(part, "done", stored, resume or 0)
    except MediaError as exc:
        _part_failed(lib, analysis_id, part, exc.reason)
        return PartOutcome(part, "failed", stored, resume or 0, exc.reason)
    except (Cancelled, KeyboardInterrupt, GeneratorExit):
        _part_failed(lib, analysis_id, part, "cancelled")
        raise
    except BaseException as exc:
        _part_failed(lib, analysis_id, part, str(exc).splitlines()[0] if str(exc)
                     else type(exc).__name__)
        raise
    finally:
        _ACTIVE.discard(key)


def store_shot(lib: "Library", analysis_id: int, media_id: int, part: int, shot: Shot,
               chunk, frames_done: Optional[int] = None) -> int | None:
    """One shot of a split analysis with its side data, in one transaction (idempotent)."""
    stamp = now()
    nt = chunk.next_transition if chunk is not None else None
    blob = curves.encode_motion(chunk.curves) if chunk is not None and chunk.curves is not None \
        else None
    with lib.store.write() as tx:
        sid = write_shot(tx, analysis_id, media_id, shot, stamp)
        tx.execute("INSERT INTO part_shots (analysis_id, start_frame, end_frame, part, next_type, "
                   "next_start, next_end, curves) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (analysis_id, start_frame) DO NOTHING",
                   (analysis_id, shot.start_frame, shot.end_frame, part,
                    nt.type if nt else None, nt.start_frame if nt else None,
                    nt.end_frame if nt else None, blob))
        if frames_done is not None and part >= 0:
            tx.execute("UPDATE analysis_parts SET frames_done = ?, heartbeat_at = ? "
                       "WHERE analysis_id = ? AND part = ?", (frames_done, stamp, analysis_id, part))
            tx.execute("UPDATE analyses SET heartbeat_at = ?, frames_done = (SELECT "
                       "coalesce(sum(frames_done), 0) FROM analysis_parts WHERE analysis_id = ?) "
                       "WHERE id = ?", (stamp, analysis_id, analysis_id))
    return sid


def _beat(lib: "Library", analysis_id: int, part: int) -> None:
    with lib.store.write() as tx:
        tx.execute("UPDATE analysis_parts SET heartbeat_at = ? WHERE analysis_id = ? AND part = ?",
                   (now(), analysis_id, part))


def _agrees(lib: "Library", analysis_id: int, shot: Shot, side) -> bool:
    from camtag.library.seams import _load, _same

    with lib.store.read() as tx:
        stored = next((s for s in _load(tx, analysis_id) if s.start == shot.start_frame), None)
        return stored is not None and _same(tx, analysis_id, stored, shot, side)


def _part_done(lib: "Library", analysis_id: int, part: int, end, result, span: int,
               resumed_from: int, agrees: bool = True) -> None:
    tr = end.transition
    with lib.store.read() as tx:
        old = json.loads(tx.scalar("SELECT info FROM analysis_parts WHERE analysis_id = ? AND "
                                   "part = ?", (analysis_id, part), "{}") or "{}")
    suspect = list(old.get("suspect_resumes", []))      # resume points to check at the seams
    if not agrees:
        suspect.append(resumed_from)
    info = {"to_the_end": bool(end.to_the_end), "decoded_from": end.first_frame,
            "resumed_from": resumed_from, "suspect_resumes": suspect}
    if result is not None:
        info.update(warnings=list(result.warnings), errors=list(result.errors),
                    detector=result.detector, engine=result.engine)
    tail = curves.encode_motion(end.tail) if end.tail is not None else None
    with lib.store.write() as tx:
        tx.execute("UPDATE analysis_parts SET status = 'done', owner = '', heartbeat_at = ?, "
                   "frames_done = ?, closing = ?, closing_type = ?, closing_start = ?, "
                   "closing_end = ?, tail = ?, info = ? WHERE analysis_id = ? AND part = ?",
                   (now(), span, end.frame, tr.type if tr else None, tr.start_frame if tr else None,
                    tr.end_frame if tr else None, tail, json.dumps(info), analysis_id, part))


def _part_failed(lib: "Library", analysis_id: int, part: int, error: str) -> None:
    try:
        with lib.store.write() as tx:
            tx.execute("UPDATE analysis_parts SET status = 'failed', owner = '', error = ? "
                       "WHERE analysis_id = ? AND part = ? AND status <> 'done'",
                       (error[:500], analysis_id, part))
    except LibraryError:
        pass        # the part stays resumable all the same


# -- all in one process ----------------------------------------------------------------------
def complete_in_process(lib: "Library", media: MediaRecord, record: AnalysisRecord, path: str,
                        detector: str, settings: dict,
                        cancel: CancelToken | None = None) -> Job[AnalysisRecord]:
    """Run the unfinished parts of a split analysis one after the other, then finish it."""
    from camtag.library.seams import finish_parts

    parts = parts_of(lib, record.id)
    total = media.info.frames if media.info else None
    base = 0
    for p in parts:
        hi = p.own_until if p.own_until is not None else (total or p.own_from)
        if p.status != "done":
            job = run_part(lib, record.id, p.part, cancel=cancel)
            while True:
                try:
                    progress = next(job)
                except StopIteration as stop:
                    outcome = stop.value
                    break
                yield Progress(base + progress.done, total, progress.message, progress.partial)
            if outcome.status == "failed":
                from camtag.media.errors import MediaError
                raise MediaError(path, f"{p.label(len(parts))}: {outcome.message}")
        base += max(0, hi - p.own_from)
    final = yield from finish_parts(lib, record.id, cancel=cancel)
    return final
