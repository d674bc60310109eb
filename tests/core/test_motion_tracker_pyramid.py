"""The tracker's short pyramid (issue 21 IV): a forward pass seeded by the constant-velocity guess
uses one pyramid level; abrupt changes of velocity (a whip pan starting after still frames, a pan
reversing) must still be measured as the full pyramid measures them."""

from __future__ import annotations

import cv2
import numpy as np

from camtag.motion.tracker import METHOD_KLT, FrameTracker, TrackerSettings


def texture(width: int, height: int, seed: int = 5) -> np.ndarray:
    """Grey multi-scale noise with shapes: corners everywhere, like a real picture."""
    rng = np.random.default_rng(seed)
    img = np.zeros((height, width), np.float32)
    for cells, weight in ((6, 90.0), (30, 60.0), (150, 35.0)):
        small = rng.random((max(2, cells * height // width), cells), dtype=np.float32)
        img += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(60):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(img, centre, int(rng.integers(6, 40)), int(rng.integers(0, 256)), -1)
    return cv2.GaussianBlur(img, (3, 3), 0)


def crops(velocities: list[int], still: int = 4) -> tuple[list[np.ndarray], list[int]]:
    """640×360 crops of one texture: ``still`` frames, then the crop moves right by each
    velocity in turn (px per frame); returns the frames and each pair's true image motion."""
    canvas = texture(1400, 420)
    x, xs, truth = 400, [], []
    for _ in range(still):
        xs.append(x)
        truth.append(0)
    for v in velocities:
        x += v
        xs.append(x)
        truth.append(-v)                 # the picture moves against the camera
    return [np.ascontiguousarray(canvas[30:390, s:s + 640]) for s in xs], truth[1:]


def measure(frames: list[np.ndarray], settings: TrackerSettings) -> list:
    tracker = FrameTracker(settings)
    return [tracker.feed(f) for f in frames][1:]


def test_abrupt_velocity_changes_match_the_full_pyramid():
    # 0 → 18 px/frame at once, changes of 8-20 px between neighbouring pairs (within the
    # short pyramid's reach), then of 44-60 px (past it: the full pyramid takes over)
    frames, truth = crops([18, 18, 10, 24, 4, -10, -10, 6, 50, 50, 0, -44])
    short = measure(frames, TrackerSettings())
    full = measure(frames, TrackerSettings(guided_levels=3))
    assert TrackerSettings().guided_levels < TrackerSettings().levels == 3
    for i, (a, b, want) in enumerate(zip(short, full, truth)):
        assert a.method == METHOD_KLT and b.method == METHOD_KLT, i
        assert abs(a.dx - want) < 0.05 and abs(a.dy) < 0.05, (i, a.dx, want)
        assert abs(a.dx - b.dx) < 0.02 and abs(a.log_s - b.log_s) < 1e-4, (i, a.dx, b.dx)
        assert a.confidence > 0.8 and b.confidence > 0.8, i
