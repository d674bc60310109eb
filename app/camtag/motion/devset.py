"""The failure-class development set: small synthetic clips with exact labels.

Each :class:`DevCase` reproduces one way the geometric engine went wrong on real footage
(issue 16): a locked-off shot with slight shake, a dolly towards a subject vs a zoom, an arc
around a subject, a pan vs a truck over a flat background, a subject (not the camera) moving,
short / dark / flat clips, and a dithered GIF re-encode of a still shot. Scenes are built from
real photos (scikit-image's bundled ones) on several depth planes, rendered with a pinhole
camera and encoded with libx264 (or written as a palette GIF), so they go through the real
decoder. Labels are CameraBench binary primitives (``task`` names, "Move Left", …) plus the
expected primary tag id and, where geometry cannot separate two primitives, the pair.

Clips are small (320×180, ≤ 2 s at 25 fps) so the whole set renders and analyses in seconds.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import cv2
import numpy as np

from camtag.motion import synthetic as sy

W, H, RATE, N = 320, 180, 25, 45
FOCAL = 320.0                      # ~53° horizontal field of view


@dataclass(frozen=True)
class DevCase:
    name: str
    failure_class: str             # which failure of issue 16 the clip reproduces
    primary: str                   # expected primary tag id (a move, a steadiness level or "unknown")
    positives: tuple[str, ...]     # CameraBench binary tasks answered Yes (every other one is No)
    pair: tuple[str, ...] = ()     # primitives geometry cannot separate here (stating them is right)
    steadiness: str = ""           # static / static_shake / stable / handheld ("" = not judged)
    tracking: bool = False
    arc: str = ""                  # arc_cw / arc_ccw
    render: Callable | None = None


# -- building blocks ---------------------------------------------------------------------------

def shake_path(n: int, rate: float, rms: float, seed: int, band: tuple[float, float] = (2.0, 9.0),
               wander: float = 0.0) -> np.ndarray:
    """n × 2 camera shake positions (px): band-limited noise (hand tremor, ~2–9 Hz) scaled to
    ``rms``, plus an optional slow wander (< 1 Hz, ``wander`` × rms) as a person breathing."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, 2))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    for k in range(2):
        spec = np.fft.rfft(rng.normal(0, 1, n))
        hi = spec * ((freqs >= band[0]) & (freqs <= band[1]))
        lo = spec * (freqs < 1.0) * (freqs > 0)
        x = np.fft.irfft(hi, n)
        x *= rms / (np.std(x) + 1e-12)
        if wander:
            y = np.fft.irfft(lo, n)
            x += y * wander * rms / (np.std(y) + 1e-12)
        out[:, k] = x
    return out


def _steps(path: np.ndarray, base: tuple[float, float, float, float] = (0, 0, 0, 0)) -> list:
    """Per-frame similarity steps (dx, dy, log_s, θ) from a shake path plus a steady move."""
    d = np.diff(path, axis=0, prepend=path[:1])
    return [(base[0] + float(d[i, 0]), base[1] + float(d[i, 1]), base[2], base[3])
            for i in range(len(path))]


def _rot(yaw_deg: float, pitch_deg: float = 0.0) -> np.ndarray:
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    ry = np.array([[math.cos(yaw), 0, -math.sin(yaw)], [0, 1, 0], [math.sin(yaw), 0, math.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, math.cos(pitch), math.sin(pitch)],
                   [0, -math.sin(pitch), math.cos(pitch)]])
    return rx @ ry


