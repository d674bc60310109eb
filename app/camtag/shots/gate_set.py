"""A synthetic set with exact labels for the fused detector's gate (benchmarks/gate.py, tests).

Clips are rendered in memory at 480×270 (the detectors look at 128×72 thumbnails): real photos
(scikit-image's) or a multi-scale noise texture (detail down to the thumbnail's pixel, as camera
originals seen at 128×72), moved by pans, tilts, zooms, rolls, handheld shake, a dolly and a
truck through a layered 3-D scene (parallax), fast pans with motion blur, and lighting flicker.
Shots are joined by hard cuts, dissolves or fades through black over the moving pictures; each
clip's gradual transitions are known to the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import cv2
import numpy as np

from camtag.media.decode import AnalysisFrame
from camtag.motion import synthetic as sy
from camtag.motion.devset import shake_path

W, H = 480, 270
SMALL = (128, 72)


@dataclass(frozen=True)
class ShotSpec:
    move: str                     # see MOVES, or dolly / truck / shake / blur / flicker
    content: str = "photo"        # photo | texture
    speed: float = 1.0            # × the move's base speed
    seed: int = 0


@dataclass(frozen=True)
class GateClip:
    name: str
    frames: list = field(repr=False)                 # BGR 480×270 uint8
    gradual: tuple[tuple[int, int], ...] = ()        # transitions: first and last mixed frame
    cuts: tuple[int, ...] = ()                       # first frame of the new shot


MOVES = {   # per frame at 480×270: dx, dy, log scale, degrees
    "pan": (-4.5, 0.0, 0.0, 0.0), "tilt": (0.0, 3.75, 0.0, 0.0), "zoom": (0.0, 0.0, 0.008, 0.0),
    "zoomout": (0.0, 0.0, -0.007, 0.0), "roll": (0.0, 0.0, 0.0, -0.5),
    "diag": (3.0, -2.25, 0.0, 0.0), "static": (0.0, 0.0, 0.0, 0.0),
}


def noise_texture(width: int, height: int, seed: int) -> np.ndarray:
    """Blurred noise at three scales (the finest about one thumbnail pixel) plus shapes."""
    rng = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), np.float32)
    for cell, weight in ((60.0, 90.0), (12.0, 60.0), (3.0, 45.0)):     # cell size, render px
        small = rng.random((max(2, int(height / cell)), max(2, int(width / cell)), 3),
                           dtype=np.float32)
        img += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img - 40, 0, 255)
    img += rng.normal(0.0, 10.0, (height, width, 1)).astype(np.float32)   # grain that moves along
    for _ in range(max(1, width * height // 3200)):         # flat shapes, 1-6 thumbnail px
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(4, 23))
        colour = tuple(float(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), r, colour, -1)
        else:
            cv2.rectangle(img, (x, y), (x + 2 * r, y + r), colour, -1)
    return img.astype(np.uint8)


def _planar(canvas: np.ndarray, steps: list[tuple[float, float, float, float]],
            blur: int = 1) -> list[np.ndarray]:
    """Frames of ``canvas`` (centred) moved by per-frame similarities; ``blur`` sub-frames are
    averaged per frame (a shutter open over the whole frame interval)."""
    ch, cw = canvas.shape[:2]
    shift = np.array([[1, 0, -(cw - W) / 2], [0, 1, -(ch - H) / 2], [0, 0, 1]], float)
    pose = np.eye(3)
    out = []
    for dx, dy, ls, th in steps:
        acc = np.zeros((H, W, 3), np.float32)
        for k in range(blur):
            f = (k + 1) / blur
            m = sy.similarity(dx * f, dy * f, ls * f, th * f, W / 2, H / 2) @ pose
            acc += cv2.warpAffine(canvas, (m @ shift)[:2], (W, H), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT)
        pose = sy.similarity(dx, dy, ls, th, W / 2, H / 2) @ pose
        out.append(acc / blur)
    return out


def _layered(photos, textures, n: int, velocity, seed: int) -> list[np.ndarray]:
    focal = 0.9 * W
    layers = sy.layered_scene(photos, textures, focal, W, H, seed=seed)
    return [sy.composite(layers, focal, [np.array(velocity, float) * i] * len(layers), np.eye(3),
                         W, H) for i in range(n)]


def render_shot(spec: ShotSpec, n: int, photos, textures) -> list[np.ndarray]:
    """``n`` float32 BGR frames of one shot."""
    rng = np.random.default_rng(spec.seed + 100)
    if spec.move in ("dolly", "truck"):
        v = {"dolly": (0.0, 0.0, 0.06), "truck": (0.05, 0.0, 0.0)}[spec.move]
        frames = _layered(photos, textures, n, tuple(c * spec.speed for c in v), spec.seed)
    else:
        side = 3 * max(W, H) + int(8 * n * spec.speed)
        if spec.content == "texture":
            canvas = noise_texture(side, side, spec.seed)
        else:
            k = spec.seed % len(photos)
            canvas = sy.mosaic(photos[k:] + photos[:k], side, side, spec.seed)
        if spec.move == "shake":                        # handheld: tremor plus a slow drift
            path = shake_path(n + 1, 25.0, 3.75 * spec.speed, spec.seed, wander=1.0)
            steps = [(float(a), float(b), 0.0, 0.0) for a, b in np.diff(path, axis=0)]
        elif spec.move == "blur":                        # a whip-fast pan, motion-blurred
            steps = [(-13.5 * spec.speed, 0.9, 0.0, 0.0)] * n
        else:
            base = MOVES["pan" if spec.move == "flicker" else spec.move]
            steps = [tuple(c * spec.speed for c in base)] * n  # type: ignore[misc]
        frames = _planar(canvas, steps, blur=6 if spec.move == "blur" else 1)
    if spec.move == "flicker":                           # lights: mains-beat and random dips
        gains = 1.0 + 0.12 * np.sin(np.arange(n) * 2.1) + rng.normal(0, 0.04, n)
        frames = [f * float(g) for f, g in zip(frames, gains)]
    return frames


def _finish(frames: list[np.ndarray], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed + 7)
    return [np.clip(f + rng.normal(0, 1.5, f.shape), 0, 255).astype(np.uint8) for f in frames]


def join(name: str, shots: list[list[np.ndarray]], joins: list[tuple[str, int]],
         seed: int = 0) -> GateClip:
    """Shots joined in order: ("cut", 0), ("dissolve", L) or ("fade", L) (out to black over L,
    in over L). A dissolve overlaps L frames of the two shots (each keeps moving)."""
    out = list(shots[0])
    gradual, cuts = [], []
    for shot, (kind, length) in zip(shots[1:], joins):
        if kind == "cut":
            cuts.append(len(out))
            out += shot
        elif kind == "dissolve":
            first = len(out) - length
            for k in range(length):
                a = (k + 1) / (length + 1)
                out[first + k] = (1 - a) * out[first + k] + a * shot[k]
            gradual.append((first, first + length - 1))
            out += shot[length:]
        elif kind == "fade":
            first = len(out) - length
            for k in range(length):
                out[first + k] = out[first + k] * (1 - (k + 1) / (length + 1))
            for k in range(length):
                shot[k] = shot[k] * ((k + 1) / (length + 1))
            gradual.append((first, len(out) + length - 1))
            out += shot
        else:
            raise ValueError(kind)
    return GateClip(name, _finish(out, seed), tuple(gradual), tuple(cuts))


def analysis_frames(clip: GateClip):
    """The clip as the decoder hands it to the shot detectors (128×72 BGR, area-averaged)."""
    for i, f in enumerate(clip.frames):
        yield AnalysisFrame(index=i, pts=i, time=Fraction(i, 25),
                            small=cv2.resize(f, SMALL, interpolation=cv2.INTER_AREA))


NEGATIVE = [   # no gradual transition: one moving shot, or moving shots joined by cuts
    ("pan_photo", [ShotSpec("pan", seed=1)]),
    ("tilt_texture", [ShotSpec("tilt", "texture", seed=2)]),
    ("tilt_texture_slow", [ShotSpec("tilt", "texture", 0.4, seed=3)]),
    ("pan_texture_fast", [ShotSpec("pan", "texture", 2.0, seed=4)]),
    ("zoom_texture", [ShotSpec("zoom", "texture", seed=5)]),
    ("zoomout_photo", [ShotSpec("zoomout", seed=6)]),
    ("roll_texture", [ShotSpec("roll", "texture", seed=7)]),
    ("diag_photo_fast", [ShotSpec("diag", speed=2.5, seed=8)]),
    ("dolly_parallax", [ShotSpec("dolly", seed=9)]),
    ("truck_parallax", [ShotSpec("truck", seed=10)]),
    ("handheld_photo", [ShotSpec("shake", seed=11)]),
    ("handheld_texture", [ShotSpec("shake", "texture", 1.5, seed=12)]),
    ("whip_blur", [ShotSpec("blur", seed=13)]),
    ("whip_blur_texture", [ShotSpec("blur", "texture", seed=14)]),
    ("flicker_pan", [ShotSpec("flicker", seed=15)]),
    ("flicker_texture", [ShotSpec("flicker", "texture", 0.7, seed=16)]),
    # slow moves over fine detail: the middle of a change looks like a blend of its ends
    ("tilt_texture_crawl", [ShotSpec("tilt", "texture", 0.27, seed=23)]),
    ("tilt_texture_creep", [ShotSpec("tilt", "texture", 0.12, seed=24)]),
    ("pan_texture_slow", [ShotSpec("pan", "texture", 0.2, seed=25)]),
    ("zoom_texture_slow", [ShotSpec("zoom", "texture", 0.3, seed=26)]),
    ("roll_texture_slow", [ShotSpec("roll", "texture", 0.3, seed=27)]),
    ("pan_photo_slow", [ShotSpec("pan", speed=0.2, seed=28)]),
    ("tilt_photo_slow", [ShotSpec("tilt", speed=0.25, seed=29)]),
    ("dolly_parallax_slow", [ShotSpec("dolly", speed=0.3, seed=30)]),
    ("handheld_texture_slow", [ShotSpec("shake", "texture", 0.4, seed=50)]),
    ("flicker_texture_slow", [ShotSpec("flicker", "texture", 0.2, seed=51)]),
    ("whip_blur_slow", [ShotSpec("blur", "texture", 0.3, seed=52)]),
    ("cuts_moving", [ShotSpec("pan", seed=17), ShotSpec("tilt", "texture", seed=18),
                     ShotSpec("zoom", seed=19)]),
    ("cuts_slow_texture", [ShotSpec("tilt", "texture", 0.25, seed=53),
                           ShotSpec("pan", "texture", 0.3, seed=54)]),
    ("cuts_parallax", [ShotSpec("dolly", seed=20), ShotSpec("shake", "texture", seed=21),
                       ShotSpec("truck", seed=22)]),
]

POSITIVE = [   # (name, shots, join kind, length): gradual transitions between moving shots
    ("dissolve_pan_zoom", [ShotSpec("pan", seed=31), ShotSpec("zoom", seed=32)], "dissolve", 12),
    ("dissolve_tilt_pan_tex", [ShotSpec("tilt", "texture", seed=33), ShotSpec("pan", seed=34)],
     "dissolve", 20),
    ("dissolve_tex_tex", [ShotSpec("tilt", "texture", seed=35),
                          ShotSpec("pan", "texture", seed=36)], "dissolve", 16),
    ("dissolve_dolly_shake", [ShotSpec("dolly", seed=37), ShotSpec("shake", seed=38)],
     "dissolve", 24),
    ("dissolve_short", [ShotSpec("diag", seed=39), ShotSpec("zoomout", seed=40)], "dissolve", 8),
    ("dissolve_long", [ShotSpec("truck", seed=41), ShotSpec("tilt", seed=42)], "dissolve", 36),
    ("dissolve_flicker", [ShotSpec("flicker", seed=43), ShotSpec("roll", "texture", seed=44)],
     "dissolve", 16),
    ("fade_pan", [ShotSpec("pan", seed=45), ShotSpec("tilt", seed=46)], "fade", 12),
    ("dissolve_slow_tex", [ShotSpec("tilt", "texture", 0.25, seed=55),
                           ShotSpec("pan", "texture", 0.2, seed=56)], "dissolve", 20),
    ("dissolve_slow_photo", [ShotSpec("pan", speed=0.2, seed=57),
                             ShotSpec("zoom", speed=0.3, seed=58)], "dissolve", 16),
    ("fade_slow_texture", [ShotSpec("tilt", "texture", 0.25, seed=59),
                           ShotSpec("pan", "texture", 0.25, seed=60)], "fade", 16),
    ("fade_texture", [ShotSpec("tilt", "texture", seed=47), ShotSpec("shake", seed=48)],
     "fade", 20),
]


def build(names: list[str] | None = None, frames: int = 120):
    """The clips (all, or those named): negatives first. Needs scikit-image's photos."""
    photos, textures = sy.shipped_photos()
    out = []
    for name, shots in NEGATIVE:
        if names is None or name in names:
            n = frames if len(shots) == 1 else math.ceil(frames * 0.6)
            rendered = [render_shot(s, n, photos, textures) for s in shots]
            out.append(join(name, rendered, [("cut", 0)] * (len(shots) - 1), seed=len(out)))
    for name, shots, kind, length in POSITIVE:
        if names is None or name in names:
            n = frames // 2 + length
            rendered = [render_shot(s, n, photos, textures) for s in shots]
            out.append(join(name, rendered, [(kind, length)], seed=len(out)))
    return out
