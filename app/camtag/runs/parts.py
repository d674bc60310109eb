"""Running the parts of a split analysis (planned by :mod:`camtag.runs.plan`).

- :func:`run_part` claims one part (its own lease) and runs the pipeline on it
  (:class:`camtag.pipeline.PartRange`): each owned shot is stored in its own transaction together
  with its raw motion columns and the transition that ends it, so a retried part resumes after
  its last stored shot and never duplicates one (it runs that shot again, unstored, to check that
  it picks up where the stopped attempt was); at the end the part records its closing boundary
  and the motion columns just past it.
- :func:`camtag.runs.seams.finish_parts` checks the seams, repairs those that disagree, renumbers
  the shots, stitches the motion curves and finishes the analysis.

:func:`complete_in_process` does all of it in one process (a split analysis met by ``camtag
analyze`` or ``library add``, e.g. after the batch that split it was stopped).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Optional

from camtag.jobs import CancelToken, Cancelled, Job, Progress, drive
from camtag.library import leases, parts, seam_store
from camtag.library.errors import LibraryError
from camtag.library.parts import PartClose, PartOutcome
from camtag.library.records import AnalysisRecord, MediaRecord, RunOutcome
from camtag.model import Shot
from camtag.pipeline import PartEnd, PartRange, ShotCurves, analyze_job

if TYPE_CHECKING:
    from camtag.library import Library


def _agrees(lib: "Library", analysis_id: int, shot: Shot, side: Optional[ShotCurves]) -> bool:
    stored = seam_store.stored_at(lib, analysis_id, shot.start_frame)
    return stored is not None and seam_store.matches(lib, analysis_id, stored, shot, side)


def _close(end: Optional[PartEnd]) -> PartClose:
    if end is None:
        return PartClose()
    return PartClose(end.frame, end.transition, end.tail, end.first_frame, end.to_the_end)


def run_part(lib: "Library", analysis_id: int, part: int, *,
             cancel: CancelToken | None = None) -> Job[PartOutcome]:
    """Run one part into the library (resuming after its last stored shot). Progress ``done``
    counts the frames of the part's own range."""
    from camtag.media.errors import MediaError

    claim = parts.claim_part(lib, analysis_id, part)
    if not claim.claimed:
        return PartOutcome(part, "done")
    key = leases.part_key(lib.url, analysis_id, part)
    leases.hold(key)
    media = claim.media
    if media.info is None:
        raise LibraryError(f"{media.name}: the media description is missing; add the file again")
    info = replace(media.info, path=media.path)
    lo, until = claim.part.own_from, claim.part.own_until
    hi = until if until is not None else info.frames
    span = max(1, hi - lo)
    # a retry runs its last stored shot again (its write is skipped) to check that it picks up
    # where the stopped attempt was: same shot, same motion numbers, same transition after it
    last = parts.last_part_shot(lib, analysis_id, part)
    again, resume = last if last is not None else (None, None)
    agrees = resume is None
    stored = 0
    try:
        if resume is not None and resume >= info.frames:      # its last shot reached the end
            parts.part_done(lib, analysis_id, part, PartClose(to_the_end=True), None, span, resume)
            return PartOutcome(part, "done", 0, resume)
        yield Progress(0, span, f"part {part + 1}" + (f": resuming at frame {resume}"
                                                      if resume is not None else ""))
        rng = PartRange(again if again is not None else lo, until, claim.part.preroll,
                        parts.frame_order(lib, analysis_id))
        run = drive(analyze_job(media.path, claim.request, cancel=cancel, part=rng,
                                poster_dir=lib.poster_dir(media), media=info))
        pending: Optional[ShotCurves] = None
        end: Optional[PartEnd] = None
        beat = time.monotonic()
        try:
            for progress in run:
                item = progress.partial
                done = min(max(progress.done, lo), hi) - lo
                if isinstance(item, ShotCurves):
                    pending = item
                    continue
                if isinstance(item, PartEnd):
                    end = item
                    continue
                if isinstance(item, Shot):
                    side = pending if pending is not None and \
                        pending.start_frame == item.start_frame else None
                    if item.start_frame == again:
                        agrees = _agrees(lib, analysis_id, item, side)
                    sid = parts.store_part_shot(
                        lib, analysis_id, media.id, part, item,
                        side.curves if side is not None else None,
                        side.next_transition if side is not None else None, done)
                    beat = time.monotonic()
                    if sid is not None:
                        stored += 1
                    yield Progress(done, span, progress.message, item)
                    continue
                if time.monotonic() - beat > leases.HEARTBEAT_S:
                    parts.beat_part(lib, analysis_id, part)
                    beat = time.monotonic()
                yield Progress(done, span, progress.message)
        finally:
            run.close()
        parts.part_done(lib, analysis_id, part, _close(end), RunOutcome.of(run.result), span,
                        resume or 0, agrees)
        yield Progress(span, span, f"part {part + 1} done")
        return PartOutcome(part, "done", stored, resume or 0)
    except MediaError as exc:
        parts.part_failed(lib, analysis_id, part, exc.reason)
        return PartOutcome(part, "failed", stored, resume or 0, exc.reason)
    except (Cancelled, KeyboardInterrupt, GeneratorExit):
        parts.part_failed(lib, analysis_id, part, "cancelled")
        raise
    except BaseException as exc:
        parts.part_failed(lib, analysis_id, part, str(exc).splitlines()[0] if str(exc)
                          else type(exc).__name__)
        raise
    finally:
        leases.release(key)


def complete_in_process(lib: "Library", media: MediaRecord, record: AnalysisRecord, path: str,
                        cancel: CancelToken | None = None) -> Job[AnalysisRecord]:
    """Run the unfinished parts of a split analysis one after the other, then finish it."""
    from camtag.runs.seams import finish_parts

    planned = parts.parts_of(lib, record.id)
    total = media.info.frames if media.info else None
    base = 0
    for p in planned:
        hi = p.own_until if p.own_until is not None else (total or p.own_from)
        if p.status != "done":
            run = drive(run_part(lib, record.id, p.part, cancel=cancel))
            for progress in run:
                yield Progress(base + progress.done, total, progress.message, progress.partial)
            if run.result.status == "failed":
                from camtag.media.errors import MediaError
                raise MediaError(path, f"{p.label(len(planned))}: {run.result.message}")
        base += max(0, hi - p.own_from)
    final = yield from finish_parts(lib, record.id, cancel=cancel)
    return final
