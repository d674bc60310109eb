"""Planning a split analysis: a long file cut into parts that run in parallel (``camtag batch
--ray``) and end as one analysis equal to the whole-file run (see :mod:`camtag.runs.parts`).

:func:`plan_file` registers the file, claims its analysis for the batch driver (the analysis lease
names the driver, so the parts never refuse each other) and stores one part per range
[own_from, own_until) (:func:`plan_ranges`; an existing plan is reused).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Optional, Sequence

from camtag.library import analyses, parts
from camtag.library.leases import owner_id
from camtag.library.parts import Plan
from camtag.model import AnalysisRequest
from camtag.pipeline import DETECTOR_GRID, PREROLL, part_decode_start
from camtag.runs.request import analysis_key

if TYPE_CHECKING:
    from camtag.library import Library


# -- planning --------------------------------------------------------------------------------
def part_frames_for(minutes: float, rate) -> int:
    """Frames in ``minutes`` at ``rate`` (0: no splitting)."""
    if not minutes or minutes <= 0:
        return 0
    return max(1, round(float(minutes) * 60 * float(rate)))


def plan_ranges(frames: int, part: int, keyframes: Sequence[int] = (),
                preroll: Optional[int] = None) -> list[tuple[int, Optional[int]]]:
    """Split [0, frames) into parts of about ``part`` frames; a remainder under half a
    part joins the last one. A boundary moves by up to a quarter part when that lets its
    pre-roll start right after a keyframe (``keyframes``: frame numbers), so the part decodes
    (almost) nothing it throws away. Returns ``[(own_from, own_until), ..., (own_from, None)]``."""
    preroll = PREROLL if preroll is None else preroll
    if part <= 0 or frames < 2 * part - part // 2:
        return [(0, None)]
    count = frames // part + (1 if frames % part >= (part + 1) // 2 else 0)
    keys = sorted(set(int(k) for k in keyframes))
    cuts: list[int] = []
    for j in range(1, count):
        cut = _snap(j * part, part // 4, keys, preroll, part_decode_start)
        if cuts and cut <= cuts[-1] + part // 2 or cut >= frames:
            cut = j * part
        cuts.append(cut)
    bounds = [0] + cuts
    return [(a, bounds[i + 1] if i + 1 < len(bounds) else None) for i, a in enumerate(bounds)]


def _snap(cut: int, tol: int, keys: list[int], preroll: int, decode_start) -> int:
    """The boundary within ``tol`` of ``cut`` whose decode start wastes the fewest frames after
    the keyframe the decoder seeks to (ties: the nearest to ``cut``)."""
    import bisect

    grid = DETECTOR_GRID

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

    from camtag.media.probe import open_container, seek_index, video_stream

    try:
        container = open_container(path)
    except Exception:  # noqa: BLE001 - planning goes on without snapping
        return None, []
    try:
        pts, keys = seek_index(container, video_stream(container), path)
        order = np.asarray(pts, np.int64)
        return order, [int(i) for i in np.searchsorted(order, np.asarray(keys))]
    except Exception:  # noqa: BLE001
        return None, []
    finally:
        container.close()


def plan_file(lib: "Library", path: str, request: AnalysisRequest | None = None, *,
              part_frames: int = 0, minutes: float = 0.0, owner: str | None = None,
              preroll: Optional[int] = None, snap: bool = True) -> Optional[Plan]:
    """Plan (or find the plan of) a split analysis of ``path``. None when the file is not split
    (short, or an unfinished whole-file run to resume): analyse it as one then. A plan whose
    ``record.skipped`` is set means the analysis is already done."""
    request = request or AnalysisRequest()
    key = analysis_key(request)
    media, note = analyses.register_media(lib, os.path.abspath(path))
    info = media.info
    if info is None or not info.frames:
        return None
    size = part_frames or part_frames_for(minutes, info.rate)
    if parts.open_plan(lib, media.id, key) is None and len(plan_ranges(info.frames, size)) < 2:
        return None
    record, resumed = analyses.claim(lib, media, request, key, owner=owner or owner_id(),
                                     whole_only=True)
    if record is None:
        return None
    if record.skipped:
        return Plan(record, media, (), note=note)
    found = parts.parts_of(lib, record.id)
    if not found:                      # (the keyframe scan runs outside any transaction)
        preroll = PREROLL if preroll is None else preroll
        order, keys = frame_index_of(media.path)
        ranges = plan_ranges(info.frames, size, keys if snap else [], preroll)
        found = parts.write_plan(lib, record.id, ranges, preroll,
                                 order if order is not None and len(order) == info.frames else None)
    return Plan(record, media, tuple(found), resumed, note)
