"""The seams of a split analysis: check that neighbouring parts agree, repair where they do not,
then renumber, stitch the motion curves and finish (storage: :mod:`camtag.library.seam_store`).

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

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Optional

from camtag.jobs import CancelToken, Job, Progress, drive
from camtag.library import analyses, parts, seam_store
from camtag.library.errors import LibraryError
from camtag.library.records import AnalysisRecord, Changes, MediaRecord, Notice
from camtag.library.seam_store import StoredShot
from camtag.model import AnalysisRequest, MediaInfo, Shot
from camtag.pipeline import PREROLL, PartEnd, PartRange, ShotCurves, analyze_job

if TYPE_CHECKING:
    from camtag.library import Library


@dataclass(frozen=True)
class SplitRun:
    """What a repair run needs to know of the split analysis."""

    analysis_id: int
    media: MediaRecord
    info: MediaInfo
    request: AnalysisRequest
    preroll: int


@dataclass
class Repair:
    first: int                                 # frames from here ...
    until: Optional[int]                       # ... to here (None: the end) were re-analysed
    shots: list                                # [(Shot, ShotCurves)] in that range


def _repair(lib: "Library", ctx: SplitRun, shots: list[StoredShot], i: int,
            cancel: CancelToken | None) -> Job[Repair]:
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


def _repair_run(lib: "Library", ctx: SplitRun, shots: list[StoredShot], start: int, e: int,
                cancel: CancelToken | None) -> Job[Optional[Repair]]:
    by_start = {s.start: s for s in shots}
    run = drive(analyze_job(ctx.media.path, ctx.request, cancel=cancel,
                            poster_dir=lib.poster_dir(ctx.media), media=ctx.info,
                            part=PartRange(start, None, PREROLL,
                                           parts.frame_order(lib, ctx.analysis_id))))
    anchored, first, side = start == 0, 0, None
    out: list[tuple[Shot, Optional[ShotCurves]]] = []
    try:
        for progress in run:
            item = progress.partial
            if isinstance(item, ShotCurves):
                side = item
                continue
            if isinstance(item, PartEnd):
                continue
            if not isinstance(item, Shot):
                yield Progress(progress.done, progress.total, f"re-analysing the seam at frame {e}")
                continue
            stored = by_start.get(item.start_frame)
            if not anchored:
                if item.start_frame >= e:
                    return None                            # started too late: move back
                if stored is not None and seam_store.matches(lib, ctx.analysis_id, stored, item,
                                                             side):
                    anchored, first = True, item.end_frame
                continue
            if item.start_frame >= e and stored is not None and \
                    seam_store.matches(lib, ctx.analysis_id, stored, item, side):
                return Repair(first, item.start_frame, out)
            out.append((item, side))
    finally:
        run.close()
    return Repair(first, None, out) if anchored else None


def finish_parts(lib: "Library", analysis_id: int, *, cancel: CancelToken | None = None,
                 max_repairs: int = 64) -> Job[AnalysisRecord]:
    """Check and repair the seams, renumber, stitch the curves and finish the analysis (idempotent:
    a finished analysis is returned as it is). Yields a :class:`Notice` per repaired seam."""
    state = seam_store.split_state(lib, analysis_id)
    if state.done:
        return state.record()
    media = state.media
    if media.info is None:
        raise LibraryError(f"{media.name}: the media description is missing; add the file again")
    if state.waiting:
        raise LibraryError(f"{media.name}: part(s) {', '.join(map(str, state.waiting))} of "
                           f"{len(state.parts)} not finished")
    request = AnalysisRequest.from_settings(state.record().settings, state.row["detector"],
                                            strict=False)
    ctx = SplitRun(analysis_id, media, replace(media.info, path=media.path), request,
                   max(PREROLL, state.preroll))
    for _ in range(max_repairs):
        shots, bad = seam_store.next_bad_junction(lib, analysis_id)
        if bad is None:
            break
        at = shots[bad - 1].end if bad else 0
        fix = yield from _repair(lib, ctx, shots, bad, cancel)
        added, removed = seam_store.replace_shots(lib, analysis_id, media.id, fix.first,
                                                  fix.until, fix.shots)
        until = "the end" if fix.until is None else f"frame {fix.until}"
        text = (f"{media.name}: parts disagreed at frame {at}; frames {fix.first} to {until} "
                f"analysed again in one run ({len(removed)} shot(s) replaced, {len(added)} stored)")
        yield Progress(0, None, text, Notice(text))
        if added or removed:
            lib.events.shots_did_change.emit(Changes(added_shots=frozenset(added),
                                                     removed_shots=frozenset(removed),
                                                     label="analysis"))
    else:
        raise LibraryError(f"{media.name}: seams still disagree after {max_repairs} repairs")
    outcome = seam_store.parts_outcome(lib, state)
    seam_store.renumber(lib, analysis_id)
    final = analyses.finish(lib, media, analysis_id, request, outcome)
    seam_store.drop_side_data(lib, analysis_id)
    return final
