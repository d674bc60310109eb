"""The fused detector's gate: TransNetV2 looks at dissolves over moving pictures, and steady
camera movement (whose middles also look like a blend of its ends) does not wake it up."""

from __future__ import annotations

import av
import numpy as np
import pytest

from camtag.media.decode import Decoder
from camtag.media.probe import probe
from camtag.motion import synthetic as sy
from camtag.shots.base import DetectorSettings

fused = pytest.importorskip("camtag.shots.fused_detector")


def _frames(path):
    with av.open(path) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


def _detect(path):
    media = probe(path)
    det = fused.FusedDetector(DetectorSettings(rate=media.rate, min_shot_frames=6))
    if det.transnet is None:
        pytest.skip("TransNetV2 is not installed")
    found = []
    for frame in Decoder(path, det.spec):
        found += det.process(frame)
    found += det.finish()
    return det, found


def _write(path, frames, w, h):
    out = sy.ClipWriter(str(path), w, h)
    for f in frames:
        out.write(f)
    out.close()
    return str(path)


def test_dissolve_between_moving_shots_is_found(tmp_path):
    photos, _ = sy.shipped_photos()
    w, h = 320, 180
    pan = _frames(sy.planar_clip(str(tmp_path / "a.mp4"), photos, [(-3, 0.5, 0, 0)] * 70, w, h,
                                 seed=1, preset="veryfast").path)
    zoom = _frames(sy.planar_clip(str(tmp_path / "b.mp4"), photos[2:] + photos[:2],
                                  [(0, 0, 0.008, 0.1)] * 70, w, h, seed=2, preset="veryfast").path)
    other = _frames(sy.planar_clip(str(tmp_path / "c.mp4"), photos[1:] + photos[:1],
                                   [(2, -2, 0, 0)] * 50, w, h, seed=3, preset="veryfast").path)
    mix = [((1 - (k + 1) / 21) * pan[40 + k] + (k + 1) / 21 * zoom[k]).astype(np.uint8)
           for k in range(20)]                                   # dissolve: frames 40-59
    path = _write(tmp_path / "dissolve.mp4", pan[:40] + mix + zoom[20:60] + other, w, h)  # cut at 100
    det, found = _detect(path)
    assert det.transnet.windows_run >= 1
    kinds = [(b.type, b.frame) for b in found]
    assert len(found) == 2, kinds
    assert found[0].type == "dissolve" and 40 <= found[0].frame <= 60, kinds
    assert found[1].type == "cut" and abs(found[1].frame - 100) <= 1, kinds


def test_steady_camera_movement_does_not_run_the_network(tmp_path):
    photos, _ = sy.shipped_photos()
    w, h = 640, 360
    frames = []
    for i, motion in enumerate([(-2, 0, 0, 0), (0, 1.7, 0, 0), (0, 0, 0.006, 0)]):   # pan, tilt, zoom
        frames += _frames(sy.planar_clip(str(tmp_path / f"m{i}.mp4"), photos[i:] + photos[:i],
                                         [motion] * 60, w, h, seed=i, preset="veryfast").path)
    path = _write(tmp_path / "moves.mp4", frames, w, h)
    det, found = _detect(path)
    # these middles look like blends (the gate's first test), but moving explains them
    assert det.gate.measured > 20
    assert det.transnet.windows_run == 0
    assert [(b.type, b.frame) for b in found] == [("cut", 60), ("cut", 120)]
