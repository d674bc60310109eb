"""The real transformers backend with a tiny Qwen2.5-VL saved by save_pretrained, on real frames."""

from __future__ import annotations

import json
import math
import shutil

import pytest

pytest.importorskip("torch", reason="the transformers backend needs torch (CI installs torch==2.14.1)")
pytest.importorskip("torchvision", reason="Qwen2.5-VL's processor needs torchvision 0.29.1")
pytest.importorskip("transformers", reason="the transformers backend is optional")

from camtag.jobs import run_job
from camtag.media.frames import sample_shot_frames
from camtag.media.probe import probe
from camtag.model import Shot
from camtag.reasoner import ModelFileError, ReasonerError, create, reason_job
from camtag.reasoner.parse import parse
from camtag.reasoner.prompts import binary
from camtag.reasoner.tiny_models import write_tiny_hf

from reasoner_support import SCRIPTED_REPLY, geo_shot, media_path

FAST = {"n_threads": 1, "max_new_tokens": 64}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_tiny_hf(tmp_path_factory.mktemp("hf") / "CamReasoner-tiny", reply=SCRIPTED_REPLY)


@pytest.fixture(scope="module")
def frames():
    media = probe(media_path("camera", "camerabench_2uIa-XMJC0.5.3.gif"))
    return sample_shot_frames(media, Shot(0, 0, media.frames))


