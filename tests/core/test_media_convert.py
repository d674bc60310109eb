"""One conversion feeds every per-frame consumer (issue 21): the motion engine's luma is, bit for
bit, what a direct conversion to grey gives; the small BGR comes from the same intermediate, stays
close to a direct conversion and does not depend on whether the luma was asked for."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from camtag.media.convert import SHARED_WIDTH, Converter
from camtag.media.decode import FrameSpec


def _clip(path, codec, pix_fmt, width, height, n=3):
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=25)
        s.width, s.height, s.pix_fmt = width, height, pix_fmt
        for i in range(n):
            img = np.kron(np.roll(base, i, axis=1), np.ones((8, 8, 1), np.uint8))[:height, :width]
            for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    with av.open(str(path)) as c:
        return list(c.decode(video=0))


@pytest.mark.parametrize("codec,pix_fmt,width,height", [
    ("prores_ks", "yuv422p10le", 1280, 720),      # 10-bit 4:2:2, as camera originals
    ("libx264", "yuv420p", 1000, 562),            # 8-bit 4:2:0, luma height not a multiple of 4
])
def test_one_conversion_gives_the_same_luma_and_a_close_small(tmp_path, codec, pix_fmt, width, height):
    suffix = "mov" if codec == "prores_ks" else "mp4"
    frames = _clip(tmp_path / f"c.{suffix}", codec, pix_fmt, width, height)
    both = Converter(FrameSpec(small_size=(128, 72), luma_width=SHARED_WIDTH), Fraction(1), 0, threads=1)
    small_only = Converter(FrameSpec(small_size=(128, 72)), Fraction(1), 0, threads=1)
    luma_only = Converter(FrameSpec(small_size=None, luma_width=SHARED_WIDTH), Fraction(1), 0, threads=1)
    for frame in frames:
        small, luma = both.analysis(frame)
        out_h = max(2, round(height * SHARED_WIDTH / width))
        direct_luma = frame.reformat(width=SHARED_WIDTH, height=out_h, format="gray",
                                     interpolation="AREA").to_ndarray()
        assert luma.shape == (out_h, SHARED_WIDTH) and luma.flags.c_contiguous
        assert np.array_equal(luma, direct_luma)               # the motion engine sees no change
        assert np.array_equal(luma_only.analysis(frame)[1], direct_luma)
        direct_small = frame.reformat(width=128, height=72, format="bgr24",
                                      interpolation="AREA").to_ndarray()
        assert small.shape == (72, 128, 3)
        assert np.abs(small.astype(int) - direct_small).mean() < 3.0
        # the shot detectors see the same pictures with and without the motion engine
        s_only, no_luma = small_only.analysis(frame)
        assert no_luma is None and np.array_equal(s_only, small)


def test_small_pictures_are_converted_directly(tmp_path):
    frames = _clip(tmp_path / "s.mp4", "libx264", "yuv420p", 320, 180)
    conv = Converter(FrameSpec(small_size=(128, 72), luma_width=SHARED_WIDTH), Fraction(1), 0, threads=1)
    small, luma = conv.analysis(frames[0])
    direct = frames[0].reformat(width=128, height=72, format="bgr24", interpolation="AREA").to_ndarray()
    assert np.array_equal(small, direct)
    plane = frames[0].planes[0]             # the decoded Y plane as it is (no scaling)
    y = np.frombuffer(plane, np.uint8).reshape(180, plane.line_size)[:, :320]
    assert luma.shape == (180, 320) and np.array_equal(luma, y)
