"""MotionCurves: JSON round trip (NaN-safe), slices per shot, smoothing that restarts at cuts,
arrays for timelines; and the tag vocabulary loaded from resources/taxonomy.toml."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from camtag.motion.curves import MotionCurves
from camtag.taxonomy import TaxonomyError, default_taxonomy, parse_taxonomy


def make(n=50, start=10):
    c = MotionCurves.empty(start, Fraction(25), n)
    rng = np.random.default_rng(0)
    c.arrays["pan"][:] = 0.01 + rng.normal(0, 1e-4, n)
    c.arrays["pan"][20:] = -0.02
    c.arrays["pan"][5] = np.nan
    c.arrays["tilt"][:] = 0.0
    c.arrays["zoom"][:] = 0.001
    c.arrays["roll"][:] = -0.3
    c.arrays["confidence"][:] = 0.9
    c.arrays["family"][:] = 1
    c.arrays["method"][:] = 1
    return c


def test_round_trip_through_json_keeps_values_and_nans():
    c = make().with_breaks([30])
    text = json.dumps(c.to_dict(), allow_nan=False)          # strict JSON: no NaN literals
    back = MotionCurves.from_dict(json.loads(text))
    assert back.start_frame == 10 and back.frames == 50 and back.rate == Fraction(25)
    assert back.breaks == (30,)
    np.testing.assert_array_equal(back["pan"], c["pan"])        # float32 exact, NaN kept
    assert np.isnan(back["pan"][5])
    np.testing.assert_allclose(back["confidence"], c["confidence"], atol=1e-3)   # float16
    np.testing.assert_array_equal(back["family"], c["family"])
    assert len(text) < 50 * 60                                  # compact: ~tens of bytes/frame


def test_from_dict_rejects_damaged_input():
    d = make().to_dict()
    import base64
    import zlib
    d["raw"]["pan"] = base64.b64encode(zlib.compress(b"\0" * 4 * 49)).decode()   # one value short
    with pytest.raises(ValueError, match="pan"):
        MotionCurves.from_dict(d)
    with pytest.raises(ValueError, match="format"):
        MotionCurves.from_dict({"format": "something else"})


def test_smoothing_restarts_at_a_cut_and_slices_blank_the_cut_pair():
    c = make()
    merged = c.smoothed()["pan"]
    split = c.with_breaks([30]).smoothed()["pan"]
    # without the break the 0.01 → -0.02 step is blurred; with a break at the shot start
    # (frame 30 = offset 20) each side keeps its own level
    assert split[19] == pytest.approx(0.01, abs=1e-3)
    assert merged[19] < 0.005
    shot = c.slice(30, 60)
    assert shot.start_frame == 30 and shot.frames == 30
    assert np.isnan(shot["pan"][0]) and shot["confidence"][0] == 0   # motion into the cut
    assert shot["pan"][1] == pytest.approx(-0.02)
    arrays = c.to_arrays(per_second=True)
    assert arrays["frame"][0] == 10 and len(arrays["time"]) == 50
    assert arrays["pan"][25] == pytest.approx(-0.5)
    assert {"pan_smooth", "tilt_smooth", "zoom_smooth", "roll_smooth", "shake"} <= set(arrays)


def test_taxonomy_has_the_vocabulary_with_labels_and_colours():
    tax = default_taxonomy()
    for tag in ("static", "static_shake", "handheld", "stable", "pan_left", "pan_right", "tilt_up",
                "tilt_down", "roll_cw", "roll_ccw", "zoom_in", "zoom_out", "dolly_in", "dolly_out",
                "truck_left", "truck_right", "pedestal_up", "pedestal_down", "speed_slow",
                "speed_regular", "speed_fast", "track", "arc_cw", "arc_ccw", "unknown"):
        assert tag in tax
    assert tax.get("truck_left").label == "cam_motion.camera_centric_movement.leftward.has_leftward"
    assert tax.from_label("camera_centric_movement.forward.has_forward_wrt_camera").id == "dolly_in"
    assert tax.get("pan_left").opposite == "pan_right"
    assert tax.color("zoom_in").startswith("#") and tax.display_name("roll_cw") == "Roll CW"
    assert {t.family for t in tax.tags} >= {"rotation", "translation", "intrinsic", "steadiness"}


def test_every_tag_the_engine_emits_is_in_the_taxonomy():
    from camtag.motion import classify

    tax = default_taxonomy()
    assert set(classify.MOVEMENT_TAGS) <= set(tax.ids())


@pytest.mark.parametrize("text,match", [
    ("[[tag]]\nid='x'\nname='X'\ncolor='red'\nfamily='rotation'\n", "color"),
    ("[[tag]]\nid='x'\nname='X'\ncolor='#ff0000'\nfamily='nope'\n", "family"),
    ("[[tag]]\nid='x'\nname='X'\ncolor='#ff0000'\nfamily='rotation'\nopposite='y'\n", "opposite"),
    ("[[tag]]\nid='x'\nname='X'\ncolor='#ff0000'\nfamily='rotation'\n" * 2, "duplicate"),
    ("not toml [", "TOML"),
])
def test_taxonomy_errors_name_the_problem(text, match):
    with pytest.raises(TaxonomyError, match=match):
        parse_taxonomy(text, "t.toml")


def _reference_smooth(x, rate):
    """The smoothing spelled out with numpy's own NaN median (5-frame windows, edges padded)
    and a normalised Gaussian convolution: what ``smooth`` must give bit for bit."""
    import math
    import warnings

    pad = np.pad(np.asarray(x, np.float64), 2, mode="edge")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(np.lib.stride_tricks.sliding_window_view(pad, 5), axis=1)
    sigma = max(1.0, 0.1 * rate)
    r = max(1, int(math.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    ok = np.isfinite(med)
    num = np.convolve(np.where(ok, med, 0.0), k)[r:r + len(med)]
    den = np.convolve(ok.astype(np.float64), k)[r:r + len(med)]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den < 0.2] = np.nan
    return out


def test_smoothing_median_equals_numpy_nanmedian_with_gaps_and_outliers():
    from camtag.motion.curves import smooth

    rng = np.random.default_rng(3)
    for trial in range(200):
        n = int(rng.integers(5, 90))
        x = np.round(rng.normal(0, 1, n), 1 if trial % 2 else 6).astype(np.float32)
        x[rng.random(n) < rng.random()] = np.nan          # gaps: 0..100 % of the frames
        x[rng.random(n) < 0.05] = 40.0                    # outliers the median removes
        if trial % 40 == 0:
            x[:] = np.nan
        got, want = smooth(x, 25.0), _reference_smooth(x, 25.0)
        assert np.array_equal(got, want, equal_nan=True), (trial, x)
