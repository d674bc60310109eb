"""Tiny random models in the real formats, built locally: for tests, benchmarks and
``camtag doctor --smoke`` (checks that an install can run the vision path end to end).

Nothing is downloaded. The weights are random, so outputs are deterministic at T=0 but
meaningless: assert on structure, never on text. Needs the ``gguf`` package (GGUF pair) or
``transformers`` + ``tokenizers`` (Hugging Face folder). Layouts follow
shared/reference/camreasoner.md §11.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
            "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_MERGES = (("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("a", "n"), ("e", "r"), ("o", "n"))


def byte_symbols() -> list[str]:
    """GPT-2 byte-level alphabet: one printable symbol for each of the 256 byte values."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return [out[b] for b in range(256)]


def _reply_parts(reply: str) -> list[str]:
    """A scripted reply as byte-level token strings: each tag and each text run is one token."""
    sym = byte_symbols()
    out = []
    for part in (p for p in re.split(r"(<[^<>]*>)", reply) if p):
        raw = part.encode("utf-8")
        for i in range(0, len(raw), 24):                # llama-cpp-python detokenizes <= 32 bytes a token
            out.append("".join(sym[b] for b in raw[i:i + 24]))
    if len(set(out)) != len(out) or "\u010a" in out:
        raise ValueError("a scripted reply must not repeat a part nor hold a lone newline")
    return out


