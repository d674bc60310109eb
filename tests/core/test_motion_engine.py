"""The engine as the pipeline drives it: threaded consumption, resume, several shots in one
file, bad input (black, flat, flashes, tiny frames) and the shot record it returns."""

from __future__ import annotations

import numpy as np
import pytest

from camtag.consumers import FrameConsumer, ThreadedConsumer
from camtag.media.decode import AnalysisFrame, Decoder
from camtag.media.probe import probe
from camtag.model import Shot, Tag, Trace
from camtag.motion import MotionCurves, create_engine
from camtag.motion import synthetic as sy

W, H = 320, 180


def run(path, *, threaded=False, start=0, shots=None):
    media = probe(str(path))
    engine = create_engine(media)
    consumer = ThreadedConsumer(engine) if threaded else engine
    for frame in Decoder(str(path), engine.spec):
        if frame.index >= start:
            consumer.consume(frame)
    curves = consumer.finish()
    shots = shots or [Shot(0, start, media.frames)]
    return [engine.tag_shot(s) for s in shots], curves, engine


def write(path, frames):
    w = sy.ClipWriter(str(path), W, H)
    for f in frames:
        w.write(f)
    w.close()
    return str(path)


@pytest.fixture(scope="module")
def photos():
    pytest.importorskip("skimage", reason="scikit-image ships the photos the clips warp")
    return sy.shipped_photos()[0]


def test_engine_is_a_frame_consumer_with_a_luma_spec():
    from camtag.model import MediaInfo
    from fractions import Fraction
    m = MediaInfo("x.mp4", "mp4", "h264", 1920, 1080, Fraction(25), 100, Fraction(4))
    engine = create_engine(m)
    assert isinstance(engine, FrameConsumer) and engine.NAME == "motion"
    assert engine.spec.luma_width == 640 and engine.spec.small_size is None
    assert engine.frames_done() == 0
    with pytest.raises(ValueError, match="unknown motion settings"):
        create_engine(m, {"nonsense": 1})
    assert create_engine(m, {"luma_width": 480, "thresholds": {"fast": 0.3}}).spec.luma_width == 480


@pytest.mark.parametrize("kind", ["black", "flat", "noise"])
def test_featureless_input_gives_an_honest_unknown(tmp_path, kind):
    rng = np.random.default_rng(0)
    frames = [np.zeros((H, W, 3), np.uint8) if kind == "black" else
              np.full((H, W, 3), 128, np.uint8) if kind == "flat" else
              rng.integers(0, 255, (H, W, 3), dtype=np.uint8) for _ in range(20)]
    (shot,), curves, _ = run(write(tmp_path / f"{kind}.mp4", frames))
    assert [t.id for t in shot.tags] == ["unknown"]
    assert shot.tags[0].confidence <= 0.4 and "measured" in shot.tags[0].reason
    assert "unknown" in shot.traces[0].answer and shot.traces[0].reasoning
    assert np.all(curves["confidence"] < 0.3)


def test_flashes_and_threading_and_resume(photos, tmp_path):
    clip = sy.planar_clip(str(tmp_path / "pan.mp4"), photos, [(-3.0, 0, 0, 0)] * 40, W, H)
    import av
    with av.open(clip.path) as src:
        frames = [f.to_ndarray(format="bgr24") for f in src.decode(video=0)]
    flashed = write(tmp_path / "flash.mp4",
                    [np.full_like(f, 255) if i in (12, 13, 30) else f for i, f in enumerate(frames)])
    (shot,), curves, engine = run(flashed, threaded=True)
    assert engine.frames_done() == 40 and curves.frames == 40
    best = max(shot.tags, key=lambda t: t.confidence)
    assert "pan_right" in {t.id for t in shot.tags if t.confidence > 0.6}, shot.traces[0].answer
    assert best.id != "unknown"
    assert curves["confidence"][12] < 0.3                       # the flash itself is not trusted
    # resume: the first frame fed is 15; curves and tags cover what was seen
    (shot,), curves, engine = run(clip.path, start=15)
    assert curves.start_frame == 15 and curves.frames == 25 and engine.frames_done() == 40
    assert "pan_right" in {t.id for t in shot.tags}


