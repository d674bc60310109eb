"""The fused detector's gate on a small part of its synthetic set (camtag.shots.gate_set): it
stays closed on moving shots with no transition (a slow dolly's parallax, a slow tilt over fine
texture, handheld shake, flicker) and opens on dissolves and fades between moving shots. The
whole set and the numbers: benchmarks/gate.py."""

from __future__ import annotations

import pytest

pytest.importorskip("skimage", reason="the synthetic set is made from scikit-image's photos")

from camtag.shots import gate as g  # noqa: E402
from camtag.shots import gate_set  # noqa: E402
from camtag.shots.adaptive_detector import AdaptiveDetector  # noqa: E402
from camtag.shots.base import DetectorSettings  # noqa: E402

QUIET = ["dolly_parallax_slow", "tilt_texture_crawl", "handheld_texture_slow", "flicker_texture_slow"]
MIXED = ["dissolve_slow_tex", "dissolve_short", "fade_slow_texture"]


@pytest.fixture(scope="module")
def clips():
    return {c.name: c for c in gate_set.build(QUIET + MIXED, frames=100)}


def _opened(clip):
    det = AdaptiveDetector(DetectorSettings(min_shot_frames=6))
    gate = g.MixGate(det)
    for frame in gate_set.analysis_frames(clip):
        det.process(frame)
        gate.add(frame.index, frame.small)
    det.finish()
    windows = range(-25, len(clip.frames) - 25, 50)      # TransNetV2's windows
    return gate, [first for first in windows if gate.opens(first, first + 100)]


@pytest.mark.parametrize("name", QUIET)
def test_gate_stays_closed_on_moving_shots(clips, name):
    gate, opened = _opened(clips[name])
    assert opened == [], f"{name}: the gate opened windows {opened}"


def test_the_slow_dolly_looks_like_a_blend(clips):
    # the case is a real test of the movement check: its middles pass the blend pre-test
    gate, _ = _opened(clips["dolly_parallax_slow"])
    assert gate.measured > 0


@pytest.mark.parametrize("name", MIXED)
def test_gate_opens_on_transitions_between_moving_shots(clips, name):
    clip = clips[name]
    (first, last), = clip.gradual
    _, opened = _opened(clip)
    # a window predicting one of the mixed frames opens
    assert any(first < w + 75 and last >= w + 25 for w in opened), (name, clip.gradual, opened)
