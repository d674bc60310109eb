"""Pan against truck from the keystone: the turn the frame's keystone implies over the measured
pan is taken window by window, so one window that saw something else (the first pictures after a
dissolve, a passer-by) does not decide it, and its spread says how far to trust it."""

from __future__ import annotations

import math

import numpy as np

from camtag.motion.measure import _turn_ratio

WIN = 6


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
    ratio, spread = _turn_ratio(turn, pan, 0.01)
    assert abs(ratio) < 0.1 and spread < 0.1, (ratio, spread)
    # (the plain sum over the shot said the camera turned hard the other way)
    assert float(turn.sum() / pan.sum()) < -2


def test_a_pan_reads_as_a_turn_and_disagreeing_windows_widen_the_spread():
    turn, pan = _curves([1.0, 0.95, 1.05, 1.0, 0.9, 1.1, 1.0, 0.98])
    ratio, spread = _turn_ratio(turn, pan, 0.01)
    assert abs(ratio - 1.0) < 0.06 and spread < 0.05
    noisy, _ = _curves(list(np.random.default_rng(1).normal(0.5, 1.0, 8)))
    _, wide = _turn_ratio(noisy, pan, 0.01)
    assert wide > 4 * spread


def test_unmeasured_frames_split_windows_and_too_little_pan_says_nothing():
    turn, pan = _curves([0.0, 0.0, 1.0, 1.0, 1.0])
    pan[WIN * 2:WIN * 2 + 2] = np.nan           # a gap: not measured, not counted
    ratio, _ = _turn_ratio(turn, pan, 0.01)
    assert abs(ratio - 1.0) < 0.1
    ratio, spread = _turn_ratio(turn, pan * 1e-3, 0.01)
    assert math.isnan(ratio) and math.isnan(spread)
