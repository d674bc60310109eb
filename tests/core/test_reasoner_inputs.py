"""Frame presets (qwen_vl_utils smart_resize), answer-letter probabilities and calibration."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from camtag.media.frames import FrameSampler, ShotFrame
from camtag.reasoner import calibration, decoding
from camtag.reasoner.inputs import PRESETS, budget_from_settings, image_bytes, smart_resize, thin


@pytest.mark.parametrize("size, expected", [
    ((1280, 720), (1288, 728)),      # 46 x 26 = 1,196 tokens, as the evaluation sees a 720p frame
    ((1920, 1080), (1344, 756)),     # 48 x 27 = 1,296 tokens
    ((640, 360), (644, 364)),        # under the budget: only rounded to 28
    ((100, 20), (112, 28)),          # tiny: rounded up to the 3,136-pixel minimum
])
def test_eval_preset_is_the_evaluations_smart_resize(size, expected):
    b = budget_from_settings({"preset": "eval"})
    assert b.max_pixels == 1024 * 32 * 32 and b.max_frames == 64 and b.lossless
    w, h = b.size_for(*size)
    assert (w, h) == expected and w % 28 == 0 and h % 28 == 0
    assert w * h <= b.max_pixels


def test_fast_preset_is_the_default_and_states_its_token_cost():
    b = budget_from_settings({})
    assert b.preset == "fast" and b.max_frames == 16 and not b.lossless
    for size in ((1280, 720), (1920, 1080), (3840, 2160), (720, 1280)):
        w, h = b.size_for(*size)
        assert (w // 28) * (h // 28) <= b.max_tokens_per_frame == 256
    assert b.size_for(1920, 1080) == b.size_for(1280, 720) == (588, 336)         # 21 x 12 = 252 tokens
    assert budget_from_settings({"max_frames": 5, "max_pixels": 50176}).max_tokens_per_frame == 64
    with pytest.raises(ValueError, match="unknown frame preset"):
        budget_from_settings({"preset": "huge"})
    with pytest.raises(ValueError, match="aspect ratio"):
        smart_resize(1, 400)
    assert set(PRESETS) == {"eval", "fast"}


def test_sampler_thins_a_long_shot_uniformly_at_the_preset_cap():
    from fractions import Fraction

    from camtag.model import Shot

    sampler = FrameSampler.__new__(FrameSampler)      # no file: only the index arithmetic
    sampler.budget = budget_from_settings({})
    sampler._pts, sampler._tb = list(range(0, 3000 * 40, 40)), Fraction(1, 1000)     # 25 fps, 2 minutes
    picked = sampler.indices(Shot(0, 0, 3000))        # 120 one-second candidates
    assert len(picked) == 16 and picked[0] == 0 and picked[-1] >= 2950
    gaps = np.diff(picked)
    assert gaps.max() - gaps.min() <= 25               # uniform within one 1-fps step
    assert thin(list(range(10)), 4) == [0, 3, 6, 9] and thin([1], 4) == [1]


def test_lossless_frames_are_png():
    frame = ShotFrame(0, 0, np.full((28, 56, 3), 200, np.uint8))
    png, mime = image_bytes(frame, True)
    assert mime == "image/png" and png[:4] == b"\x89PNG"
    assert image_bytes(frame, False)[1] == "image/jpeg"


def test_eval_frames_never_pass_through_the_jpeg_cache():
    """The eval preset's frames reach the model exactly as decoded: the decode-pass frame cache
    keeps nothing for a lossless budget (even when another consumer asks for thumbnails), the
    sampler seeks instead, and the PNG sent decodes back to the same pixels."""
    import cv2

    from camtag.media.decode import Decoder, FrameSpec
    from camtag.media.frames import FrameCache
    from camtag.media.probe import probe
    from camtag.model import Shot

    from reasoner_support import media_path

    media = probe(media_path("camera", "camerabench_3pxrECZYEAA.2.3.gif"))
    shot = Shot(0, 0, 45)
    frames = {}
    for preset in ("eval", "fast"):
        budget = budget_from_settings({"preset": preset, "max_frames": 3})
        cache = FrameCache(media, budget)
        spec = cache.spec.merged(FrameSpec(small_size=None, thumb_width=240, thumb_every=1))   # posters
        for frame in Decoder(media.path, spec, sar=media.sar, rotation=media.rotation):
            cache.consume(frame)
        assert bool(cache.frames) == (preset == "fast")
        with FrameSampler(media, budget, cache=cache) as cached, FrameSampler(media, budget) as seeking:
            a, b = cached.frames(shot), seeking.frames(shot)
        assert [f.index for f in a] == [f.index for f in b] and len(a) == 3
        frames[preset] = (a, b)
    a, b = frames["eval"]
    assert all(np.array_equal(x.image, y.image) and not x.jpeg for x, y in zip(a, b))   # exact pixels
    png, mime = image_bytes(a[0], budget_from_settings({"preset": "eval"}).lossless)
    back = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    assert mime == "image/png" and np.array_equal(back, a[0].image)
    a, b = frames["fast"]                  # fast keeps the cache's JPEG: close, not exact
    assert all(x.jpeg for x in a) and not all(np.array_equal(x.image, y.image) for x, y in zip(a, b))


def test_letter_probability_handles_fused_bracket_tokens():
    assert decoding.answer_context("<observation>x</observation><think>y</think><answer") == "open"
    assert decoding.answer_context("...</think>\n<answer> ") == "closed"
    assert decoding.answer_context("...</think>") is None
    lp = {">B": math.log(0.6), ">A": math.log(0.2), "> B": math.log(0.1)}
    p = decoding.letter_probs(lp, "AB", "open")
    assert p["B"] == pytest.approx(0.7 / 0.9) and p["A"] == pytest.approx(0.2 / 0.9)
    # a server's top-k without the other letter: bounded by the smallest listed value
    p = decoding.letter_probs({"B": -0.1, "The": -3.0}, "AB", "closed", floor=-3.0)
    assert 0.9 < p["B"] < 1 and p["A"] > 0
    assert decoding.letter_probs({"The": -0.1}, "AB", "closed") is None
    assert decoding.finished("<answer> B </ answer >") and not decoding.finished("<answer>B")


def test_letter_watch_reads_the_step_that_writes_the_letter():
    vocab = {"A": 1, "B": 2, " A": 3, " B": 4, ">B": 5, ">A": 6, "x": 0}
    ids = decoding.LetterIds(lambda s: [vocab[s]] if s in vocab else [9, 9])
    logits = np.zeros(10)
    logits[[5, 6]] = [2.0, 1.0]
    watch = decoding.LetterWatch(ids, "AB")
    watch.step("<think>t</think>", logits, 0)                      # not at the answer yet
    assert watch.probs is None
    watch.step("<think>t</think><answer", logits, 5)               # ">B" is one token
    assert watch.probs["B"] == pytest.approx(1 / (1 + math.exp(-1.0)))


def test_calibration_file_and_fit(tmp_path):
    cal = calibration.identity()
    assert cal.logit("pan_left", 0.8) == pytest.approx(math.log(4))
    path = tmp_path / "cal.json"
    calibration.save(calibration.Calibration({"pan_left": calibration.Scale(2.0, 0.5)}), path)
    doc = json.loads(path.read_text())
    assert doc["schema"] == "camtag.calibration/1"
    assert doc["primitives"]["pan_left"] == {"temperature": 2.0, "offset": 0.5}
    assert calibration.load(path).logit("pan_left", 0.8) == pytest.approx(math.log(4) / 2 + 0.5)
    for bad in ({"schema": "x"}, {"schema": calibration.SCHEMA, "primitives": {"warp": {}}},
                {"schema": calibration.SCHEMA, "primitives": {"pan_left": {"temperature": 0, "offset": 0}}}):
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError):
            calibration.load(path)
    # an overconfident model: says 0.95 / 0.05, right 70 % of the time -> temperature > 1
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(400):
        truth = bool(rng.random() < 0.5)
        right = rng.random() < 0.7
        p = 0.95 if truth == right else 0.05
        pairs.append(("zoom_in", p, truth))
    fitted = calibration.fit(pairs).scale("zoom_in")
    assert fitted.temperature > 2 and abs(fitted.offset) < 0.3
    assert calibration.sigmoid(fitted.logit(0.95)) == pytest.approx(0.7, abs=0.05)
    assert calibration.fit([]).scale("pan_left") == calibration.Scale()


def test_question_groups_fit_the_free_context_and_the_parallel_cap():
    from camtag.reasoner.llamacpp_batch import group_sizes

    assert group_sizes([100, 100, 100], 450, 50, 8) == [3]            # 3 x (100 + 50) cells fit
    assert group_sizes([100, 100, 100], 300, 50, 8) == [2, 1]
    assert group_sizes([100, 100, 100], 10_000, 50, 2) == [2, 1]      # n_seq_max
    assert group_sizes([100, 100], 10, 50, 8) == [1, 1]               # always one (the prefill checks that fit)
    assert group_sizes([], 100, 50, 8) == []