def write_tiny_gguf(folder: str | Path, *, n_embd: int = 64, projection_dim: int | None = None,
                    text_arch: str = "qwen2vl", projector: str = "qwen2.5vl_merger",
                    reply: str | None = None, reply_after: tuple[str, ...] = ("\n",),
                    seed: int = 0, letter_margin: float | None = None) -> tuple[Path, Path]:
    """Write ``tiny-qwen2vl.gguf`` and ``tiny-mmproj.gguf``. ``projection_dim`` different from
    ``n_embd`` makes a mismatched pair; ``text_arch``/``projector`` make wrong-model files.

    ``reply`` scripts the text model: attention and MLP outputs are zero, so the last hidden
    state is the last token's embedding, and the output matrix maps each token of the reply to
    the next one (a lookup table in the weights). Greedy decoding after the chat template's
    final newline then emits exactly ``reply`` and stops: a real llama.cpp run whose answer is
    known in advance. Without ``reply`` the weights are random (garbled output).

    ``letter_margin``: where the reply writes the letter after ``<answer>``, the other letter
    (A for B, B for A) gets a logit that much lower (the final RMS norm scales a one-hot state
    by sqrt(n_embd), hence the division), so P(letter) = sigmoid(letter_margin)."""
    import gguf

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def rand(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    script = _reply_parts(reply) if reply else []
    byte_merge = ["".join(m) for m in _MERGES]
    extra = [p for p in script if p not in byte_symbols() and p not in byte_merge]
    tokens = byte_symbols() + byte_merge + extra + list(SPECIALS)
    types = [1] * (len(tokens) - len(SPECIALS)) + [3] * len(SPECIALS)
    ids = {t: i for i, t in enumerate(tokens)}
    if len(script) + 2 > n_embd:
        raise ValueError("scripted reply too long for the model width")
    n_vocab, n_head, n_kv, n_ff, n_layer = len(tokens), 4, 2, 2 * n_embd, 2
    head_dim = n_embd // n_head
    sections = [head_dim // 8, 3 * head_dim // 16, head_dim // 2 - head_dim // 8 - 3 * head_dim // 16, 0]

    text_path = folder / "tiny-qwen2vl.gguf"
    w = gguf.GGUFWriter(str(text_path), text_arch)
    a = text_arch
    w.add_string("general.name", "tiny random qwen2vl (camtag test)")
    w.add_uint32("general.file_type", 0)
    w.add_uint32(f"{a}.context_length", 8192)
    w.add_uint32(f"{a}.embedding_length", n_embd)
    w.add_uint32(f"{a}.block_count", n_layer)
    w.add_uint32(f"{a}.feed_forward_length", n_ff)
    w.add_uint32(f"{a}.attention.head_count", n_head)
    w.add_uint32(f"{a}.attention.head_count_kv", n_kv)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", 1e-6)
    w.add_float32(f"{a}.rope.freq_base", 10000.0)
    w.add_array(f"{a}.rope.dimension_sections", sections)
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "qwen2")
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.token_type", types)
    w.add_array("tokenizer.ggml.merges", [" ".join(m) for m in _MERGES])
    w.add_uint32("tokenizer.ggml.bos_token_id", ids["<|endoftext|>"])
    w.add_uint32("tokenizer.ggml.eos_token_id", ids["<|im_end|>"])
    w.add_uint32("tokenizer.ggml.padding_token_id", ids["<|endoftext|>"])
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_string("tokenizer.chat_template", CHAT_TEMPLATE)
    embd, out_w = rand(n_vocab, n_embd), rand(n_vocab, n_embd)
    zero_out = bool(script)
    if script:
        chain = script + ["<|im_end|>"]
        starts = ["".join(byte_symbols()[b] for b in s.encode()) for s in reply_after]
        for k, (tok, nxt) in enumerate([(s, chain[0]) for s in starts] + list(zip(chain, chain[1:]))):
            embd[ids[tok]] = 0.0                  # the reply starts after the prompt's last token
            embd[ids[tok], k] = 1.0
            out_w[ids[nxt], k] = 10.0
            if letter_margin is not None and nxt in ("A", "B") and tok.endswith(">"):
                out_w[ids["B" if nxt == "A" else "A"], k] = 10.0 - letter_margin / np.sqrt(n_embd)
    w.add_tensor("token_embd.weight", embd)
    w.add_tensor("output_norm.weight", np.ones(n_embd, np.float32))
    w.add_tensor("output.weight", out_w)
    for i in range(n_layer):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(n_embd, np.float32))
        w.add_tensor(p + "attn_q.weight", rand(n_head * head_dim, n_embd))
        w.add_tensor(p + "attn_q.bias", rand(n_head * head_dim))
        w.add_tensor(p + "attn_k.weight", rand(n_kv * head_dim, n_embd))
        w.add_tensor(p + "attn_k.bias", rand(n_kv * head_dim))
        w.add_tensor(p + "attn_v.weight", rand(n_kv * head_dim, n_embd))
        w.add_tensor(p + "attn_v.bias", rand(n_kv * head_dim))
        w.add_tensor(p + "attn_output.weight", rand(n_embd, n_head * head_dim) * (0 if zero_out else 1))
        w.add_tensor(p + "ffn_norm.weight", np.ones(n_embd, np.float32))
        w.add_tensor(p + "ffn_gate.weight", rand(n_ff, n_embd))
        w.add_tensor(p + "ffn_up.weight", rand(n_ff, n_embd))
        w.add_tensor(p + "ffn_down.weight", rand(n_embd, n_ff) * (0 if zero_out else 1))
    _finish(w)

    v_embd, v_ff, v_head, v_layer, patch = 32, 64, 2, 2, 14
    proj_path = folder / "tiny-mmproj.gguf"
    w = gguf.GGUFWriter(str(proj_path), "clip")
    w.add_string("general.name", "tiny random qwen2.5-vl projector (camtag test)")
    w.add_uint32("general.file_type", 0)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_string("clip.projector_type", projector)
    w.add_bool("clip.use_silu", True)
    w.add_uint32("clip.vision.projection_dim", projection_dim or n_embd)
    w.add_uint32("clip.vision.image_size", 224)
    w.add_uint32("clip.vision.patch_size", patch)
    w.add_uint32("clip.vision.embedding_length", v_embd)
    w.add_uint32("clip.vision.feed_forward_length", v_ff)
    w.add_uint32("clip.vision.block_count", v_layer)
    w.add_uint32("clip.vision.attention.head_count", v_head)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    w.add_array("clip.vision.image_mean", [0.48145466, 0.4578275, 0.40821073])
    w.add_array("clip.vision.image_std", [0.26862954, 0.26130258, 0.27577711])
    w.add_uint32("clip.vision.n_wa_pattern", 2)          # fullatt_block_indexes = [1]
    w.add_tensor("v.patch_embd.weight", rand(v_embd, 3, patch, patch))
    w.add_tensor("v.patch_embd.weight.1", rand(v_embd, 3, patch, patch))
    for i in range(v_layer):
        p = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            w.add_tensor(p + name + ".weight", rand(v_embd, v_embd))
            w.add_tensor(p + name + ".bias", rand(v_embd))
        w.add_tensor(p + "ln1.weight", np.ones(v_embd, np.float32))
        w.add_tensor(p + "ln2.weight", np.ones(v_embd, np.float32))
        w.add_tensor(p + "ffn_gate.weight", rand(v_ff, v_embd))
        w.add_tensor(p + "ffn_gate.bias", rand(v_ff))
        w.add_tensor(p + "ffn_up.weight", rand(v_ff, v_embd))
        w.add_tensor(p + "ffn_up.bias", rand(v_ff))
        w.add_tensor(p + "ffn_down.weight", rand(v_embd, v_ff))
        w.add_tensor(p + "ffn_down.bias", rand(v_embd))
    w.add_tensor("v.post_ln.weight", np.ones(v_embd, np.float32))
    merged = v_embd * 4
    w.add_tensor("mm.0.weight", rand(merged, merged))
    w.add_tensor("mm.0.bias", rand(merged))
    w.add_tensor("mm.2.weight", rand(projection_dim or n_embd, merged))
    w.add_tensor("mm.2.bias", rand(projection_dim or n_embd))
    _finish(w)
    return text_path, proj_path


