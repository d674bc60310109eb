"""A long file split into segments (`camtag batch --ray --segment-minutes`): the parts run as
separate Ray tasks (local Ray, 2 CPUs) and end as one analysis equal to the single-process run,
shot for shot and curve for curve; a segment task killed mid-run is retried and duplicates
nothing; a seam where two parts disagree is found and re-analysed."""

from __future__ import annotations

import os

import numpy as np
import pytest

from camtag.jobs import run_job
from camtag.library import curves, open_library
from camtag.library.records import Notice
from camtag.library.parts import frame_order
from camtag.pipeline import part_decode_start
from camtag.runs import analyze_into_library
from camtag.runs.plan import plan_file, plan_ranges
from camtag.scale.runner import run_batch
from library_support import SHOTS_DIR
from ray_support import ADAPTIVE, fault_session, reference_run

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install \"ray[default]\")")

CLIP = os.path.join(SHOTS_DIR, "pyscenedetect_issue-195-aspect-ratio.mp4")   # 628 frames, 6 shots
SEGMENT = 150                                                                  # frames: 4 parts


def test_plan_ranges_merge_tiny_remainders_and_snap_to_keyframes():
    assert plan_ranges(299, 200) == [(0, None)]                    # under 1.5 segments: whole
    assert plan_ranges(720, 200) == [(0, 200), (200, 400), (400, 600), (600, None)]
    assert plan_ranges(690, 200) == [(0, 200), (200, 400), (400, None)]    # 90 left: merged
    # GOP of 240: a boundary moves (within a quarter segment) so that its pre-roll starts on a
    # keyframe; the decoder then throws nothing away
    ranges = plan_ranges(90_000, 15_000, keyframes=range(0, 90_000, 240))
    assert len(ranges) == 6 and all(abs(a - 15_000 * k) <= 15_000 // 4
                                    for k, (a, _) in enumerate(ranges))
    assert all(part_decode_start(a) % 240 == 0 for a, _ in ranges[1:])
    assert part_decode_start(15_000) % 240 != 0                 # (unsnapped it would not)


@pytest.fixture(scope="module")
def crash_marker(tmp_path_factory):
    with fault_session(tmp_path_factory, [CLIP]) as marker:
        yield marker


@pytest.fixture(scope="module")
def reference(tmp_path_factory, crash_marker):
    return reference_run(tmp_path_factory, crash_marker, [CLIP], _contents)


def _contents(url: str):
    """Shots (frames, transition, tags with confidences, segments), the stitched curves, and how
    the analysis was split."""
    lib = open_library(url)
    try:
        shots = [(s.start_frame, s.end_frame, s.shot.transition_in,
                  tuple((t.tag, round(t.confidence, 6), t.source) for t in s.tag_records),
                  s.shot.segments) for s in lib.shots(CLIP)]
        assert [a.status for a in lib.analyses(CLIP)] == ["done"]     # never restarted or doubled
        with lib.store.read() as tx:
            assert tx.scalar("SELECT count(*) FROM (SELECT analysis_id, start_frame FROM shots "
                             "GROUP BY 1, 2 HAVING count(*) > 1) d") == 0
            assert tx.column("SELECT idx FROM shots ORDER BY start_frame") == list(range(len(shots)))
            blob = tx.scalar("SELECT data FROM motion_curves")
            parts = [dict(r) for r in tx.query("SELECT part, own_from, attempts FROM analysis_parts "
                                               "ORDER BY part")]
            assert tx.scalar("SELECT count(*) FROM part_shots") == 0       # side data dropped
        return shots, curves.decode_motion(bytes(blob)), parts
    finally:
        lib.close()


def _same_curves(a, b) -> bool:
    return (a.start_frame, a.frames, a.breaks, a.width) == (b.start_frame, b.frames, b.breaks, b.width) \
        and all(np.array_equal(a.arrays[k], b.arrays[k], equal_nan=True) for k in a.arrays)


