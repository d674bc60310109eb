"""camtag.timebase against the independent `timecode` package, at every rate exports support."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camtag import timebase
from export_support import RATE_CASES, frames_to_tc, tc_to_frames

DAY = 24 * 3600


@settings(max_examples=400, deadline=None)
@given(case=st.sampled_from(RATE_CASES), seconds=st.integers(0, DAY - 1), ff=st.integers(0, 59))
def test_frame_counts_and_labels_agree_with_timecode_package(case, seconds, ff):
    rate, df, rate_str = case
    fps = timebase.nominal_fps(rate)
    frame = seconds * fps + ff % fps
    if df:  # keep inside the (shorter) drop-frame day
        frame %= (fps * 600 - 9 * 2 * (fps // 30)) * 144
    label = timebase.frames_to_timecode(frame, rate, df)
    assert label == frames_to_tc(frame, rate_str, df)
    assert timebase.timecode_to_frames(label, rate, df) == frame
    assert tc_to_frames(label, rate_str, df) == frame


@pytest.mark.parametrize("label,rate,df,frames", [
    ("01:00:00;00", Fraction(30000, 1001), True, 107892),
    ("01:00:00:00", Fraction(30000, 1001), False, 108000),
    ("01:00:00;00", Fraction(60000, 1001), True, 215784),
    ("01:00:00:00", Fraction(24000, 1001), False, 86400),
    ("00:10:00;00", Fraction(30000, 1001), True, 17982),
    ("00:01:00;02", Fraction(30000, 1001), True, 1800),
    ("00:01:00;04", Fraction(60000, 1001), True, 3600),
])
def test_anchor_values(label, rate, df, frames):
    assert timebase.timecode_to_frames(label, rate, df) == frames
    assert timebase.frames_to_timecode(frames, rate, df) == label


def test_labels_that_do_not_exist_are_refused():
    with pytest.raises(timebase.TimecodeError):
        timebase.timecode_to_frames("14:31:00;00", Fraction(30000, 1001), True)
    with pytest.raises(timebase.TimecodeError):
        timebase.timecode_to_frames("00:00:00:25", Fraction(25))
    with pytest.raises(timebase.TimecodeError):
        timebase.timecode_to_frames("00:00:01;00", Fraction(25), True)
