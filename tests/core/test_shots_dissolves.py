"""The classical detector (the base install, no torch) finds dissolves between moving shots, and
camera movement with cuts alone gives no dissolve. Built from exact synthetic labels: two shots,
each with its own camera move, mixed linearly over a known range of frames."""

from __future__ import annotations

import av
import numpy as np
import pytest
from camtag.media.decode import Decoder
from camtag.media.probe import probe
from camtag.motion import synthetic as sy
from camtag.shots.adaptive_detector import AdaptiveDetector
from camtag.shots.base import DetectorSettings

W, H = 320, 180
MOVES = {   # planar moves per frame (dx, dy, log scale, degrees) at 320×180
    "pan": (-3.0, 0.0, 0.0, 0.0), "tilt": (0.0, 2.5, 0.0, 0.0), "zoom": (0.0, 0.0, 0.009, 0.0),
    "roll": (0.0, 0.0, 0.0, -0.5), "diag": (2.0, -1.5, 0.0, 0.0), "static": (0.0, 0.0, 0.0, 0.0),
    "zoomout": (0.0, 0.0, -0.008, 0.0),
}


@pytest.fixture(scope="module")
def photos():
    pytest.importorskip("skimage", reason="the synthetic shots are made from scikit-image's photos")
    return sy.shipped_photos()


def _frames(path):
    with av.open(path) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


def _shot(folder, photos, move, n, seed):
    pics, textures = photos
    path = str(folder / f"s{seed}_{move}.mp4")
    if move in ("dolly", "truck"):           # layered 3-D scene: parallax, not a planar warp
        focal = 0.9 * W
        layers = sy.layered_scene(pics, textures, focal, W, H, seed=seed)
        velocity = {"dolly": (0.0, 0.0, 0.06), "truck": (0.05, 0.0, 0.0)}[move]
        sy.layered_clip(path, layers, n, focal=focal, width=W, height=H, velocity=velocity,
                        seed=seed, preset="ultrafast")
    else:
        k = seed % len(pics)
        sy.planar_clip(path, pics[k:] + pics[:k], [MOVES[move]] * n, W, H, seed=seed,
                       preset="ultrafast")
    return _frames(path)


def _write(path, frames):
    out = sy.ClipWriter(str(path), W, H, preset="ultrafast")
    for f in frames:
        out.write(f)
    out.close()
    return str(path)


def _detect(path):
    det = AdaptiveDetector(DetectorSettings(rate=probe(path).rate, min_shot_frames=6))
    found = []
    for frame in Decoder(path, det.spec):
        found += det.process(frame)
    return found + det.finish()


@pytest.mark.parametrize("a_move,b_move,length,seed", [
    ("pan", "zoom", 12, 0), ("zoom", "dolly", 12, 1), ("tilt", "pan", 20, 2),
    ("diag", "zoomout", 8, 4), ("static", "pan", 30, 5), ("dolly", "tilt", 24, 6),
])
def test_dissolve_between_moving_shots(tmp_path, photos, a_move, b_move, length, seed):
    pre, post = 40, 40
    a = _shot(tmp_path, photos, a_move, pre + length, seed)
    b = _shot(tmp_path, photos, b_move, post + length, seed + 50)
    mix = [((1 - (k + 1) / (length + 1)) * a[pre + k].astype(np.float32)
            + (k + 1) / (length + 1) * b[k].astype(np.float32)).astype(np.uint8)
           for k in range(length)]
    found = _detect(_write(tmp_path / "mix.mp4", a[:pre] + mix + b[length:]))
    kinds = [(x.type, x.frame, x.start_frame, x.end_frame) for x in found]
    first, last = pre, pre + length - 1               # the mixed frames
    assert len(found) == 1 and found[0].type == "dissolve", kinds
    assert first - 1 <= found[0].frame <= last + 2, kinds       # cuts.json's matching, tol 1


@pytest.mark.parametrize("moves,seed", [(("pan", "zoom", "dolly"), 10), (("truck", "roll", "tilt"), 11),
                                        (("zoomout", "diag", "static"), 12)])
def test_camera_movement_with_cuts_is_no_dissolve(tmp_path, photos, moves, seed):
    frames = []
    for i, move in enumerate(moves):
        frames += _shot(tmp_path, photos, move, 50, seed + i)
    found = _detect(_write(tmp_path / "moves.mp4", frames))
    assert [(b.type, b.frame) for b in found] == [("cut", 50), ("cut", 100)]
