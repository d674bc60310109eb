"""Frames for the model: 1 fps, bounded count, pixel budget, exact frames found by seeking."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from camtag.media.errors import MediaError
from camtag.media.frames import FrameBudget, FrameSampler, data_uri, frames_fps, sample_shot_frames
from camtag.media.probe import probe
from camtag.model import Shot, Transition

from reasoner_support import media_path


def test_one_frame_a_second_within_the_pixel_budget():
    media = probe(media_path("camera", "camerabench_3pxrECZYEAA.2.3.gif"))     # 14 fps, 75 frames
    frames = sample_shot_frames(media, Shot(0, 0, media.frames))
    assert [f.index for f in frames] == [0, 14, 28, 42, 56, 70]
    assert [f.time for f in frames] == [Fraction(i) for i in range(6)]
    assert frames_fps(frames) == pytest.approx(1.0)
    for f in frames:
        h, w, c = f.image.shape
        assert c == 3 and f.image.dtype == np.uint8
        assert w % 28 == 0 and h % 28 == 0 and max(w, h) <= 448 and w * h <= 448 * 252
    assert frames[0].image.shape == (252, 448, 3)
    assert data_uri(frames[0].image).startswith("data:image/jpeg;base64,/9j/")


def test_long_shots_are_thinned_uniformly_and_short_ones_get_two_frames():
    media = probe(media_path("shots", "pyscenedetect_testvideo.mp4"))       # 29.97 fps, 720 frames
    with FrameSampler(media, FrameBudget(max_frames=4)) as sampler:
        long = sampler.indices(Shot(0, 0, 720))
        assert len(long) == 4 and long[0] == 0 and long[-1] >= 600
        assert all(b - a >= 150 for a, b in zip(long, long[1:]))
        assert sampler.indices(Shot(1, 100, 110)) == [100, 109]
        # a dissolve at the start of the shot is skipped
        assert sampler.indices(Shot(2, 211, 330, Transition("dissolve", 211, 240)))[0] == 240


def test_seeking_returns_exactly_the_frames_a_straight_decode_gives():
    import av

    path = media_path("shots", "pyscenedetect_testvideo.mp4")     # long GOPs with B-frames
    media = probe(path)
    with FrameSampler(media) as sampler:
        got = sampler.frames(Shot(3, 240, 330)) + sampler.frames(Shot(4, 30, 100))
    w, h = got[0].image.shape[1], got[0].image.shape[0]
    wanted = {f.index for f in got}
    straight = {}
    with av.open(path) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                straight[i] = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_ndarray()
            if i > max(wanted):
                break
    assert [f.index for f in got] == [240, 270, 300, 30, 60, 90]
    for f in got:
        assert np.array_equal(f.image, straight[f.index]), f.index


def test_rotation_and_vfr_are_respected():
    rotated = probe(media_path("shots", "pyscenedetect_issue-134-rotate.mp4"))
    frames = sample_shot_frames(rotated, Shot(0, 0, 48))
    h, w, _ = frames[0].image.shape
    assert h > w                                      # displayed portrait
    vfr = probe(media_path("shots", "pyscenedetect_goldeneye-vfr-drop3.mp4"))
    frames = sample_shot_frames(vfr, Shot(0, 0, vfr.frames), FrameBudget(max_frames=20))
    steps = [float(b.time - a.time) for a, b in zip(frames, frames[1:])]
    assert all(0.9 <= s <= 1.6 for s in steps), steps   # 1 s apart by timestamps, not by frame count


def test_unreadable_media_is_a_media_error():
    media = probe(media_path("camera", "camerabench_TktL3QR8Yg8.0.3.gif"))
    from dataclasses import replace

    with pytest.raises(MediaError, match="file not found"):
        FrameSampler(replace(media, path="/nonexistent/clip.mov"))


def test_frames_cached_during_the_decode_pass_match_seeking():
    import base64

    from camtag.media.decode import Decoder
    from camtag.media.frames import FrameCache

    media = probe(media_path("shots", "pyscenedetect_testvideo.mp4"))
    cache = FrameCache(media)
    for frame in Decoder(media.path, cache.spec, sar=media.sar, rotation=media.rotation):
        cache.consume(frame)
    assert cache.finish() is cache and sorted(cache.frames)[:3] == [0, 30, 60]
    with FrameSampler(media, cache=cache) as cached, FrameSampler(media) as seeking:
        shot = Shot(0, 240, 420)
        a, b = cached.frames(shot), seeking.frames(shot)
        assert cached._container is None                       # nothing was decoded again
        assert [f.index for f in a] == [f.index for f in b] == [240, 270, 300, 330, 360, 390]
        for x, y in zip(a, b):
            assert x.image.shape == y.image.shape
            assert np.abs(x.image.astype(int) - y.image.astype(int)).mean() < 4     # JPEG round trip
        assert data_uri(a[0]) == "data:image/jpeg;base64," + base64.b64encode(a[0].jpeg).decode()
        short = cached.frames(Shot(1, 100, 110))               # no 1-fps grid point inside: seek
        assert [f.index for f in short] == [100, 109] and cached._container is not None
