"""The keystone cue (a turning camera bends the picture, a travelling one does not), curves
written before the ``turn`` column existed, and pan against truck from the keystone: the turn over
the measured pan is taken window by window, so one window that saw something else (the first
pictures after a dissolve, a passer-by) does not decide it, and its spread says how far to trust it."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from camtag.motion.curves import MotionCurves
from camtag.motion.measure import keystone_ratio
from camtag.motion.parallax import keystone_turn

W, H = 640, 360


def _k(f):
    return np.array([[f, 0, W / 2], [0, f, H / 2], [0, 0, 1.0]])


def _yaw(deg):
    a = math.radians(deg)
    return np.array([[math.cos(a), 0, -math.sin(a)], [0, 1, 0], [math.sin(a), 0, math.cos(a)]])


@pytest.mark.parametrize("deg", [-2.0, 0.7, 3.0])
def test_a_turn_shows_as_keystone_and_a_slide_does_not(deg):
    k = _k(float(W))
    turn = keystone_turn(k @ _yaw(deg) @ np.linalg.inv(k), W, H)
    centre = k @ _yaw(deg) @ np.array([0, 0, 1.0])
    slide = centre[0] / centre[2] - W / 2          # how far the turn moves the middle of the frame
    assert turn == pytest.approx(-slide, rel=0.05)  # + = the camera turns right, content goes left
    # a sideways translation past a flat wall (or any plane facing the camera) is a pure shift
    shift = np.array([[1, 0, 25.0], [0, 1, -3.0], [0, 0, 1]])
    assert abs(keystone_turn(shift, W, H)) < 1e-6
    # on a longer lens the same slide shows less keystone (the cue leans on the lens guess)
    k2 = _k(2.0 * W)
    assert abs(keystone_turn(k2 @ _yaw(deg) @ np.linalg.inv(k2), W, H)) < 0.6 * abs(turn)


def test_curves_written_before_the_turn_column_still_load():
    n = 5
    c = MotionCurves.empty(10, Fraction(25), n)
    d = c.to_dict()
    del d["raw"]["turn"]
    back = MotionCurves.from_dict(d)
    assert back.frames == n and np.isnan(back["turn"]).all()
    arrays = {k: v for k, v in c.arrays.items() if k != "turn"}
    assert np.isnan(MotionCurves(0, Fraction(25), arrays)["turn"]).all()


WIN = 6      # frames of a parallax window (the engine's default)


def _curves(ratios, pan_per_frame=0.002, rng=None):
    """Frame columns as the engine writes them: each window writes one turn value per frame
    (its turn over its frames), pan is measured per frame with a little noise."""
    rng = rng or np.random.default_rng(0)
    pan = np.full(WIN * len(ratios), pan_per_frame) + rng.normal(0, pan_per_frame * 0.05, WIN * len(ratios))
    turn = np.empty_like(pan)
    for k, r in enumerate(ratios):
        sl = slice(k * WIN, (k + 1) * WIN)
        turn[sl] = r * pan[sl].sum() / WIN
    return turn, pan


def test_one_disturbed_window_does_not_decide_pan_against_truck():
    # a truck past a flat wall: no keystone, but the first window of the shot is mid-dissolve
    ratios = [-33.0] + [0.05, -0.1, 0.0, 0.08, -0.05, 0.02, 0.0, -0.02, 0.04]
    turn, pan = _curves(ratios)
    ratio, spread = keystone_ratio(turn, pan, 0.01)
    assert abs(ratio) < 0.1 and spread < 0.1, (ratio, spread)
    # (the plain sum over the shot said the camera turned hard the other way)
    assert float(turn.sum() / pan.sum()) < -2


def test_a_pan_reads_as_a_turn_and_disagreeing_windows_widen_the_spread():
    turn, pan = _curves([1.0, 0.95, 1.05, 1.0, 0.9, 1.1, 1.0, 0.98])
    ratio, spread = keystone_ratio(turn, pan, 0.01)
    assert abs(ratio - 1.0) < 0.06 and spread < 0.05
    noisy, _ = _curves(list(np.random.default_rng(1).normal(0.5, 1.0, 8)))
    _, wide = keystone_ratio(noisy, pan, 0.01)
    assert wide > 4 * spread


def test_unmeasured_frames_split_windows_and_too_little_pan_says_nothing():
    turn, pan = _curves([0.0, 0.0, 1.0, 1.0, 1.0])
    pan[WIN * 2:WIN * 2 + 2] = np.nan           # a gap: not measured, not counted
    ratio, _ = keystone_ratio(turn, pan, 0.01)
    assert abs(ratio - 1.0) < 0.1
    ratio, spread = keystone_ratio(turn, pan * 1e-3, 0.01)
    assert math.isnan(ratio) and math.isnan(spread)