def _finish(writer) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_tiny_hf(folder: str | Path, *, seed: int = 0, reply: str | None = None,
                  architecture: str = "Qwen2_5_VLForConditionalGeneration",
                  letter_margin: float | None = None) -> Path:
    """A tiny random Qwen2.5-VL checkpoint folder (safetensors + processor), ~180 k parameters.
    ``reply`` and ``letter_margin`` script it like :func:`write_tiny_gguf` (the reply's parts
    become added tokens)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (PreTrainedTokenizerFast, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration,
                              Qwen2_5_VLProcessor, Qwen2VLImageProcessor)
    try:                                     # a separate video processor from transformers 4.52
        from transformers import Qwen2VLVideoProcessor
    except ImportError:
        Qwen2VLVideoProcessor = None

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=list(SPECIALS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    corpus = ["<observation>The camera pans to the left.</observation><think>Frames shift.</think>"
              "<answer>B</answer>", "Does the camera pan to the left? Options: A. No B. Yes"] * 20
    bpe.train_from_iterator(corpus, trainer)
    from camtag.reasoner.transformers_backend import transformers_version

    if transformers_version() < (5, 0):      # the 4.x processor insists on a Qwen2 tokenizer class
        from transformers import Qwen2TokenizerFast as PreTrainedTokenizerFast  # noqa: F811
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                  unk_token=None, model_max_length=32768)
    parts = [p for p in re.split(r"(<[^<>]*>)", reply) if p] if reply else []
    if len(set(parts)) != len(parts) or "\n" in parts:
        raise ValueError("a scripted reply must not repeat a part nor hold a lone newline")
    tok.add_tokens(parts)
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIALS}

    torch.manual_seed(seed)
    text = dict(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    special = dict(image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
                   vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"])
    vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64, patch_size=14,
                  spatial_merge_size=2, temporal_patch_size=2, window_size=56, fullatt_block_indexes=[1])
    if transformers_version() >= (5, 0):     # text_config + rope_parameters
        text["rope_parameters"] = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]}
        config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, architectures=[architecture], **special)
    else:                                    # 4.x: flat text keys + rope_scaling
        config = Qwen2_5_VLConfig(**text, rope_theta=10000.0,
                                  rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},
                                  vision_config=vision, architectures=[architecture], **special)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    if parts:
        chain = ([tok.convert_tokens_to_ids("\u010a")] + [tok.convert_tokens_to_ids(p) for p in parts]
                 + [ids["<|im_end|>"]])
        with torch.no_grad():
            for name, param in model.named_parameters():
                if name.endswith(("self_attn.o_proj.weight", "mlp.down_proj.weight")) and "visual" not in name:
                    param.zero_()
            embed = model.get_input_embeddings().weight
            head = model.get_output_embeddings().weight
            for k, (cur, nxt) in enumerate(zip(chain, chain[1:])):
                embed[cur] = 0.0
                embed[cur, k] = 1.0
                head[nxt, k] = 10.0
                nxt_text = tok.convert_ids_to_tokens(nxt)
                after_tag = tok.convert_ids_to_tokens(cur).endswith(">")
                if letter_margin is not None and nxt_text in ("A", "B") and after_tag:
                    other = tok.convert_tokens_to_ids("B" if nxt_text == "A" else "A")
                    head[other, k] = 10.0 - letter_margin / 8.0          # sqrt(hidden 64)
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(folder, safe_serialization=True)
    extra = {"video_processor": Qwen2VLVideoProcessor()} if Qwen2VLVideoProcessor is not None else {}
    processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(), tokenizer=tok,
                                    chat_template=CHAT_TEMPLATE, **extra)
    processor.save_pretrained(folder)
    return folder
