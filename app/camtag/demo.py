"""The demo clip: made on the user's machine from photos scikit-image ships in its wheel.

Seven shots with known camera moves (static, pan left, tilt up, zoom in, dolly in, truck right,
roll clockwise) joined by cuts, one dissolve and a closing fade to black, at 23.976 fps with a
source start timecode of 01:00:00:00 in a tmcd track. The photos are public domain or CC0
(scikit-image's sample data: NASA's astronaut, coffee, chelsea, rocket…); the clip is
generated, never shipped. Rendering takes about 20-40 s on two cores and gives the same
bytes on every run (fixed seeds, no encoder settings that vary from run to run).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

RATE = Fraction(24000, 1001)
SIZE = (960, 540)
START_TC = "01:00:00:00"


@dataclass(frozen=True)
class DemoShot:
    label: str         # the movement the shot was made with (taxonomy tag id)
    frames: int
    transition_in: str = "cut"   # cut or dissolve (12 frames)


DEMO_SHOTS = (
    DemoShot("static", 48),
    DemoShot("pan_left", 60),
    DemoShot("tilt_up", 48),
    DemoShot("zoom_in", 60),
    DemoShot("dolly_in", 60, "dissolve"),
    DemoShot("truck_right", 54),
    DemoShot("roll_cw", 48),
)
DISSOLVE, FADE_OUT = 12, 12
# Reproducible renders (same bytes every time): x264's macroblock-tree rate control gave different
# bits from run to run on the layered shots, so the intermediate shots use "ultrafast" (no
# mb-tree; they are decoded straight back) and the clip itself is encoded with mb-tree off.
_SHOT_PRESET = "ultrafast"
_CLIP_OPTIONS = {"crf": "20", "preset": "veryfast", "x264-params": "mbtree=0"}


def _render_shot(shot: DemoShot, photos, textures, folder: str, seed: int) -> list[np.ndarray]:
    import av

    from camtag.motion import synthetic as syn

    w, h = SIZE
    n = shot.frames + DISSOLVE          # spare frames for transitions
    path = os.path.join(folder, f"{shot.label}.mp4")
    planar = {
        "static": (0.0, 0.0, 0.0, 0.0), "pan_left": (7.0, 0.0, 0.0, 0.0),
        "tilt_up": (0.0, 5.0, 0.0, 0.0), "zoom_in": (0.0, 0.0, 0.009, 0.0),
        "roll_cw": (0.0, 0.0, 0.0, -0.5),   # content turns counter-clockwise: the camera rolls clockwise
    }
    if shot.label in planar:
        syn.planar_clip(path, photos[seed % len(photos):] + photos[:seed % len(photos)],
                        [planar[shot.label]] * n, w, h, RATE, seed=seed, crf=18, preset=_SHOT_PRESET)
    else:
        focal = 0.9 * w
        layers = syn.layered_scene(photos, textures, focal, w, h, seed=seed)
        velocity = {"dolly_in": (0.0, 0.0, 0.06), "truck_right": (0.05, 0.0, 0.0)}[shot.label]
        syn.layered_clip(path, layers, n, focal=focal, width=w, height=h, rate=RATE,
                         velocity=velocity, seed=seed, crf=18, preset=_SHOT_PRESET)
    with av.open(path) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def make_demo_clip(path: str, shots: tuple[DemoShot, ...] = DEMO_SHOTS) -> str:
    """Render the demo clip to ``path`` (atomically) and return it; the same bytes every time.
    ``shots``: a part of the clip (tests)."""
    import av

    from camtag.motion import synthetic as syn

    photos, textures = syn.shipped_photos()
    w, h = SIZE
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = path + ".part.mp4"
    with tempfile.TemporaryDirectory(prefix="camtag-demo-") as work:
        frames = [_render_shot(s, photos, textures, work, seed=DEMO_SHOTS.index(s)) for s in shots]
        out = av.open(tmp, "w", format="mp4")
        try:
            stream = out.add_stream("libx264", rate=RATE)
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            stream.options = dict(_CLIP_OPTIONS)
            stream.metadata["timecode"] = START_TC

            def put(img: np.ndarray) -> None:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
                for packet in stream.encode(frame):
                    out.mux(packet)

            for i, (spec, shot) in enumerate(zip(shots, frames)):
                nxt = shots[i + 1] if i + 1 < len(shots) else None
                body = shot[:spec.frames]
                if nxt is not None and nxt.transition_in == "dissolve":
                    body = body[:-DISSOLVE // 2]
                for img in body:
                    put(img)
                if nxt is not None and nxt.transition_in == "dissolve":
                    tail, head = shot[spec.frames - DISSOLVE // 2:], frames[i + 1]
                    for k in range(DISSOLVE):
                        a = (k + 1) / (DISSOLVE + 1)
                        put((tail[k].astype(np.float32) * (1 - a) + head[k].astype(np.float32) * a)
                            .astype(np.uint8))
                    frames[i + 1] = head[DISSOLVE:]
            last = frames[-1][shots[-1].frames - DISSOLVE:]
            for k in range(FADE_OUT):
                put((last[min(k, len(last) - 1)].astype(np.float32) * (1 - (k + 1) / FADE_OUT))
                    .astype(np.uint8))
            for packet in stream.encode():
                out.mux(packet)
        finally:
            out.close()
    os.replace(tmp, path)
    return path
