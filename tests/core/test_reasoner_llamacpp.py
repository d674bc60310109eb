"""The real llamacpp backend with tiny GGUF models written here, on real frames from shared/media."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gguf", reason="the tiny GGUF models are written with the gguf package")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is an optional backend (CI installs the cached wheel)")

from camtag.jobs import CancelToken, Cancelled, run_job
from camtag.media.frames import ShotFrame, data_uri, sample_shot_frames
from camtag.media.probe import probe
from camtag.model import Shot
from camtag.reasoner import ModelFileError, ReasonerError, create, reason_job
from camtag.reasoner.llamacpp_backend import TEMPLATE_TOKENS, context_size, longest_prompt_tokens
from camtag.reasoner.parse import parse
from camtag.reasoner.base import FramesTooMany
from camtag.reasoner.prompts import binary
from camtag.reasoner.tiny_models import write_tiny_gguf

from reasoner_support import SCRIPTED_REPLY, geo_shot, media_path

FAST = {"n_threads": 1, "max_new_tokens": 64}


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    return write_tiny_gguf(tmp_path_factory.mktemp("scripted"), reply=SCRIPTED_REPLY)


@pytest.fixture(scope="module")
def clip_frames():
    media = probe(media_path("camera", "camerabench_3pxrECZYEAA.2.3.gif"))
    return media, sample_shot_frames(media, Shot(0, 0, media.frames))


def backend(pair, **over):
    return create("llamacpp", {"model_path": str(pair[0]), "mmproj_path": str(pair[1]), **FAST, **over})


def test_scripted_model_answers_in_the_trained_format_on_real_frames(scripted, clip_frames):
    b = backend(scripted, parallel_questions=15)
    assert b.availability() == "ok"
    try:
        reply = b.ask(clip_frames[1], binary("Pan_Left"))
        # exactly the scripted reply, stopped at </answer>: the prompt ended in "assistant\n"
        assert reply.text == SCRIPTED_REPLY
        p = parse(reply.text, binary("Pan_Left"))
        assert (p.letter, p.meaning, p.format_ok) == ("B", "yes", True)
        assert reply.prompt_tokens and reply.completion_tokens == 13 and not reply.problems
        assert reply.letter_probs["B"] > 0.99
        budget, longest = b.budget, longest_prompt_tokens(str(scripted[0]))
        # one question's context + (suffix + answer) for each further parallel branch
        assert b.parallel == 15 and not b.gpu
        assert b.n_ctx == context_size(budget.max_frames, budget.max_tokens_per_frame, 64, longest) \
            + 14 * (longest + TEMPLATE_TOKENS + 64)
    finally:
        b.close()


def test_per_frame_token_cap_keeps_big_frames_inside_the_context(scripted):
    # budget 36 tokens a frame, context sized for 8 of those; frames sent at 448x252
    # (144 tokens each) only fit because mtmd caps each image at the preset's tokens
    b = backend(scripted, max_pixels=36 * 784, max_frames=8)   # CPU: one question at a time by default
    rng = np.random.default_rng(1)
    frames = [ShotFrame(i, i, rng.integers(0, 255, (252, 448, 3), dtype=np.uint8)) for i in range(8)]
    try:
        assert b.ask(frames, binary("Static")).text == SCRIPTED_REPLY
        assert b.parallel == 1 and not b.gpu
        assert b.n_ctx < 8 * 144 + longest_prompt_tokens(str(scripted[0]))      # uncapped would not fit
        assert b.work["prefix_tokens"] <= 8 * 36 + 64
    finally:
        b.close()


def test_questions_branch_from_one_prefill_and_decode_together(tmp_path):
    """A random (unscripted) model: its output depends on every cached frame token and position,
    so identical text batched, one after another and with a prefill per question means each
    branch saw exactly the prefix and its own question."""
    import llama_cpp

    pair = write_tiny_gguf(tmp_path, seed=5)     # a seed whose answers differ between the questions
    rng = np.random.default_rng(2)
    frames = [ShotFrame(i, i, rng.integers(0, 255, (112, 168, 3), dtype=np.uint8)) for i in range(4)]
    questions = [binary(q) for q in ("Pan_Left", "Move_Left", "Static", "Zoom_In", "Roll_Clockwise")]
    runs = {"batched": {"parallel_questions": 15}, "sequential": {"parallel_questions": 1}, "no reuse": {"prefix_reuse": False},
            "in pairs": {"parallel_questions": 2},           # groups of 2, 2, 1 from the same prefix
            "tail re-read": {"parallel_questions": 15}}      # each step re-detokenizes the last tokens
    texts, work, evaluated, lengths = {}, {}, {}, {}
    for name, over in runs.items():
        b = backend(pair, max_new_tokens=12, **over)
        if name == "tail re-read":
            b._piece = None                  # run_group's fallback: no per-token pieces
        try:
            b.load()
            before = llama_cpp.llama_perf_context(b._llm._ctx.ctx)
            replies = list(b.ask_all(frames, questions))
            after = llama_cpp.llama_perf_context(b._llm._ctx.ctx)
            texts[name] = [r.text for r in replies]
            lengths[name] = [r.completion_tokens for r in replies]
            evaluated[name] = (after.n_p_eval + after.n_eval) - (before.n_p_eval + before.n_eval)
            work[name], n_batch = dict(b.work), b._llm.n_batch
            if name == "batched":   # the stock chat handler (greedy, no penalty) sees the same prompt
                stock = b._llm.create_chat_completion(
                    messages=[{"role": "user", "content": [
                        *({"type": "image_url", "image_url": {"url": data_uri(f)}} for f in frames),
                        {"type": "text", "text": questions[0].text}]}],
                    max_tokens=12, temperature=0.0, top_k=1, repeat_penalty=1.0)
                assert stock["choices"][0]["message"]["content"].startswith(texts[name][0][:20])
        finally:
            b.close()
    assert texts["batched"] == texts["sequential"] == texts["no reuse"] == texts["in pairs"] and all(texts["batched"])
    assert texts["tail re-read"] == texts["batched"] and lengths["tail re-read"] == lengths["batched"]
    assert work["in pairs"]["prefills"] == 1
    assert len(set(texts["batched"])) > 1                       # the questions did reach the model apart
    w = work["batched"]
    prefix = w["prefix_tokens"]
    assert w["prefills"] == 1 and work["sequential"]["prefills"] == 1 and work["no reuse"]["prefills"] == 5
    assert work["no reuse"]["prefix_tokens"] == 5 * prefix and w["images"] == 4
    assert prefix >= 4 * 24                                      # 168x112 -> 6x4 tokens a frame
    # calls that wait on each other: the suffixes in n_batch pieces, then one step per answer token
    longest = max(lengths["batched"])
    assert w["decode_calls"] <= -(-w["suffix_tokens"] // n_batch) + longest
    assert work["sequential"]["decode_calls"] >= sum(lengths["sequential"])      # one question at a time
    # llama.cpp's own counters: the prefix once per shot, nothing evaluated twice
    for name in ("batched", "sequential"):
        assert evaluated[name] <= 1.1 * (prefix + work[name]["suffix_tokens"] + work[name]["decoded_tokens"])
    assert evaluated["no reuse"] - evaluated["batched"] >= 4 * prefix * 0.9


def test_letter_probabilities_follow_the_models_logits(tmp_path, clip_frames):
    p_yes = {}
    questions = [binary(q) for q in ("Zoom_In", "Move_In", "Static")]
    for margin in (0.5, 2.0):
        pair = write_tiny_gguf(tmp_path / str(margin), reply=SCRIPTED_REPLY, letter_margin=margin)
        probs = []
        for parallel in (3, 1):         # decoded together, then one after another
            b = backend(pair, parallel_questions=parallel)
            try:
                probs.append([r.letter_probs["B"] for r in b.ask_all(clip_frames[1][:2], questions)])
            finally:
                b.close()
        assert probs[0] == pytest.approx(probs[1], abs=1e-4)
        p_yes[margin] = probs[0][0]
    assert p_yes[0.5] == pytest.approx(1 / (1 + np.exp(-0.5)), abs=0.02)
    assert p_yes[2.0] == pytest.approx(1 / (1 + np.exp(-2.0)), abs=0.02)


def test_context_too_small_for_the_preset_is_said_and_retried_with_fewer_frames(scripted, clip_frames):
    b = backend(scripted, n_ctx=2048)      # the byte-level tiny vocabulary makes a question ~1,200 tokens
    try:
        with pytest.raises(FramesTooMany, match=r"preset fast: 6 frames need a \d+-token context"):
            b.ask(clip_frames[1], binary("Static"))
        media, frames = clip_frames
        out = run_job(reason_job(media, [geo_shot(0, 0, media.frames, static=0.6)], b))
        rec = out[0].evidence["reasoner"]
        assert rec["done"] and rec["answers"][0]["meaning"] == "yes"
        assert any("frames" in p and "asked again with" in p for p in out[0].traces[0].problems)
    finally:
        b.close()


def test_untested_llama_cpp_python_versions_are_refused_with_a_clear_line(monkeypatch):
    import llama_cpp

    from camtag.reasoner.llamacpp_backend import llama_cpp_status

    monkeypatch.delenv("CAMTAG_LLAMA_CPP_UNTESTED", raising=False)
    monkeypatch.setattr(llama_cpp, "__version__", "0.3.40")
    assert "newer than the tested 0.3.36" in llama_cpp_status()[0]
    monkeypatch.setattr(llama_cpp, "__version__", "0.3.20")
    assert "too old" in llama_cpp_status()[0]
    monkeypatch.setenv("CAMTAG_LLAMA_CPP_UNTESTED", "1")
    monkeypatch.setattr(llama_cpp, "__version__", "0.3.40")
    assert llama_cpp_status()[0] == "ok"


@pytest.mark.parametrize("variant, message", [
    ({"projection_dim": 32}, "belongs to another model"),
    ({"projector": "qwen2vl_merger"}, "an mmproj from another model"),
    ({"text_arch": "llama"}, "expected a Qwen2.5-VL text model"),
])
def test_mismatched_files_are_refused_before_llama_cpp_sees_them(tmp_path, variant, message):
    pair = write_tiny_gguf(tmp_path, **variant)
    with pytest.raises(ModelFileError, match=message):
        backend(pair).load()


def test_swapped_truncated_and_missing_files(scripted, tmp_path):
    with pytest.raises(ModelFileError, match="vision projector"):
        backend((scripted[1], scripted[1])).load()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(scripted[0].read_bytes()[: scripted[0].stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated"):
        backend((cut, scripted[1])).load()
    missing = backend((tmp_path / "nope.gguf", scripted[1]))
    assert "not found" in missing.availability()
    with pytest.raises(ReasonerError):
        missing.load()


def test_job_tags_shot_by_shot_resumes_and_cancels(scripted):
    media = probe(media_path("shots", "pyscenedetect_testvideo.mp4"))
    shots = [geo_shot(0, 30, 180, pan_left=0.9), geo_shot(1, 240, 330, tilt_up=0.9, handheld=0.6),
             Shot(2, 400, 480)]
    b = backend(scripted)
    try:
        progress = []
        out = run_job(reason_job(media, shots, b), progress.append)
        partials = [p.partial for p in progress if p.partial is not None]
        assert [s.index for s in partials] == [0, 1, 2] and list(out) == partials
        assert [p.done for p in progress][-3:] == [1, 2, 3]
        rec = [s.evidence["reasoner"] for s in out]
        assert [[a["question"] for a in r["answers"]] for r in rec] == [
            ["Move_Left", "Pan_Left", "Static"], ["Move_Up", "Tilt_Up", "Static"], ["Static"]]
        assert all(r["engine"] == "llamacpp" and r["work"]["prefills"] == 1 for r in rec)
        assert [r["work"]["questions"] for r in rec] == [3, 3, 1]
        first = {t.id: t for t in out[0].tags}
        assert first["pan_left"].source == "fusion" and first["pan_left"].confidence > 0.9
        second = {t.id: t for t in out[1].tags}
        assert second["handheld"].source == "geometry" and second["tilt_up"].source == "fusion"
        assert out[1].traces[0].observation.count("Model (") == 3
        assert {t.id for t in out[2].tags} == {"static"}                  # model only: vlm
        assert all(t.source == "vlm" for t in out[2].tags)

        again = []
        assert run_job(reason_job(media, out, b), again.append) == out      # resume: nothing redone
        assert again[-1].message == "every shot already has model tags"

        cancel = CancelToken()
        seen = []
        job = reason_job(media, shots, b, cancel=cancel)
        with pytest.raises(Cancelled):
            for p in job:
                if p.partial is not None:
                    seen.append(p.partial)
                    cancel.cancel("user")
        assert len(seen) == 1 and seen[0].evidence["reasoner"]["done"]
    finally:
        b.close()


def test_model_failure_keeps_geometry_and_says_why(tmp_path):
    media = probe(media_path("camera", "camerabench_TktL3QR8Yg8.0.3.gif"))
    pair = write_tiny_gguf(tmp_path, projection_dim=32)
    shots = [geo_shot(0, 0, 20, static=0.9), geo_shot(1, 20, 54, static=0.8)]
    progress = []
    out = run_job(reason_job(media, shots, backend(pair)), progress.append)
    assert [s.tags for s in out] == [s.tags for s in shots]
    for s in out:
        assert "belongs to another model" in s.evidence["reasoner"]["error"]
        assert "keeping the geometric tags" in s.evidence["reasoner"]["error"]
        assert s.evidence["reasoner"]["done"] is False
    assert all(p.partial is not None for p in progress[1:])


def test_picking_a_backend(scripted):
    from camtag.reasoner import available_backends, pick_backend

    settings = {"model_path": str(scripted[0]), "mmproj_path": str(scripted[1]), **FAST}
    assert available_backends(settings)["llamacpp"] == "ok"
    assert pick_backend("geometry", settings) is None
    assert pick_backend("llamacpp", settings).name == "llamacpp"
    assert pick_backend("llamacpp", {"model_path": "/nope.gguf", "mmproj_path": "/nope2.gguf"}) is None
    # this CPU build cannot offload: auto does not put a 7B model on the CPU unless asked to
    assert pick_backend("auto", settings) is None
    assert pick_backend("auto", {**settings, "allow_cpu": True}).name == "llamacpp"