def test_a_split_file_equals_the_single_process_run_even_when_a_segment_dies(
        tmp_path, reference, crash_marker):
    """Four segments on two CPUs; the first segment task to store a shot is killed (os._exit) and
    retried by Ray: it resumes after its stored shots, and the finished analysis is the reference
    shot for shot (transitions, tags and confidences, sub-shot segments) and curve for curve."""
    assert not crash_marker.exists()
    url = f"sqlite:///{tmp_path / 'split.sqlite'}"
    seen = []
    results = run_batch([CLIP], url, ray_address="local", request=ADAPTIVE,
                        segment_frames=SEGMENT, max_retries=2,
                        on_progress=lambda done, total: seen.append((done, total)))
    assert crash_marker.exists()                                  # a segment task really died
    assert [r.status for r in results] == ["done"], results[0].message
    shots, motion, parts = _contents(url)
    assert len(parts) == 4
    assert max(p["attempts"] for p in parts) == 2                 # ... and its retry resumed
    assert shots == reference[0] and len(shots) == results[0].shots == 6
    assert _same_curves(motion, reference[1])
    assert seen and seen[-1] == (628, 628)                        # one bar over all segments


def test_a_seam_where_segments_disagree_is_re_analysed(tmp_path, reference):
    """Without pre-roll the second part (frames 300-) starts decoding at frame 300 and cannot see
    the cut at 301: its first shot starts at 421, leaving a gap after the first part's last shot
    (170-301). The finishing step finds the gap, re-analyses across it in-process and ends with
    the reference shots. Run through `library add`'s path (a split analysis finished in one
    process, e.g. after the batch that split it was stopped)."""
    url = f"sqlite:///{tmp_path / 'seam.sqlite'}"
    lib = open_library(url)
    try:
        plan = plan_file(lib, CLIP, ADAPTIVE, part_frames=300, preroll=0, snap=False)
        assert [(p.own_from, p.own_until) for p in plan.parts] == [(0, 300), (300, None)]
        order = frame_order(lib, plan.record.id)          # stored once: segments seek without a scan
        assert len(order) == plan.media.info.frames and np.all(np.diff(order) > 0)
        notes = []
        record = run_job(analyze_into_library(lib, CLIP, ADAPTIVE),
                         lambda p: isinstance(p.partial, Notice) and notes.append(p.partial.text))
    finally:
        lib.close()
    assert record.status == "done"
    assert any("disagreed at frame 301" in n for n in notes), notes
    lib = open_library(url)
    try:
        assert frame_order(lib, plan.record.id) is None      # side data dropped once finished
    finally:
        lib.close()
    shots, motion, _ = _contents(url)
    assert shots == reference[0]
    assert _same_curves(motion, reference[1])


def test_a_segment_that_keeps_failing_is_reported_and_the_next_batch_finishes_it(tmp_path,
                                                                               crash_marker):
    """No retries: the segment task that dies fails the file, and the report names the segment.
    The next batch reuses the plan and runs only what is missing (here: the dead segment's last
    shot was stored, so it only records its end), then finishes the file."""
    clip = os.path.join(SHOTS_DIR, "pyscenedetect_counter.mp4")         # 30 frames, one shot
    if crash_marker.exists():
        crash_marker.unlink()
    url = f"sqlite:///{tmp_path / 'fail.sqlite'}"
    results = run_batch([clip], url, ray_address="local", request=ADAPTIVE, segment_frames=10,
                        max_retries=0)
    assert crash_marker.exists()
    assert results[0].status == "failed"
    assert results[0].message.startswith("part 1/3 (frames 0-10): gave up after 1 attempts")
    results = run_batch([clip], url, ray_address="local", request=ADAPTIVE, segment_frames=10,
                        max_retries=0)
    assert [(r.status, r.shots) for r in results] == [("done", 1)], results[0].message
    lib = open_library(url)
    try:
        assert [(s.start_frame, s.end_frame) for s in lib.shots(clip)] == [(0, 30)]
        with lib.store.read() as tx:
            assert tx.column("SELECT attempts FROM analysis_parts ORDER BY part") == [2, 1, 1]
    finally:
        lib.close()
