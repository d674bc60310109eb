"""The real transformers backend with a tiny Qwen2.5-VL saved by save_pretrained, on real frames."""

from __future__ import annotations

import json
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
from camtag.reasoner.prompts import binary, dominant
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


def test_frames_as_video_and_as_images(folder, frames):
    tokens = {}
    for how in ("video", "images"):
        b = create("transformers", {"hf_model_dir": str(folder), "frames_as": how, **FAST})
        assert b.availability() == "ok"
        try:
            reply = b.ask(frames, binary("Tilt_Down"))
            assert reply.text == SCRIPTED_REPLY                    # prompt ends like Qwen's template
            assert parse(reply.text, binary("Tilt_Down")).meaning == "yes"
            assert b.plan["device"] == "cpu" and "float32" in b.plan["why"]
            assert not b._model.training and b._model.dtype.is_floating_point
            tokens[how] = reply.prompt_tokens
        finally:
            b.close()
    # frames as one video are paired in time: about half the image tokens (4 frames x 144 tokens here)
    assert tokens["images"] - tokens["video"] >= 2 * 144


def test_job_through_transformers(folder):
    media = probe(media_path("camera", "camerabench_2uIa-XMJC0.5.3.gif"))
    b = create("transformers", {"hf_model_dir": str(folder), **FAST})
    try:
        out = run_job(reason_job(media, [geo_shot(0, 0, media.frames, tilt_down=0.8)], b))
    finally:
        b.close()
    answers = out[0].evidence["reasoner"]["answers"]
    assert answers[0]["question"] == "dominant" and answers[0]["meaning"] == dominant().meaning("B")
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