def test_frames_reach_the_model_as_separate_images_at_the_preset_size(folder, frames):
    b = create("transformers", {"hf_model_dir": str(folder), **FAST})
    assert b.availability() == "ok"
    try:
        reply = b.ask(frames, binary("Tilt_Down"))
        assert reply.text == SCRIPTED_REPLY                    # stopped at </answer>, Qwen's template
        assert parse(reply.text, binary("Tilt_Down")).meaning == "yes"
        assert reply.letter_probs["B"] > 0.99
        assert b.plan["device"] == "cpu" and "float32" in b.plan["why"]
        inputs, _ = b._prefix(frames)
        grid = inputs["image_grid_thw"].tolist()
        h, w = frames[0].image.shape[:2]
        want_w, want_h = b.budget.size_for(w, h)
        assert grid == [[1, want_h // 14, want_w // 14]] * len(frames)      # one image per frame
        assert b.vision_images == len(frames)
    finally:
        b.close()


def test_one_prefill_per_shot_matches_generate_and_prefilling_per_question(tmp_path, frames):
    """A random model: identical greedy text from the cut-back cache, from a fresh prefill per
    question and from ``model.generate`` on the whole prompt (M-RoPE offsets included)."""
    import torch
    from PIL import Image

    rnd = write_tiny_hf(tmp_path / "random", seed=8)       # a seed whose answers differ between questions
    questions = [binary("Pan_Left"), binary("Zoom_In"), binary("Static")]
    texts, work, seen, lengths = {}, {}, {}, {}
    # True: batched over the cached prefix (default); "one by one": cached prefix, one question at a time
    for reuse in (True, False, "one by one", "in pairs"):      # in pairs: groups of 2 and 1, one prefill
        over = ({"parallel_questions": 1} if reuse == "one by one" else {"parallel_questions": 2}
                if reuse == "in pairs" else {"prefix_reuse": reuse})
        b = create("transformers", {"hf_model_dir": str(rnd), "n_threads": 1, "max_new_tokens": 10, **over})
        try:
            replies = list(b.ask_all(frames, questions))
            texts[reuse], lengths[reuse] = [r.text for r in replies], [r.completion_tokens for r in replies]
            work[reuse], seen[reuse] = dict(b.work), b.vision_images
            if reuse is True:
                prompt = b._processor.apply_chat_template(
                    [{"role": "user", "content": [*({"type": "image"} for _ in frames),
                                                  {"type": "text", "text": questions[1].text}]}],
                    tokenize=False, add_generation_prompt=True)
                enc = b._processor(text=[prompt], images=[Image.fromarray(f.image) for f in frames],
                                   return_tensors="pt")
                with torch.inference_mode():
                    out = b._model.generate(**enc, max_new_tokens=10, do_sample=False)
                ref = b._processor.tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
                assert ref.startswith(texts[True][1]) or texts[True][1].startswith(ref)
        finally:
            b.close()
    assert texts[True] == texts[False] == texts["one by one"] == texts["in pairs"] and all(texts[True])
    assert work["in pairs"]["prefills"] == 1 and seen["in pairs"] == len(frames)
    assert len(set(texts[True])) > 1                          # each row answered its own question
    assert work[True]["prefills"] == work["one by one"]["prefills"] == 1 and work[False]["prefills"] == 3
    # forward calls that wait on each other: 1 for the suffixes, then one a step of the longest answer
    assert work[True]["decode_calls"] <= 1 + max(lengths[True])
    assert work["one by one"]["decode_calls"] >= sum(lengths["one by one"])
    assert work[False]["prefix_tokens"] == 3 * work[True]["prefix_tokens"]
    assert seen[True] == len(frames) and seen[False] == 3 * len(frames)      # vision tower runs


def test_letter_probabilities_follow_the_models_logits(tmp_path, frames):
    p_yes = {}
    for margin in (0.5, 2.0):
        folder = write_tiny_hf(tmp_path / str(margin), reply=SCRIPTED_REPLY, letter_margin=margin)
        probs = []
        for parallel in (3, 1):                    # decoded together, then one after another
            b = create("transformers", {"hf_model_dir": str(folder), **FAST, "parallel_questions": parallel})
            try:
                qs = [binary("Zoom_In"), binary("Move_In"), binary("Static")]
                probs.append([r.letter_probs["B"] for r in b.ask_all(frames[:2], qs)])
            finally:
                b.close()
        assert probs[0] == pytest.approx(probs[1], abs=1e-4)
        p_yes[margin] = probs[0][0]
    assert p_yes[0.5] == pytest.approx(1 / (1 + math.exp(-0.5)), abs=0.02)
    assert p_yes[2.0] == pytest.approx(1 / (1 + math.exp(-2.0)), abs=0.02)


def test_load_arguments_across_transformers_versions(folder):
    import torch

    from camtag.reasoner import transformers_backend as tb

    assert tb.dtype_keyword((4, 49)) == tb.dtype_keyword((4, 55)) == "torch_dtype"
    assert tb.dtype_keyword((4, 56)) == tb.dtype_keyword((5, 1)) == "dtype"
    b = create("transformers", {"hf_model_dir": str(folder)})
    b.plan = {"device": "cuda", "dtype": torch.bfloat16, "four_bit": True}
    kw = b.load_kwargs(torch)
    assert kw[tb.dtype_keyword(tb.transformers_version())] is torch.bfloat16
    q = kw["quantization_config"]
    assert q.load_in_4bit and set(q.llm_int8_skip_modules) == {"visual", "lm_head"}
    assert kw["use_safetensors"] and "trust_remote_code" not in kw   # the call says False itself


def test_job_through_transformers(folder):
    media = probe(media_path("camera", "camerabench_2uIa-XMJC0.5.3.gif"))
    b = create("transformers", {"hf_model_dir": str(folder), **FAST})
    try:
        out = run_job(reason_job(media, [geo_shot(0, 0, media.frames, tilt_down=0.8)], b))
    finally:
        b.close()
    rec = out[0].evidence["reasoner"]
    assert [a["question"] for a in rec["answers"]] == ["Move_Down", "Tilt_Down", "Static"]
    assert rec["engine"] == "transformers" and rec["work"]["prefills"] == 1
    assert {t.source for t in out[0].tags} == {"fusion", "vlm"}        # geometry kept, fused, flagged


def test_bad_folders_are_refused_with_one_line(folder, tmp_path):
    wrong = tmp_path / "wrong"
    shutil.copytree(folder, wrong)
    cfg = json.loads((wrong / "config.json").read_text())
    cfg.update(architectures=["LlamaForCausalLM"], model_type="llama")
    (wrong / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="expected Qwen2_5_VLForConditionalGeneration"):
        create("transformers", {"hf_model_dir": str(wrong)}).load()

    cut = tmp_path / "cut"
    shutil.copytree(folder, cut)
    weights = cut / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    with pytest.raises(ModelFileError, match="truncated"):
        create("transformers", {"hf_model_dir": str(cut)}).load()

    pickle = tmp_path / "pickle"
    shutil.copytree(folder, pickle)
    (pickle / "model.safetensors").rename(pickle / "pytorch_model.bin")
    with pytest.raises(ModelFileError, match="safetensors only"):
        create("transformers", {"hf_model_dir": str(pickle)}).load()

    with pytest.raises(ReasonerError, match="needs CUDA"):
        create("transformers", {"hf_model_dir": str(folder), "quantization": "4bit"}).load()


@pytest.mark.parametrize("env", ["CAMTAG_TRANSFORMERS_FLOOR", "CAMTAG_TRANSFORMERS_DTYPE_SWITCH"])
def test_declared_floor_and_the_dtype_switch_run_the_same_path(env):
    """``pip install --target DIR --no-deps transformers==4.49.0 tokenizers==0.21.4 huggingface_hub==0.36.0``
    (the floor in pyproject) or ``transformers==4.56.2 tokenizers==0.22.1 ...`` (first ``dtype=``
    version, CamReasoner's evaluation), then point the variable at DIR: the whole backend path on tiny
    models that version writes itself runs in a subprocess with DIR first on sys.path."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    folder = os.environ.get(env)
    if not folder:
        pytest.skip(f"{env} is not set (a pip --target folder with another transformers; no download in tests)")
    here = Path(__file__).resolve().parent
    env_vars = {**os.environ, "PYTHONPATH": os.pathsep.join([folder, str(here.parents[1] / "app")]),
                "OMP_WAIT_POLICY": "PASSIVE"}
    out = subprocess.run([sys.executable, str(here / "transformers_floor_check.py")], env=env_vars,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and out.stdout.startswith("OK "), out.stderr[-2000:]


def test_out_of_memory_on_a_long_shot_retries_with_fewer_frames(folder, monkeypatch):
    """CUDA OOM during the prefill (simulated: no GPU here) becomes FramesTooMany; the job asks
    again with half the frames, says so in the trace and keeps the geometric tags."""
    import torch

    media = probe(media_path("camera", "camerabench_2uIa-XMJC0.5.3.gif"))
    b = create("transformers", {"hf_model_dir": str(folder), **FAST})
    b.load()
    real = b._prefill
    sizes = []

    def prefill(frames):
        sizes.append(len(frames))
        if len(frames) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real(frames)

    monkeypatch.setattr(b, "_prefill", prefill)
    try:
        shot = geo_shot(0, 0, media.frames, tilt_down=0.8)
        out = run_job(reason_job(media, [shot], b))
    finally:
        b.close()
    assert sizes[0] > 2 and sizes[-1] == 2
    rec = out[0].evidence["reasoner"]
    assert rec["done"] and len(rec["answers"]) == 3
    assert any("out of GPU memory" in p and "asked again with" in p for p in out[0].traces[0].problems)
    assert "tilt_down" in {t.id for t in out[0].tags}
