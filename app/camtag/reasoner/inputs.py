"""What the model sees: one definition of frames and pixels for every backend.

CamReasoner was evaluated (``wuhang03/CamReasoner:Inference/infer/eval_bench.py`` with
``qwen_vl_utils`` 0.0.14) on frames taken at **1 fps**, each sent as its **own image**, resized by
``smart_resize`` with factor 28 and ``max_pixels = 1024*32*32``; up to 64 frames. Every backend
here sends the frames as separate images (never as one video) at the size this module computes,
so llama.cpp, transformers and servers all see the same pixels and the same token count.

Presets (``settings["preset"]``):

- ``eval``: exactly the evaluation's budget: ``max_pixels`` 1,048,576, ``min_pixels`` 3,136,
  factor-28 rounding (720p -> 1288x728 = 1,196 tokens a frame; 1080p -> 1344x756 = 1,296),
  up to 64 frames, lossless PNG frames for the image-file backends. Accurate and expensive.
- ``fast`` (the default): ``max_pixels`` = 256 tokens (256*28*28 = 200,704 px; 720p -> 588x336 =
  252 tokens a frame, 1080p the same), up to 16 frames: at most 16 x 256 = 4,096 image tokens a
  shot, prefilled once per shot (see ``benchmarks/reasoner.py`` for the cost table). Lower
  resolution than the evaluation: its accuracy is unmeasured, so ``camtag eval`` should compare it.

Long shots are thinned uniformly to the frame cap (CamReasoner's RL data loader also drops
frames uniformly when a prompt is too long; the evaluation script truncates instead, which
would describe only a shot's first minute). ``max_frames``/``max_pixels`` settings override a
preset's values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from camtag.media.frames import FrameBudget

FACTOR = 28                          # Qwen2.5-VL: 14-px patches merged 2x2
MIN_PIXELS = 4 * FACTOR * FACTOR     # qwen_vl_utils MIN_PIXELS (3,136)
MAX_RATIO = 200                      # qwen_vl_utils refuses more extreme aspect ratios


@dataclass(frozen=True)
class Preset:
    name: str
    max_pixels: int
    max_frames: int
    lossless: bool                   # PNG frames (evaluation parity) instead of JPEG q90
    note: str


PRESETS: dict[str, Preset] = {
    "eval": Preset("eval", 1024 * 32 * 32, 64, True,
                   "CamReasoner's evaluation budget (1,196 tokens a 720p frame, up to 64 frames)"),
    "fast": Preset("fast", 256 * FACTOR * FACTOR, 16, False,
                   "<= 256 tokens a frame, up to 16 frames (<= 4,096 image tokens a shot)"),
}
DEFAULT_PRESET = "fast"


def smart_resize(height: int, width: int, factor: int = FACTOR, min_pixels: int = MIN_PIXELS,
                 max_pixels: int = PRESETS["eval"].max_pixels) -> tuple[int, int]:
    """``qwen_vl_utils.smart_resize`` (0.0.14): (height, width), sides multiples of ``factor``,
    area within [min_pixels, max_pixels], aspect ratio kept as closely as rounding allows."""
    if height <= 0 or width <= 0:
        raise ValueError(f"frame size {width}x{height} is not positive")
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError(f"aspect ratio of {width}x{height} is above {MAX_RATIO}")
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


@dataclass(frozen=True)
class PresetBudget(FrameBudget):
    """A :class:`FrameBudget` whose frame size is ``smart_resize`` of the display size (the
    frame samplers and the decode-pass frame cache call :meth:`size_for`)."""

    preset: str = DEFAULT_PRESET
    min_pixels: int = MIN_PIXELS        # (lossless, from FrameBudget: eval's frames skip the JPEG cache)

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        h, w = smart_resize(int(height), int(width), FACTOR, self.min_pixels, self.max_pixels)
        return w, h

    @property
    def max_tokens_per_frame(self) -> int:
        return self.max_pixels // (FACTOR * FACTOR)


def preset_of(settings: dict | None) -> Preset:
    name = str((settings or {}).get("preset") or DEFAULT_PRESET)
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown frame preset {name!r} (use {' or '.join(PRESETS)})") from None


def budget_from_settings(settings: dict | None) -> PresetBudget:
    """The frame budget for a backend's settings: the preset, with ``max_frames``/``max_pixels``/
    ``min_frames``/``fps`` overrides."""
    s = settings or {}
    p = preset_of(s)
    max_pixels = int(s.get("max_pixels") or p.max_pixels)
    if max_pixels < MIN_PIXELS:
        raise ValueError(f"max_pixels {max_pixels} is below Qwen2.5-VL's minimum of {MIN_PIXELS}")
    return PresetBudget(fps=Fraction(s.get("fps", 1)).limit_denominator(1000),
                        max_frames=max(1, int(s.get("max_frames") or p.max_frames)),
                        min_frames=max(1, int(s.get("min_frames", 2))),
                        max_side=1 << 16, max_pixels=max_pixels, preset=p.name,
                        lossless=bool(s.get("lossless", p.lossless)))


def thin(frames: list, keep: int) -> list:
    """``keep`` frames spread uniformly over ``frames`` (first and last kept)."""
    n = len(frames)
    if keep >= n:
        return list(frames)
    if keep <= 1:
        return [frames[0]]
    return [frames[round(i * (n - 1) / (keep - 1))] for i in range(keep)]


def image_bytes(frame, lossless: bool) -> tuple[bytes, str]:
    """(encoded frame, MIME type) for the image-file backends: PNG when ``lossless``, else the
    frame's JPEG (q90) from the frame cache or freshly encoded."""
    import cv2
    import numpy as np

    if not lossless:
        if frame.jpeg:
            return frame.jpeg, "image/jpeg"
        from camtag.media.frames import jpeg_bytes

        return jpeg_bytes(frame.image), "image/jpeg"
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(frame.image[..., ::-1]))
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes(), "image/png"


def image_uri(frame, lossless: bool) -> str:
    """A data URI of one frame (see :func:`image_bytes`)."""
    import base64

    raw, mime = image_bytes(frame, lossless)
    return f"data:{mime};base64," + base64.b64encode(raw).decode("ascii")
