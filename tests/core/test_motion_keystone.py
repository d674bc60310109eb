"""The keystone cue (a turning camera bends the picture, a travelling one does not) and curves
written before the ``turn`` column existed."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from camtag.motion.curves import MotionCurves
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
