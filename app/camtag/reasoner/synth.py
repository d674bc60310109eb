"""A full-size synthetic CamReasoner-7B (Qwen2.5-VL-7B architecture, random weights) for speed.

``camtag models synth qwen2.5-vl-7b --quant Q4_K_M -o DIR`` writes a GGUF text model and an f16
mmproj with exactly the shapes of Qwen2.5-VL-7B (:data:`QWEN25_VL_7B`, from the published
``Qwen/Qwen2.5-VL-7B-Instruct`` config.json, which CamReasoner-7B shares), so that
``python benchmarks/reasoner.py --model DIR`` measures real seconds per shot, tokens/s and VRAM on
any GPU machine with no download. The answers are noise; the cost is the real model's.

Weights are random but finite: quantized blocks get small fixed scales and random quants, f16
tensors small random values (a pool tiled over each tensor, streamed to disk one tensor at a
time). "Q4_K_M" here means Q4_K for every 2-D weight and Q6_K for the embeddings and output, the
bulk of llama.cpp's real mix; a row length that is not a multiple of 256 falls back to Q8_0 (as
llama-quantize does). The vocabulary is byte-level (one token a byte, the Qwen special tokens at
their real ids, the rest unused), so prompts tokenize to ~4x more text tokens than with Qwen's BPE.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from camtag.reasoner.tiny_models import CHAT_TEMPLATE, byte_symbols

# Qwen/Qwen2.5-VL-7B-Instruct config.json (text config at the top level, vision_config nested)
QWEN25_VL_7B = {
    "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
    "num_key_value_heads": 4, "vocab_size": 152064, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
    "max_position_embeddings": 128000, "mrope_section": [16, 24, 24], "tie_word_embeddings": False,
    "vision_start_token_id": 151652, "vision_end_token_id": 151653, "vision_token_id": 151654,
    "image_token_id": 151655, "video_token_id": 151656, "bos_token_id": 151643, "eos_token_id": 151645,
    "vision_config": {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
                      "out_hidden_size": 3584, "patch_size": 14, "spatial_merge_size": 2,
                      "temporal_patch_size": 2, "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31],
                      "in_chans": 3},
}
SPECIAL_IDS = {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645,
               "<|vision_start|>": 151652, "<|vision_end|>": 151653, "<|vision_pad|>": 151654,
               "<|image_pad|>": 151655, "<|video_pad|>": 151656}
QUANTS = ("Q4_K_M", "Q8_0", "F16")


@dataclass(frozen=True)
class Shapes:
    hidden: int
    ffn: int
    layers: int
    heads: int
    kv_heads: int
    vocab: int
    v_hidden: int
    v_ffn: int
    v_layers: int
    v_heads: int
    patch: int
    fullatt: tuple[int, ...]

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def rope_sections(self) -> list[int]:
        """M-RoPE sections scaled to this head size (7B: [16, 24, 24, 0], summing to head_dim/2)."""
        half = self.head_dim // 2
        a, b = half * 16 // 64, half * 24 // 64
        return [a, b, half - a - b, 0]


def shapes_7b() -> Shapes:
    c, v = QWEN25_VL_7B, QWEN25_VL_7B["vision_config"]
    return Shapes(c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["num_attention_heads"],
                  c["num_key_value_heads"], c["vocab_size"], v["hidden_size"], v["intermediate_size"], v["depth"],
                  v["num_heads"], v["patch_size"], tuple(v["fullatt_block_indexes"]))


def reduced(shapes: Shapes, width: int, layers: int = 2, v_layers: int = 2) -> Shapes:
    """The same architecture about ``width`` times narrower, for tests: head sizes kept (text 128,
    vision 80), head counts divided, feed-forward sizes rounded to 256 / 32."""
    heads = max(1, shapes.heads // width)
    kv = max(1, shapes.kv_heads // width)
    v_heads = max(1, shapes.v_heads // width)
    return replace(shapes, hidden=heads * shapes.head_dim, heads=heads, kv_heads=kv if heads % kv == 0 else 1,
                   ffn=max(256, shapes.ffn // width // 256 * 256), layers=layers,
                   v_hidden=v_heads * (shapes.v_hidden // shapes.v_heads), v_heads=v_heads,
                   v_ffn=max(64, shapes.v_ffn // width // 32 * 32), v_layers=v_layers, fullatt=(v_layers - 1,))


def _quant_for(quant: str, ne0: int, big: bool):
    import gguf

    T = gguf.GGMLQuantizationType
    if quant == "F16":
        return T.F16
    want = T.Q8_0 if quant == "Q8_0" else (T.Q6_K if big else T.Q4_K)
    block = gguf.GGML_QUANT_SIZES[want][0]
    if ne0 % block:
        want = T.Q8_0 if ne0 % 32 == 0 else T.F16
    return want


def _blocks(qtype, n_blocks: int, rng) -> np.ndarray:
    """``n_blocks`` finite random blocks of a quant type (a random pool tiled)."""
    import gguf

    T = gguf.GGMLQuantizationType
    size = gguf.GGML_QUANT_SIZES[qtype][1]
    pool = rng.integers(0, 256, (min(n_blocks, 4096), size), dtype=np.uint8)
    scale = np.frombuffer(np.float16(0.002).tobytes(), np.uint8)
    if qtype == T.Q4_K:              # d, dmin, scales[12], qs[128]
        pool[:, 0:2] = scale
        pool[:, 2:4] = np.frombuffer(np.float16(0.0).tobytes(), np.uint8)
    elif qtype == T.Q6_K:            # ql[128], qh[64], scales[16], d
        pool[:, 208:210] = scale
    elif qtype == T.Q8_0:            # d, qs[32]
        pool[:, 0:2] = scale
    return np.resize(pool, (n_blocks, size))


def text_tensors(s: Shapes) -> list[tuple[str, tuple[int, ...], str]]:
    """(name, torch-order shape, kind): kind "q" quantized, "qbig" embeddings/output, "f32" norms/biases."""
    kv = s.kv_heads * s.head_dim
    out = [("token_embd.weight", (s.vocab, s.hidden), "qbig"), ("output_norm.weight", (s.hidden,), "f32"),
           ("output.weight", (s.vocab, s.hidden), "qbig")]
    for i in range(s.layers):
        p = f"blk.{i}."
        out += [(p + "attn_norm.weight", (s.hidden,), "f32"), (p + "attn_q.weight", (s.hidden, s.hidden), "q"),
                (p + "attn_q.bias", (s.hidden,), "f32"), (p + "attn_k.weight", (kv, s.hidden), "q"),
                (p + "attn_k.bias", (kv,), "f32"), (p + "attn_v.weight", (kv, s.hidden), "q"),
                (p + "attn_v.bias", (kv,), "f32"), (p + "attn_output.weight", (s.hidden, s.hidden), "q"),
                (p + "ffn_norm.weight", (s.hidden,), "f32"), (p + "ffn_gate.weight", (s.ffn, s.hidden), "q"),
                (p + "ffn_up.weight", (s.ffn, s.hidden), "q"), (p + "ffn_down.weight", (s.hidden, s.ffn), "q")]
    return out


def vision_tensors(s: Shapes) -> list[tuple[str, tuple[int, ...], str]]:
    v, merged = s.v_hidden, s.v_hidden * 4
    out = [("v.patch_embd.weight", (v, 3, s.patch, s.patch), "f16"),
           ("v.patch_embd.weight.1", (v, 3, s.patch, s.patch), "f16")]
    for i in range(s.v_layers):
        p = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            out += [(p + name + ".weight", (v, v), "f16"), (p + name + ".bias", (v,), "f32")]
        out += [(p + "ln1.weight", (v,), "f32"), (p + "ln2.weight", (v,), "f32"),
                (p + "ffn_gate.weight", (s.v_ffn, v), "f16"), (p + "ffn_gate.bias", (s.v_ffn,), "f32"),
                (p + "ffn_up.weight", (s.v_ffn, v), "f16"), (p + "ffn_up.bias", (s.v_ffn,), "f32"),
                (p + "ffn_down.weight", (v, s.v_ffn), "f16"), (p + "ffn_down.bias", (v,), "f32")]
    out += [("v.post_ln.weight", (v,), "f32"), ("mm.0.weight", (merged, merged), "f16"),
            ("mm.0.bias", (merged,), "f32"), ("mm.2.weight", (s.hidden, merged), "f16"),
            ("mm.2.bias", (s.hidden,), "f32")]
    return out


def _stream(writer, specs, quant: str, rng) -> None:
    """Declare every tensor, write the header, then generate and write them one at a time."""
    import gguf

    plan = []
    for name, shape, kind in specs:
        if kind == "f32":
            arr_shape, dtype, qtype = shape, np.float32, None
            nbytes = int(np.prod(shape)) * 4
        elif kind == "f16":
            arr_shape, dtype, qtype = shape, np.float16, None
            nbytes = int(np.prod(shape)) * 2
        else:
            qtype = _quant_for(quant, shape[-1], kind == "qbig")
            if qtype == gguf.GGMLQuantizationType.F16:
                arr_shape, dtype, qtype, nbytes = shape, np.float16, None, int(np.prod(shape)) * 2
            else:
                block, size = gguf.GGML_QUANT_SIZES[qtype]
                arr_shape, dtype = (*shape[:-1], shape[-1] // block * size), np.uint8
                nbytes = int(np.prod(arr_shape))
        writer.add_tensor_info(name, arr_shape, np.dtype(dtype), nbytes, raw_dtype=qtype)
        plan.append((name, arr_shape, dtype, qtype, kind))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    pool16 = (rng.standard_normal(1 << 16) * 0.02).astype(np.float16)
    for name, arr_shape, dtype, qtype, kind in plan:
        n = int(np.prod(arr_shape))
        if dtype == np.float32:
            norm = name.endswith(("norm.weight", "ln1.weight", "ln2.weight", "post_ln.weight"))
            arr = np.ones(arr_shape, np.float32) if norm else np.zeros(arr_shape, np.float32)
        elif dtype == np.float16:
            arr = np.resize(pool16, n).reshape(arr_shape)
        else:
            size = gguf.GGML_QUANT_SIZES[qtype][1]
            arr = _blocks(qtype, n // size, rng).reshape(arr_shape)
        writer.write_tensor_data(arr)
    writer.close()


def write_synthetic(out_dir: str | Path, quant: str = "Q4_K_M", shapes: Shapes | None = None,
                    seed: int = 0) -> tuple[Path, Path]:
    """Write ``synthetic-qwen2.5-vl-7b-<quant>.gguf`` and ``mmproj-synthetic-qwen2.5-vl-7b-f16.gguf``."""
    import gguf

    if quant not in QUANTS:
        raise ValueError(f"unknown quantization {quant!r} (use {', '.join(QUANTS)})")
    s = shapes or shapes_7b()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tag = "7b" if s == shapes_7b() else f"reduced-{s.hidden}"
    text_path = out / f"synthetic-qwen2.5-vl-{tag}-{quant}.gguf"
    proj_path = out / f"mmproj-synthetic-qwen2.5-vl-{tag}-f16.gguf"

    sym = byte_symbols()
    tokens = list(sym) + [f"[unused{i}]" for i in range(len(sym), s.vocab)]
    types = [1] * len(sym) + [5] * (s.vocab - len(sym))
    for text, i in SPECIAL_IDS.items():
        if i < s.vocab:
            tokens[i], types[i] = text, 3
    ids = {t: i for i, t in enumerate(tokens)}

    a = "qwen2vl"
    w = gguf.GGUFWriter(str(text_path), a)
    w.add_string("general.name", f"synthetic Qwen2.5-VL ({tag}, random weights, camtag benchmark)")
    w.add_uint32("general.file_type", {"Q4_K_M": 15, "Q8_0": 7, "F16": 1}[quant])
    for key, val in (("context_length", 128000), ("embedding_length", s.hidden), ("block_count", s.layers),
                     ("feed_forward_length", s.ffn), ("attention.head_count", s.heads),
                     ("attention.head_count_kv", s.kv_heads)):
        w.add_uint32(f"{a}.{key}", val)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", 1e-6)
    w.add_float32(f"{a}.rope.freq_base", 1000000.0)
    w.add_array(f"{a}.rope.dimension_sections", s.rope_sections)
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "qwen2")
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.token_type", types)
    w.add_array("tokenizer.ggml.merges", ["Ġ t"])
    w.add_uint32("tokenizer.ggml.bos_token_id", ids["<|endoftext|>"])
    w.add_uint32("tokenizer.ggml.eos_token_id", ids["<|im_end|>"])
    w.add_uint32("tokenizer.ggml.padding_token_id", ids["<|endoftext|>"])
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_string("tokenizer.chat_template", CHAT_TEMPLATE)
    _stream(w, text_tensors(s), quant, rng)

    w = gguf.GGUFWriter(str(proj_path), "clip")
    w.add_string("general.name", f"synthetic Qwen2.5-VL projector ({tag}, random weights)")
    w.add_uint32("general.file_type", 1)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_string("clip.projector_type", "qwen2.5vl_merger")
    w.add_bool("clip.use_silu", True)
    for key, val in (("projection_dim", s.hidden), ("image_size", 560), ("patch_size", s.patch),
                     ("embedding_length", s.v_hidden), ("feed_forward_length", s.v_ffn),
                     ("block_count", s.v_layers), ("attention.head_count", s.v_heads),
                     ("n_wa_pattern", s.fullatt[0] + 1)):
        w.add_uint32(f"clip.vision.{key}", val)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    w.add_array("clip.vision.image_mean", [0.48145466, 0.4578275, 0.40821073])
    w.add_array("clip.vision.image_std", [0.26862954, 0.26130258, 0.27577711])
    _stream(w, vision_tensors(s), "F16", rng)
    return text_path, proj_path
