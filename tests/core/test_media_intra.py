"""Sparse decoding of intra-only codecs (experimental, $CAMTAG_INTRA_STRIDE): on ProRes and MJPEG
clips with still shots, a panning shot, hard cuts (one at an odd frame), a dissolve and a flash,
the analysis finds the same cut frames, transitions and tags as a full decode (confidences within
0.05; a still shot may read a little surer: blended pictures carry less noise), while skipping
pictures where nothing happens."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from camtag.media import intra
from camtag.media.decode import Decoder, FrameSpec
from camtag.pipeline import analyze_job

W, H, N = 320, 180, 200
STEADINESS = {"static", "static_shake", "stable"}


def _photo(seed):
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 256, (12, 20, 3), dtype=np.uint8), (W + 80, H),
                     interpolation=cv2.INTER_CUBIC)
    for _ in range(12):
        x, y, r = (int(v) for v in rng.integers(0, [W, H, 30]))
        cv2.circle(img, (x, y), r + 5, tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
    return img


def _clip(path, codec, pix_fmt):
    """Still (0-40), still (41-79), a dissolve (80-99) into a pan (to 159) with a white flash
    (131-132), still from 160; a little noise on every picture. The sparse run must match the
    full decode's result, whatever that is; the cuts at 41 and 160 must be among them."""
    rng = np.random.default_rng(0)
    a, b, c, d = (_photo(s) for s in range(4))
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=25)
        s.width, s.height, s.pix_fmt = W, H, pix_fmt
        for i in range(N):
            if i < 41:
                img = a[:, :W]
            elif i < 80:
                img = b[:, :W]
            elif i < 100:
                t = (i - 79) / 21
                img = (b[:, :W] * (1 - t) + c[:, (i - 80) * 2:(i - 80) * 2 + W] * t).astype(np.uint8)
            elif i < 160:
                img = c[:, (i - 80) * 2 // 3 + 20:][:, :W] if i < 131 or i > 132 else np.full((H, W, 3), 250, np.uint8)
            else:
                img = d[:, :W]
            noisy = np.clip(img + rng.normal(0, 1.0, img.shape), 0, 255).astype(np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(noisy), format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return str(path)


def _analyse(path, detector):
    a = None
    job = analyze_job(path, detector=detector, settings={"posters": False})
    try:
        while True:
            next(job)
    except StopIteration as stop:
        a = stop.value
    return [(s.start_frame, s.end_frame, s.transition_in and s.transition_in.type,
             [(t.id, round(t.confidence, 2)) for t in s.tags]) for s in a.shots]


@pytest.mark.parametrize("codec,pix_fmt,suffix", [("prores_ks", "yuv422p10le", "mov"),
                                                  ("mjpeg", "yuvj420p", "avi")])
def test_sparse_decoding_finds_the_same_shots_and_tags(tmp_path, monkeypatch, codec, pix_fmt, suffix):
    path = _clip(tmp_path / f"clip.{suffix}", codec, pix_fmt)
    monkeypatch.delenv("CAMTAG_INTRA_STRIDE", raising=False)
    full = _analyse(path, "adaptive")
    monkeypatch.setenv("CAMTAG_INTRA_STRIDE", "2")
    dec = Decoder(path, FrameSpec(small_size=(128, 72), luma_width=640))
    frames = list(dec)
    assert [f.index for f in frames] == list(range(N))
    assert dec.sparse is not None and dec.sparse.blended >= 10        # still shots: skipped
    assert dec.sparse.decoded + dec.sparse.blended == N
    sparse = _analyse(path, "adaptive")
    assert [s[:3] for s in sparse] == [s[:3] for s in full]            # same cuts, same kinds
    # same tags, confidences within 0.05, but for steadiness: blended pictures carry less noise
    # and the tracker keeps more of its points through them, so a still shot may read surer
    # (never less sure) of being still
    assert [[t for t, _ in s[3]] for s in sparse] == [[t for t, _ in s[3]] for s in full]
    for x, y in zip(sparse, full):
        for (tag, a), (_, b) in zip(x[3], y[3]):
            if tag in STEADINESS:
                assert b - 0.05 <= a <= b + 0.1, (tag, x, y)
            else:
                assert abs(a - b) <= 0.05, (tag, x, y)
    starts = [s[0] for s in full]
    assert 41 in starts and 160 in starts and not any(128 <= f <= 136 for f in starts)


def test_only_intra_only_codecs_are_decoded_sparsely(tmp_path, monkeypatch):
    path = tmp_path / "h264.mp4"
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i in range(10):
            for p in s.encode(av.VideoFrame.from_ndarray(_photo(1)[:, :W].copy(), format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    monkeypatch.setenv("CAMTAG_INTRA_STRIDE", "2")
    dec = Decoder(str(path), FrameSpec())
    assert len(list(dec)) == 10 and dec.sparse is None
    monkeypatch.setenv("CAMTAG_INTRA_STRIDE", "junk")
    assert intra.stride_setting() == 1