def test_two_shots_in_one_file_are_tagged_separately(photos, tmp_path):
    a = sy.planar_clip(str(tmp_path / "a.mp4"), photos, [(-3.0, 0, 0, 0)] * 30, W, H, seed=1)
    b = sy.planar_clip(str(tmp_path / "b.mp4"), photos[2:], [(0, -2.5, 0, 0)] * 30, W, H, seed=2)
    import av
    frames = []
    for clip in (a, b):
        with av.open(clip.path) as src:
            frames += [f.to_ndarray(format="bgr24") for f in src.decode(video=0)]
    path = write(tmp_path / "cut.mp4", frames)
    prior = Tag("pan_left", 0.9, "editor", "confirmed")
    shots = [Shot(0, 0, 30, tags=(prior,), traces=(Trace("o", "r", "a", source="vlm"),)), Shot(1, 30, 60)]
    (s0, s1), curves, engine = run(path, shots=shots)   # finish() ran before tagging
    assert {t.id for t in s0.tags if t.source == "geometry" and t.confidence > 0.5} >= {"pan_right"}
    assert prior in s0.tags                                     # other sources are kept
    assert [t.source for t in s0.traces] == ["vlm", "geometry"]
    assert "geometry" in s0.evidence and s0.evidence["geometry"]["frames"] == 30
    moves1 = {t.id for t in s1.tags if t.confidence > 0.5}
    assert "tilt_down" in moves1 and "pan_right" not in moves1
    assert all(seg.start_frame >= 30 for seg in s1.segments)
    # curves restart smoothing at the shot start the engine was told about
    assert curves.breaks == (30,)
    sm = curves.smoothed()["pan"]
    assert abs(sm[31]) < 0.002 and abs(sm[28]) > 0.005


def test_tiny_frames_do_not_crash(photos, tmp_path):
    clip = sy.planar_clip(str(tmp_path / "tiny.mp4"), photos, [(-1.0, 0, 0, 0)] * 20, 48, 28)
    (shot,), curves, _ = run(clip.path)
    assert shot.tags and curves.frames == 20


def test_memory_stays_flat(photos, tmp_path):
    """Only per-frame numbers grow; no image is kept but the tracker's previous frame."""
    media = probe(sy.planar_clip(str(tmp_path / "m.mp4"), photos, [(-1.0, 0, 0, 0)] * 4, W, H).path)
    engine = create_engine(media)
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (360, 640), dtype=np.uint8)
    for i in range(600):
        engine.consume(AnalysisFrame(i, i, None, luma=np.roll(img, i % 7, axis=1)))
    per_frame = sum(a.nbytes for a in engine._cols.data.values()) / engine._cols.cap
    assert per_frame < 64
    arrays = [v for v in vars(engine._tracker).values() if isinstance(v, np.ndarray)]
    assert sum(a.nbytes for a in arrays) < 2 * 640 * 360
    assert isinstance(engine.finish(), MotionCurves)


def test_rotation_metadata_turns_the_axes(photos, tmp_path):
    """A phone clip stored sideways (display matrix 90° CCW): stored 'content moves left'
    is shown as 'content moves down', i.e. the camera tilts up."""
    from dataclasses import replace

    clip = sy.planar_clip(str(tmp_path / "side.mp4"), photos, [(-3.0, 0, 0, 0)] * 30, W, H)
    media = replace(probe(clip.path), rotation=90)
    engine = create_engine(media)
    for frame in Decoder(clip.path, engine.spec):
        engine.consume(frame)
    shot = engine.tag_shot(Shot(0, 0, media.frames))
    best = max((t for t in shot.tags if t.id.startswith(("pan", "tilt"))), key=lambda t: t.confidence)
    assert best.id == "tilt_up", shot.traces[0].answer
    curves = engine.finish()
    assert curves.width == H and np.nanmedian(curves["tilt"][1:]) * H == pytest.approx(3.0, abs=0.05)
