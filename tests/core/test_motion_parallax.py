"""Layered 3-D clips (photo planes at 3 m, 7 m and 30 m rendered with a pinhole camera):
the parallax test must separate dolly from zoom, truck from pan and pedestal from tilt."""

from __future__ import annotations

import pytest

pytest.importorskip("skimage", reason="scikit-image ships the photos the synthetic clips warp")

from camtag.media.decode import Decoder  # noqa: E402
from camtag.media.probe import probe  # noqa: E402
from camtag.model import Shot  # noqa: E402
from camtag.motion import create_engine  # noqa: E402
from camtag.motion import synthetic as sy  # noqa: E402
from camtag.motion.parallax import FAMILY_RIGID, FAMILY_TRANSLATION  # noqa: E402

W, H, N, FOCAL = 384, 216, 30, 384.0

# name → (camera motion per frame, expected primary tag, expected window family)
CASES = {
    "zoom": (dict(zoom=0.008), "zoom_in", FAMILY_RIGID),
    "dolly": (dict(velocity=(0, 0, 0.04)), "dolly_in", FAMILY_TRANSLATION),
    "dolly_out": (dict(velocity=(0, 0, -0.04)), "dolly_out", FAMILY_TRANSLATION),
    "pan": (dict(yaw_deg=-0.4), "pan_left", FAMILY_RIGID),
    "truck": (dict(velocity=(-0.012, 0, 0)), "truck_left", FAMILY_TRANSLATION),
    "tilt": (dict(pitch_deg=0.35), "tilt_up", FAMILY_RIGID),
    "pedestal": (dict(velocity=(0, 0.012, 0)), "pedestal_down", FAMILY_TRANSLATION),
}


@pytest.fixture(scope="module")
def scene():
    photos, textures = sy.shipped_photos()
    return sy.layered_scene(photos, textures, FOCAL, W, H)


@pytest.mark.parametrize("name", list(CASES))
def test_parallax_separates_translation_from_rotation_and_zoom(scene, tmp_path, name):
    motion, expected, family = CASES[name]
    clip = sy.layered_clip(str(tmp_path / f"{name}.mp4"), scene, N, focal=FOCAL, width=W, height=H,
                           **motion)
    media = probe(clip.path)
    engine = create_engine(media)
    for frame in Decoder(clip.path, engine.spec):
        engine.consume(frame)
    shot = engine.tag_shot(Shot(0, 0, media.frames))
    curves = engine.finish()
    moves = [t for t in shot.tags if t.id in {
        "zoom_in", "zoom_out", "dolly_in", "dolly_out", "pan_left", "pan_right", "truck_left",
        "truck_right", "tilt_up", "tilt_down", "pedestal_up", "pedestal_down"}]
    assert moves, shot.traces[0].answer
    top = max(moves, key=lambda t: t.confidence)
    assert top.id == expected, shot.traces[0].answer
    assert top.confidence >= 0.6
    # the confusable partner is not claimed with any real confidence
    partner = {"zoom_in": "dolly_in", "dolly_in": "zoom_in", "dolly_out": "zoom_out",
               "pan_left": "truck_left", "truck_left": "pan_left", "tilt_up": "pedestal_down",
               "pedestal_down": "tilt_up"}[expected]
    assert all(t.confidence < 0.3 for t in moves if t.id == partner)
    fam = curves["family"][curves["family"] > 0]
    assert (fam == family).mean() >= 0.6, fam
    evidence = shot.evidence["geometry"]["windows"]
    if family == FAMILY_TRANSLATION:
        assert evidence["translation"] >= 0.5
        assert "parallax" in top.reason
    else:
        assert evidence["translation"] == 0
