"""The synthetic full-size model: Qwen2.5-VL-7B's shape table, and a narrow build through the
same code and CLI that llama.cpp loads and runs (random weights: structure only)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gguf", reason="GGUF files are written with the gguf package")

from camtag.cli import main
from camtag.reasoner import synth
from camtag.reasoner.model_files import check_gguf_pair

# Qwen/Qwen2.5-VL-7B-Instruct config.json as published (CamReasoner-7B is a fine-tune of it)
PUBLISHED = {"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
             "num_key_value_heads": 4, "vocab_size": 152064, "rope_theta": 1000000.0,
             "vision_config": {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
                               "out_hidden_size": 3584, "patch_size": 14, "spatial_merge_size": 2,
                               "fullatt_block_indexes": [7, 15, 23, 31], "window_size": 112}}


def test_the_7b_shape_table_is_qwen25_vl_7b():
    for key, value in PUBLISHED.items():
        if key != "vision_config":
            assert synth.QWEN25_VL_7B[key] == value
    for key, value in PUBLISHED["vision_config"].items():
        assert synth.QWEN25_VL_7B["vision_config"][key] == value
    s = synth.shapes_7b()
    assert (s.hidden, s.ffn, s.layers, s.heads, s.kv_heads, s.vocab) == (3584, 18944, 28, 28, 4, 152064)
    assert (s.v_hidden, s.v_ffn, s.v_layers, s.v_heads, s.fullatt) == (1280, 3420, 32, 16, (7, 15, 23, 31))
    assert s.head_dim == 128 and s.rope_sections == [16, 24, 24, 0]     # llama.cpp's qwen2vl sections
    names = {name: shape for name, shape, _ in synth.text_tensors(s)}
    assert names["blk.27.attn_k.weight"] == (512, 3584) and names["blk.0.ffn_down.weight"] == (3584, 18944)
    assert names["token_embd.weight"] == (152064, 3584)
    params = sum(int(np.prod(shape)) for shape in names.values())
    assert 7.0e9 < params < 7.7e9                                        # "7B" (7.07 B text weights)
    vision = {name: shape for name, shape, _ in synth.vision_tensors(s)}
    assert vision["mm.2.weight"] == (3584, 5120) and vision["v.blk.31.ffn_down.weight"] == (1280, 3420)


def test_a_narrow_build_loads_and_runs_in_llama_cpp(tmp_path, capsys):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is an optional backend")
    from camtag.media.frames import ShotFrame
    from camtag.reasoner import create
    from camtag.reasoner.prompts import binary

    assert main(["models", "synth", "qwen2.5-vl-7b", "--quant", "Q4_K_M", "-o", str(tmp_path), "--reduce", "14"]) == 0
    assert "benchmarks/reasoner.py --model" in capsys.readouterr().out
    text = next(tmp_path.glob("synthetic-*.gguf"))
    proj = next(tmp_path.glob("mmproj-*.gguf"))
    t, p = check_gguf_pair(str(text), str(proj))
    assert t.quantization == "Q4_K_M" and t.get("qwen2vl.rope.dimension_sections") == [16, 24, 24, 0]
    assert t.tensors["blk.0.attn_q.weight"][1] == 12 and t.tensors["output.weight"][1] == 14    # Q4_K, Q6_K
    assert p.get("clip.vision.n_wa_pattern") == 2 and p.tensors["mm.2.weight"][0] == (320, 256)
    b = create("llamacpp", {"model_path": str(text), "mmproj_path": str(proj), "n_threads": 1,
                            "max_new_tokens": 3, "max_frames": 2})
    rng = np.random.default_rng(0)
    frames = [ShotFrame(i, i, rng.integers(0, 255, (112, 168, 3), dtype=np.uint8)) for i in range(2)]
    try:
        reply = b.ask(frames, binary("Static"))
    finally:
        b.close()
    assert b.work["images"] == 2 and b.work["prefix_tokens"] >= 2 * 24 and reply.completion_tokens <= 3