def subject_layer(photo: np.ndarray, depth: float, height_share: float) -> sy.Layer:
    """A photo cut out as an ellipse (a person / object) standing on the optical axis."""
    th = 160
    tw = max(8, round(photo.shape[1] * th / photo.shape[0] * 0.6))
    tex = cv2.resize(photo, (tw, th), interpolation=cv2.INTER_AREA)
    mask = np.zeros((th, tw), np.uint8)
    cv2.ellipse(mask, (tw // 2, th // 2), (tw // 2 - 1, th // 2 - 1), 0, 0, 360, 255, -1)
    mpp = height_share * H * depth / FOCAL / th
    return sy.Layer(depth, tex, mpp, mask)


def render_layers(path: str, layers: list[sy.Layer], poses: list[tuple], offsets=None,
                  noise: float = 1.5, gain: float = 1.0, seed: int = 0) -> sy.Clip:
    """Render ``poses`` = [(camera xyz metres, yaw°, pitch°, focal px), …]; ``offsets[i][k]``
    moves layer ``k`` in frame ``i`` (metres, world x/y/z), for a subject that moves."""
    rng = np.random.default_rng(seed + 5)
    writer = sy.ClipWriter(path, W, H, Fraction(RATE), crf=18)
    try:
        for i, (cam, yaw, pitch, focal) in enumerate(poses):
            rot = _rot(yaw, pitch)
            cams = [np.asarray(cam, float) - (0 if offsets is None else np.asarray(offsets[i][k], float))
                    for k in range(len(layers))]
            img = sy.composite(layers, focal, cams, rot, W, H)
            img = img * gain
            writer.write(np.clip(img + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8))
    finally:
        writer.close()
    return sy.Clip(path, W, H, Fraction(RATE), len(poses), [], "layered")


def gif_reencode(src: str, dst: str, colours: int = 64) -> str:
    """Decode ``src`` and write it as a palette GIF with Floyd–Steinberg dithering (the way
    preview GIFs are made): the dither pattern changes from frame to frame with the noise."""
    import av
    from PIL import Image

    frames = []
    with av.open(src) as container:
        for frame in container.decode(video=0):
            img = Image.fromarray(frame.to_ndarray(format="rgb24"))
            frames.append(img.quantize(colors=colours, dither=Image.Dither.FLOYDSTEINBERG))
    frames[0].save(dst, save_all=True, append_images=frames[1:], duration=int(1000 / RATE), loop=0)
    return dst


# -- scenes ------------------------------------------------------------------------------------

def _background(photos, textures, seed: int) -> list[sy.Layer]:
    return sy.layered_scene(photos, textures, FOCAL, W, H, seed=seed)


def _subject_scene(photos, textures, seed: int, depth: float = 3.5, share: float = 0.55):
    layers = _background(photos, textures, seed)
    far = [ly for ly in layers if ly.depth > 5]            # keep the near posts out of the way
    return far + [subject_layer(photos[seed % len(photos)], depth, share)]


def _planar(path, photos, steps, **kw) -> sy.Clip:
    return sy.planar_clip(path, photos, steps, W, H, Fraction(RATE), **kw)


def _r_still(path, photos, textures):
    return _planar(path, photos, [(0, 0, 0, 0)] * N, seed=1)


def _r_still_shake(path, photos, textures):
    return _planar(path, photos, _steps(shake_path(N, RATE, 0.9, seed=2)), seed=2)


def _r_still_subject(path, photos, textures):
    t = np.arange(N)
    route = [(W * 0.3 + 2.2 * i, H * 0.55 + 3 * math.sin(i / 3)) for i in t]
    return _planar(path, photos, [(0, 0, 0, 0)] * N, object_img=photos[3], object_path=route,
                   object_size=0.55, seed=3)


def _r_talking(path, photos, textures):
    route = [(W * 0.5 + 1.5 * math.sin(i / 2.5), H * 0.5 + 2.5 * math.sin(i / 1.7))
             for i in range(N)]
    return _planar(path, photos, [(0, 0, 0, 0)] * N, object_img=photos[0], object_path=route,
                   object_size=0.6, seed=4)


def _r_gif_still(path, photos, textures):
    mp4 = path[:-4] + "_src.mp4"
    _planar(mp4, photos, [(0, 0, 0, 0)] * N, seed=5, noise=2.0)
    gif_reencode(mp4, path)
    os.remove(mp4)
    return sy.Clip(path, W, H, Fraction(RATE), N, [], "gif")


def _dolly_zoom_poses(forward: float, zoom: float) -> list[tuple]:
    return [((0.0, 0.0, forward * i), 0.0, 0.0, FOCAL * math.exp(zoom * i)) for i in range(N)]


def _make_dz(forward: float, zoom: float, seed: int):
    def render(path, photos, textures):
        return render_layers(path, _subject_scene(photos, textures, seed),
                             _dolly_zoom_poses(forward, zoom), seed=seed)
    return render


def _r_follow(path, photos, textures):
    """Camera follows a subject walking away at the same speed: the subject keeps its size,
    the background expands (a tail tracking shot, which reads as a zoom to a global fit)."""
    layers = _subject_scene(photos, textures, 7, depth=3.0, share=0.5)
    v = 0.03
    poses = [((0.0, 0.0, v * i), 0.0, 0.0, FOCAL) for i in range(N)]
    offs = [[(0, 0, 0)] * (len(layers) - 1) + [(0.0, 0.0, v * i)] for i in range(N)]
    return render_layers(path, layers, poses, offs, seed=7)


def _r_follow_pan(path, photos, textures):
    """Following a subject forward while panning right after it (class 2's follow shot)."""
    layers = _subject_scene(photos, textures, 61, depth=3.0, share=0.5)
    v = 0.03
    poses = [((0.0, 0.0, v * i), 0.3 * i, 0.0, FOCAL) for i in range(N)]
    offs = [[(0, 0, 0)] * (len(layers) - 1) + [(0.0, 0.0, v * i)] for i in range(N)]
    return render_layers(path, layers, poses, offs, seed=61)


def _make_arc(sign: int, seed: int):
    """Orbit around a subject 4 m away: sign −1 moves left and pans right (clockwise seen
    from above), +1 the mirror image."""
    def render(path, photos, textures):
        d, step = 4.0, 0.55
        layers = _subject_scene(photos, textures, seed, depth=d, share=0.5)
        poses = []
        for i in range(N):
            phi = math.radians(step * i)
            poses.append(((sign * d * math.sin(phi), 0.0, d - d * math.cos(phi)),
                          -sign * math.degrees(phi), 0.0, FOCAL))
        return render_layers(path, layers, poses, seed=seed)
    return render


def _make_lateral(vx: float, yaw: float, seed: int, track: bool = False):
    def render(path, photos, textures):
        layers = _background(photos, textures, seed)
        if track:                       # a subject walking level with the camera, 5 m away
            layers = layers + [subject_layer(photos[seed % len(photos)], 5.0, 0.45)]
        poses = [((vx * i, 0.0, 0.0), yaw * i, 0.0, FOCAL) for i in range(N)]
        offs = None
        if track:
            offs = [[(0, 0, 0)] * (len(layers) - 1) + [(vx * i, 0.0, 0.0)] for i in range(N)]
        return render_layers(path, layers, poses, offs, seed=seed)
    return render


def _r_pan_subject_stable(path, photos, textures):
    route = [(W * 0.7 - 1.5 * i, H * 0.5 + 4 * math.sin(i / 2)) for i in range(N)]
    return _planar(path, photos, [(2.0, 0, 0, 0)] * N, object_img=photos[2], object_path=route,
                   object_size=0.5, seed=9)


def _r_handheld_pan(path, photos, textures):
    return _planar(path, photos, _steps(shake_path(N, RATE, 2.2, seed=10, wander=1.0), (-2.0, 0, 0, 0)),
                   seed=10)


def _r_short_pan(path, photos, textures):
    return _planar(path, photos, [(-2.5, 0, 0, 0)] * 18, seed=11)


def _r_dark_tilt(path, photos, textures):
    poses = [((0.0, 0.0, 0.0), 0.0, 0.25 * i, FOCAL) for i in range(N)]
    return render_layers(path, _background(photos, textures, 12), poses, gain=0.12, noise=2.5,
                         seed=12)


def _r_night_tilt(path, photos, textures):
    """Near-black (4 % gain): only a coarse direction is visible."""
    poses = [((0.0, 0.0, 0.0), 0.0, -0.25 * i, FOCAL) for i in range(N)]
    return render_layers(path, _background(photos, textures, 16), poses, gain=0.04, noise=2.0,
                         seed=16)


def _r_glimpse(path, photos, textures):
    return _planar(path, photos, [(3.0, 0, 0, 0)] * 8, seed=17)       # 0.32 s


def _r_flat(path, photos, textures):
    grey = [np.full((400, 600, 3), 90, np.uint8)]
    return _planar(path, grey, [(-3.0, 0, 0, 0)] * N, noise=1.0, seed=13)


def _r_tilt_down(path, photos, textures):
    return _planar(path, photos, [(0, -2.0, 0, 0)] * N, seed=14)


def _r_roll(path, photos, textures):
    return _planar(path, photos, [(0, 0, 0, -0.7)] * N, seed=15)


CASES: tuple[DevCase, ...] = (
    DevCase("still", "static vs shake", "static", ("Static",), steadiness="static", render=_r_still),
    DevCase("still_shake", "static vs shake", "static_shake", (), steadiness="static_shake",
            render=_r_still_shake),
    DevCase("still_subject", "subject motion is not shake", "static", ("Static",),
            steadiness="static", render=_r_still_subject),
    DevCase("talking_head", "subject motion is not parallax", "static", ("Static",),
            steadiness="static", render=_r_talking),
    DevCase("gif_still", "encoding", "static", ("Static",), steadiness="static",
            render=_r_gif_still),
    DevCase("dolly_in_subject", "dolly vs zoom", "dolly_in", ("Move In",), steadiness="stable",
            render=_make_dz(0.025, 0.0, 21)),
    DevCase("dolly_out_subject", "dolly vs zoom", "dolly_out", ("Move Out",), steadiness="stable",
            render=_make_dz(-0.025, 0.0, 22)),
    DevCase("zoom_in_subject", "dolly vs zoom", "zoom_in", ("Zoom In",), steadiness="stable",
            render=_make_dz(0.0, 0.008, 23)),
    DevCase("zoom_out_subject", "dolly vs zoom", "zoom_out", ("Zoom Out",), steadiness="stable",
            render=_make_dz(0.0, -0.008, 24)),
    DevCase("follow_subject", "dolly vs zoom", "dolly_in", ("Move In",), steadiness="stable",
            tracking=True, render=_r_follow),
    DevCase("follow_pan", "dolly vs zoom", "dolly_in", ("Move In", "Pan Right"), steadiness="stable",
            tracking=True, render=_r_follow_pan),
    DevCase("arc_cw", "arc", "arc_cw", ("Move Left", "Pan Right"), steadiness="stable",
            arc="arc_cw", render=_make_arc(-1, 31)),
    DevCase("arc_ccw", "arc", "arc_ccw", ("Move Right", "Pan Left"), steadiness="stable",
            arc="arc_ccw", render=_make_arc(1, 32)),
    DevCase("pan_depth", "pan vs truck", "pan_right", ("Pan Right",), steadiness="stable",
            render=_make_lateral(0.0, 0.5, 41)),
    DevCase("truck_depth", "pan vs truck", "truck_right", ("Move Right",), steadiness="stable",
            render=_make_lateral(0.04, 0.0, 42)),
    DevCase("truck_flat", "pan vs truck", "truck_left", ("Move Left",), pair=("pan_left", "truck_left"),
            steadiness="stable", render=lambda p, ph, tx: _planar(p, ph, [(2.5, 0, 0, 0)] * N, seed=43)),
    DevCase("track_side", "pan vs truck", "truck_right", ("Move Right",), steadiness="stable",
            tracking=True, render=_make_lateral(0.04, 0.0, 44, track=True)),
    DevCase("pan_subject_stable", "handheld false positive", "pan_left", ("Pan Left",),
            pair=("pan_left", "truck_left"), steadiness="stable", render=_r_pan_subject_stable),
    DevCase("handheld_pan", "handheld false positive", "pan_right", ("Pan Right",),
            pair=("pan_right", "truck_right"), steadiness="handheld", render=_r_handheld_pan),
    DevCase("short_pan", "short or dark", "pan_right", ("Pan Right",), pair=("pan_right", "truck_right"),
            render=_r_short_pan),
    DevCase("dark_tilt", "short or dark", "tilt_up", ("Tilt Up",), render=_r_dark_tilt),
    DevCase("night_tilt", "short or dark", "tilt_down", ("Tilt Down",),
            pair=("tilt_down", "pedestal_down"), render=_r_night_tilt),
    DevCase("glimpse_pan", "short or dark", "pan_left", ("Pan Left",), pair=("pan_left", "truck_left"),
            render=_r_glimpse),
    DevCase("flat", "short or dark", "unknown", ()),
    DevCase("tilt_down", "basic", "tilt_down", ("Tilt Down",), pair=("tilt_down", "pedestal_down"),
            steadiness="stable", render=_r_tilt_down),
    DevCase("roll_cw", "basic", "roll_cw", ("Roll Clockwise",), steadiness="stable", render=_r_roll),
)
# the flat clip renders a texture-free wall; set here to keep the table one line per case
CASES = tuple(c if c.name != "flat" else DevCase(**{**c.__dict__, "render": _r_flat}) for c in CASES)


def render_case(case: DevCase, folder: str, photos=None, textures=None) -> str:
    """Render one case into ``folder`` (cached by name); returns the clip path."""
    if photos is None or textures is None:
        photos, textures = sy.shipped_photos()
    ext = ".gif" if case.name.startswith("gif") else ".mp4"
    path = os.path.join(folder, case.name + ext)
    if not os.path.exists(path):
        case.render(path, photos, textures)
    return path


def render_all(folder: str, names=None) -> dict[str, str]:
    photos, textures = sy.shipped_photos()
    os.makedirs(folder, exist_ok=True)
    return {c.name: render_case(c, folder, photos, textures) for c in CASES
            if names is None or c.name in names}
