"""Reasoner benchmark: per-shot pipeline overhead (target <= 50 ms/shot) and, on a GPU, model speed.

Without a GPU the model's own compute cannot be measured meaningfully here, so this says so and
measures everything around it with the tiny models camtag builds locally: frame extraction
(seek + decode + resize), JPEG/data-URI encoding, prompt building, parsing and fusion, plus one
tiny-model llama.cpp call (vision encode + decode of a ~1-token-per-byte prompt) for scale.
Anchor in the same run: decoding every frame of the same shots with PyAV (what a naive sampler
would do); the ratio column is extraction time / that decode.

Work per shot (hardware-independent, issue 17): the tiny random GGUF through the real llama.cpp
backend in ``thorough`` mode (15 questions), counted by llama.cpp's own perf counters: prompt
tokens evaluated vs. frame tokens + shared prefix + question suffixes (+ decoded tokens), with
one prefill per shot and, as the anchor, with a prefill per question (the old behaviour).

Cost table per preset: frames x tokens per frame, prefill tokens, decode steps, projected to
seconds per shot on an RTX 4090 and an M2 Max from the cited constants below (projections, not
measurements).

On a GPU with real model files it reports, per backend it finds: seconds per shot, shots/minute,
generated tokens/s and peak VRAM.

Run: ``PYTHONPATH=app python benchmarks/reasoner.py [--append]`` (``--append`` adds the output to
benchmarks/RESULTS.md under "## Reasoner engine II (issue 17)").
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Iterator

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "app"))

from camtag.media.decode import Decoder  # noqa: E402
from camtag.media.frames import FrameCache, FrameSampler, data_uri  # noqa: E402
from camtag.media.probe import probe  # noqa: E402
from camtag.model import Shot, Tag, Trace  # noqa: E402
from camtag.reasoner import create, hardware  # noqa: E402
from camtag.reasoner.fusion import fuse  # noqa: E402
from camtag.reasoner.parse import parse  # noqa: E402
from camtag.reasoner import plan as question_plan  # noqa: E402
from camtag.reasoner.inputs import PRESETS, budget_from_settings  # noqa: E402

REPLY = ("<observation>Across the frames the background slides steadily to the right while the horizon stays "
         "level; the trees at the left edge leave the frame and new buildings enter on the right.</observation>"
         "<think>Content moving right with no change in size and no parallax between near and far objects "
         "points to a rotation of the camera to the left rather than a sideways move.</think> <answer>B</answer>")
SHOT_SECONDS = 4


def shared_media() -> Path:
    for cand in (os.environ.get("CAMTAG_SHARED"), Path(__file__).resolve().parents[2] / "shared"):
        if cand and (Path(cand) / "media").is_dir():
            return Path(cand) / "media"
    sys.exit("shared/media not found (set CAMTAG_SHARED or put shared/ beside the repository)")


def shots_of(media, seconds: int = SHOT_SECONDS) -> list[Shot]:
    step = max(2, round(float(media.rate) * seconds))
    return [Shot(i, a, min(a + step, media.frames),
                 tags=(Tag("pan_left", 0.6, "geometry", "0.3 W"), Tag("handheld", 0.7, "geometry")),
                 traces=(Trace("background moved right", "one homography", "pan_left"),))
            for i, a in enumerate(range(0, media.frames - 1, step))]


def decode_all(media, shots) -> float:
    import av

    t0 = time.perf_counter()
    with av.open(media.path) as c:
        last = shots[-1].end_frame
        for i, _ in enumerate(c.decode(video=0)):
            if i + 1 >= last:
                break
    return time.perf_counter() - t0


def fill_cache(media) -> tuple[FrameCache, float]:
    """Run a decode pass feeding the frame cache; return it and the time it added to the pass:
    the decoder's thumbnail conversions (timed inside the decode thread) plus consume/JPEG."""
    from camtag.media import decode

    spent = []
    original = decode._Converter.thumb

    def timed_thumb(self, frame):
        t0 = time.perf_counter()
        try:
            return original(self, frame)
        finally:
            spent.append(time.perf_counter() - t0)

    cache = FrameCache(media)
    decode._Converter.thumb = timed_thumb
    try:
        for frame in Decoder(media.path, cache.spec, sar=media.sar, rotation=media.rotation):
            t0 = time.perf_counter()
            cache.consume(frame)
            spent.append(time.perf_counter() - t0)
    finally:
        decode._Converter.thumb = original
    return cache, sum(spent)


def overhead(path: Path, llama=None, cached: bool = False) -> dict:
    media = probe(str(path))
    shots = shots_of(media)
    cache, in_pass = fill_cache(media) if cached else (None, 0.0)
    t0 = time.perf_counter()
    sampler = FrameSampler(media, cache=cache)
    open_s = time.perf_counter() - t0 + in_pass
    extract, encode, prompt, parse_fuse, model_s, n_frames = [], [], [], [], [], 0
    try:
        for shot in shots:
            t0 = time.perf_counter()
            frames = sampler.frames(shot)
            t1 = time.perf_counter()
            uris = [data_uri(f) for f in frames]
            t2 = time.perf_counter()
            qs = question_plan.questions(shot, "plan")
            images = [{"type": "image_url", "image_url": {"url": u}} for u in uris]
            content = [[*images, {"type": "text", "text": q.text}] for q in qs]
            t3 = time.perf_counter()
            fuse(shot, [(q, parse(REPLY, q)) for q in qs], model="bench", probs=[{"A": 0.2, "B": 0.8}] * len(qs))
            t4 = time.perf_counter()
            if llama is not None:
                model_s.append(sum(r.seconds for r in llama.ask_all(frames, qs)))
            extract.append(t1 - t0), encode.append(t2 - t1), prompt.append(t3 - t2), parse_fuse.append(t4 - t3)
            n_frames += len(frames)
            assert content
    finally:
        sampler.close()
    anchor = decode_all(media, shots)
    total = [a + b + c + d for a, b, c, d in zip(extract, encode, prompt, parse_fuse)]
    return {"clip": path.name + (" [cache]" if cached else ""), "size": f"{media.width}x{media.height}", "shots": len(shots),
            "frames": n_frames / len(shots), "open": open_s * 1e3,
            "extract": statistics.mean(extract) * 1e3, "encode": statistics.mean(encode) * 1e3,
            "prompt": statistics.mean(prompt) * 1e3, "parse_fuse": statistics.mean(parse_fuse) * 1e3,
            "total": statistics.mean(total) * 1e3 + open_s * 1e3 / len(shots),
            "ratio": sum(extract) / anchor if anchor else float("nan"),
            "model": statistics.mean(model_s) * 1e3 if model_s else None}


def gpu_runs(hw) -> list[str]:
    """Real models on a GPU: s/shot, shots/min, tokens/s, peak VRAM (untested without a GPU)."""
    from camtag.reasoner import available_backends

    lines = []
    clip = shared_media() / "camera" / "camerabench_3pxrECZYEAA.2.3.gif"
    media = probe(str(clip))
    shots = shots_of(media, 2)
    for name, status in available_backends().items():
        if status != "ok":
            lines.append(f"{name:<13} skipped: {status}")
            continue
        backend = create(name, {})
        backend.load()
        sampler = FrameSampler(media, backend.budget)
        gen, secs = 0, 0.0
        try:
            for shot in shots:
                frames = sampler.frames(shot)
                for reply in backend.ask_all(frames, question_plan.questions(shot, "thorough")):
                    secs += reply.seconds
                    gen += reply.completion_tokens or 0
        finally:
            sampler.close()
        vram = ""
        if name == "transformers" and hw.get("cuda"):
            import torch

            vram = f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
        backend.close()
        per = secs / len(shots)
        lines.append(f"{name:<13} {backend.model_id}: {per:.2f} s/shot, {60 / per:.1f} shots/min, "
                     f"{gen / secs:.1f} tokens/s, peak VRAM {vram or 'see nvidia-smi'}")
    return lines


def _vram() -> str:
    import shutil
    import subprocess

    if not shutil.which("nvidia-smi"):
        return "n/a (no nvidia-smi)"
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10).stdout.strip().splitlines()
        return out[0] if out else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def model_speed(folder: Path, n_shots: int, max_new_tokens: int = 300, presets=("fast", "eval")) -> Iterator[str]:
    """Seconds per shot with a real-size GGUF pair, per preset, in thorough mode (15 questions)."""
    import llama_cpp
    import numpy as np

    from camtag.media.frames import ShotFrame

    ggufs = sorted(folder.glob("*.gguf"))
    proj = next((p for p in ggufs if "mmproj" in p.name), None)
    text = next((p for p in ggufs if "mmproj" not in p.name), None)
    if not (proj and text):
        yield f"{folder}: no GGUF + mmproj pair"
        return
    yield (f"model speed: {text.name} + {proj.name}, thorough (15 questions, <= {max_new_tokens} answer tokens "
             f"each), {n_shots} shots of 1080p-sized "
             f"random frames, llama.cpp GPU offload: {bool(llama_cpp.llama_supports_gpu_offload())}")
    rng = np.random.default_rng(0)
    for preset in presets:
        b = create("llamacpp", {"model_path": str(text), "mmproj_path": str(proj), "preset": preset,
                                "max_frames": 10, "max_new_tokens": max_new_tokens})
        w, h = b.budget.size_for(1920, 1080)
        frames = [ShotFrame(i, i, rng.integers(0, 255, (h, w, 3), dtype=np.uint8)) for i in range(10)]
        b.load()
        qs = question_plan.questions(Shot(0, 0, 1), "thorough")
        for _ in b.ask_all(frames, qs[:1]):         # warm-up: CUDA kernels, graphs, first allocations
            pass
        w0, t0 = dict(b.work), time.perf_counter()
        for _ in range(n_shots):
            for _ in b.ask_all(frames, qs):
                pass
        secs = (time.perf_counter() - t0) / n_shots
        # llama.cpp's perf counters file a batched decode step (one token x N questions) under
        # prompt eval, so the rates come from the backend's own counters
        done = {k: (v - w0.get(k, 0)) / n_shots for k, v in b.work.items()}
        # the same shots answering one token each: everything but the answers (vision, prefix,
        # suffixes); llama.cpp's prompt-eval counters over it give the cost of a prompt token
        b.max_new_tokens = 1
        ctx = b._llm._ctx.ctx
        p0, t1 = llama_cpp.llama_perf_context(ctx), time.perf_counter()
        for _ in range(n_shots):
            for _ in b.ask_all(frames, qs):
                pass
        p1, first = llama_cpp.llama_perf_context(ctx), (time.perf_counter() - t1) / n_shots
        per_token = (p1.t_p_eval_ms - p0.t_p_eval_ms) / 1e3 / max(1, p1.n_p_eval - p0.n_p_eval)
        # the synthetic vocabulary is byte-level: a question's suffix is ~5 x longer than Qwen's
        # BPE makes it (SUFFIX_TOKENS); the excess is taken off at the measured prompt-token cost
        excess = max(0.0, done["suffix_tokens"] - len(qs) * SUFFIX_TOKENS) * per_token
        steps = done["decoded_tokens"] / len(qs)
        yield (f"  {preset:<5} 10 frames {w}x{h}: {secs:.2f} s/shot, {60 / secs:.1f} shots/min, "
               f"{done['decoded_tokens'] / secs:.1f} answer tokens/s over all questions, "
               f"{done['decode_calls']:.0f} question llama_decode calls/shot (parallel {b.parallel}), "
               f"VRAM used {_vram()}, n_ctx {b.n_ctx}")
        yield (f"        of which before the first answer token {first:.2f} s (vision + prefix "
               f"{done['prefix_tokens']:.0f} + suffixes {done['suffix_tokens']:.0f} tokens at "
               f"{per_token * 1e6:.0f} us a prompt token), answers {secs - first:.2f} s "
               f"({steps:.0f} steps, {(secs - first) / max(1.0, steps) * 1e3:.1f} ms a step for {len(qs)} questions); "
               f"with Qwen's BPE suffixes ({len(qs)} x {SUFFIX_TOKENS}): {secs - excess:.2f} s/shot")
        b.close()


def host_step_ms(vocab: int = 152064, branches: int = 15, steps: int = 200, pieces: bool = True) -> float:
    """camtag's own work in one lock-step decode step of ``llamacpp_batch.run_group`` (argmax of
    each branch's logit row, the new token's text, the stop and letter checks), in ms, on
    Qwen-sized rows (the llama.cpp decode itself excluded). ``pieces``: the new token's bytes
    appended to a tail (as run_group does); False: the last 24 tokens detokenized again (before)."""
    import ctypes

    import llama_cpp
    import numpy as np

    from camtag.reasoner import decoding
    from camtag.reasoner.llamacpp_batch import TAIL_BYTES, TAIL_TOKENS
    from camtag.reasoner.tiny_models import write_tiny_gguf

    with tempfile.TemporaryDirectory() as tmp:
        model, _ = write_tiny_gguf(tmp, seed=1)
        llm = llama_cpp.Llama(str(model), n_ctx=64, verbose=False, vocab_only=True)
        buf = (ctypes.c_float * (vocab * branches))()
        np.ctypeslib.as_array(buf)[:] = np.random.default_rng(0).standard_normal(vocab * branches)
        watch = [decoding.LetterWatch(None, "AB") for _ in range(branches)]
        out = [[int(t) for t in np.random.default_rng(i).integers(40, 120, 64)] for i in range(branches)]
        tails, cache, n_vocab = [b"x" * TAIL_BYTES] * branches, {}, llm.n_vocab()
        t0 = time.perf_counter()
        for _ in range(steps):
            for s in range(branches):
                row = np.ctypeslib.as_array(ctypes.cast(ctypes.byref(buf, 4 * vocab * s),
                                                        ctypes.POINTER(ctypes.c_float)), shape=(vocab,))
                tok = int(np.argmax(row))
                if pieces:
                    tok %= n_vocab                        # the tiny model's vocabulary is smaller
                    got = cache.get(tok)
                    if got is None:
                        got = cache[tok] = bytes(llm.detokenize([tok]))
                    tails[s] = (tails[s] + got)[-TAIL_BYTES:]
                    text = tails[s].decode("utf-8", "ignore")
                else:
                    text = llm.detokenize(out[s][-TAIL_TOKENS:]).decode("utf-8", "ignore")
                watch[s].step(text, row, tok)
                decoding.finished(text)
        llm.close()
    return (time.perf_counter() - t0) / steps * 1e3


def work_counts() -> list[str]:
    """Tokens llama.cpp evaluates for one 8-frame shot in thorough mode, with and without reuse."""
    try:
        import llama_cpp

        from camtag.media.frames import ShotFrame
        from camtag.reasoner.tiny_models import write_tiny_gguf
    except ImportError as exc:
        return [f"work per shot: skipped ({exc})"]
    import numpy as np

    rng = np.random.default_rng(0)
    frames = [ShotFrame(i, i, rng.integers(0, 255, (336, 588, 3), dtype=np.uint8)) for i in range(8)]
    qs = question_plan.questions(Shot(0, 0, 8), "thorough")
    lines = ["work per shot (tiny random GGUF, real llama.cpp, 8 frames 588x336 = the fast preset's 252 tokens, "
             "thorough = 15 questions, 8 answer tokens each; the tiny byte-level vocabulary makes each question "
             "suffix ~720 tokens where Qwen's BPE makes ~150):"]
    with tempfile.TemporaryDirectory() as tmp:
        model, mmproj = write_tiny_gguf(tmp, seed=1)
        runs = (("questions decoded together", {"parallel_questions": 15}), ("one after another", {"parallel_questions": 1}),
                ("prefill per question (anchor)", {"prefix_reuse": False}))
        for label, over in runs:
            b = create("llamacpp", {"model_path": str(model), "mmproj_path": str(mmproj), "n_threads": 1,
                                    "max_new_tokens": 8, **over})
            b.load()
            p0 = llama_cpp.llama_perf_context(b._llm._ctx.ctx)
            t0 = time.perf_counter()
            longest = max(r.completion_tokens or 0 for r in b.ask_all(frames, qs))
            secs = time.perf_counter() - t0
            p1 = llama_cpp.llama_perf_context(b._llm._ctx.ctx)
            w, n_batch = dict(b.work), b._llm.n_batch
            b.close()
            evaluated = (p1.n_p_eval + p1.n_eval) - (p0.n_p_eval + p0.n_eval)
            once = w["prefix_tokens"] // w["prefills"]
            ideal = once + w["suffix_tokens"] + w["decoded_tokens"]
            lines.append(f"  {label:<30} images encoded {w['images']:>3} (frames 8), prefills {w['prefills']:>2}, "
                         f"prefix {once} tokens, suffixes {w['suffix_tokens']}, decoded {w['decoded_tokens']}; "
                         f"llama.cpp evaluated {evaluated} = {evaluated / ideal:.2f} x (prefix once + suffixes + "
                         f"decoded); question llama_decode calls {w['decode_calls']} (suffixes / n_batch "
                         f"{-(-w['suffix_tokens'] // n_batch)} + longest answer {longest}); {secs:.2f} s on this CPU")
    return lines


# Cited constants for the projection (approximate; Qwen2.5-7B Q4_K_M is within ~15 % of LLaMA-7B Q4_0):
# - RTX 4090, llama.cpp CUDA, LLaMA-7B Q4_0: prompt ~14,000 tokens/s (pp512), generation ~180 tokens/s
#   (tg128); ggml-org/llama.cpp discussion #15013 "Performance of llama.cpp on NVIDIA CUDA".
# - M2 Max (38-core GPU), llama.cpp Metal, LLaMA-7B Q4_0: prompt ~671 tokens/s (pp512), generation
#   ~66 tokens/s (tg128); ggml-org/llama.cpp discussion #4167 "Performance of llama.cpp on Apple Silicon".
# - Batched decode step (the questions decoded together, one token each): RTX 4090, llama 8B Q4_0,
#   ubatch 15 -> 1,738 tokens/s (ggml-org/llama.cpp PR #15131 table), i.e. 8.6 ms a step for 15
#   sequences vs 5.6 ms for one (tg128 above): x1.55. No published M2 Max figure: the same ratio assumed.
#   Past 16 sequences: a step for 32 took 1.04 x one for 16 (LLaMA-7B, ggml-org/llama.cpp
#   examples/batched-bench/README.md sample table: 465 vs 242 tokens/s), extrapolated linearly.
# - Cost of the cached context a step reads: RTX 4090, llama 8B Q4_0, one token at depth 32,768 ->
#   98 tokens/s (ggml-org/llama.cpp PR #17505 table) vs 180 at depth 0: +0.14 us a cached token a step;
#   M2 Max scaled by memory bandwidth (1,008 vs 400 GB/s).
# - Vision tower: Qwen2.5-VL ViT ~0.67 B parameters -> ~1.3 GFLOP per 14x14 patch (4 patches a token);
#   throughput assumed 40 % of dense FP16 peak: RTX 4090 165 TFLOPS -> 66, M2 Max 13.6 -> 5.4 TFLOPS.
# - Answer length: ~300 tokens of observation/think/answer (CamReasoner's samples average ~1,026
#   characters, shared/reference/camreasoner.md section 5); each question's suffix ~150 tokens.
DEVICES = {"RTX 4090": (14000.0, 180.0, 66e12, 1.0), "M2 Max": (671.0, 66.0, 5.4e12, 1008 / 400)}
ANSWER_TOKENS, SUFFIX_TOKENS, SYSTEM_TOKENS = 300, 150, 30
BATCH15_STEP = (15 / 1738) / (1 / 180)          # one decode step for 15 sequences vs one
DEPTH_S = (1 / 98.14 - 1 / 180) / 32768          # seconds a cached token adds to a step (RTX 4090)
# `benchmarks/gpu.sh` on one H200 (2026-12-04), thorough, questions decoded together, 300 answer
# tokens, suffixes corrected to Qwen's BPE length (RESULTS.md, "Measured on a GPU")
MEASURED_H200 = {"fast": 3.76, "eval": 7.52}


def step_seconds(tg: float, kv_scale: float, n_seq: int, depth: float) -> float:
    """One decode step for ``n_seq`` sequences together over ``depth`` cached tokens."""
    batch = 1 + (BATCH15_STEP - 1) * min(n_seq - 1, 14) / 14 if n_seq > 1 else 1.0
    batch *= 1 + 0.04 * max(0, n_seq - 16) / 16
    return batch / tg + depth * DEPTH_S * kv_scale


def cost_table() -> list[str]:
    lines = ["cost per shot (projection from cited constants; a 10-s 1080p shot at 1 fps):",
             f"  {'preset':<6} {'mode':<14} {'frames':>6} {'tok/frame':>9} {'prefill':>8} {'steps seq':>9} "
             f"{'batch':>5}" + "".join(f" {d + ' seq':>14} {d + ' batch':>14}" for d in DEVICES)]
    for name in PRESETS:
        b = budget_from_settings({"preset": name})
        frames = min(b.max_frames, 10)
        w, h = b.size_for(1920, 1080)
        per = (w // 28) * (h // 28)
        for mode, n_q in (("plan", 3), ("thorough", 15), ("thorough+setup", 35)):
            prefix = SYSTEM_TOKENS + frames * per
            prefill = prefix + n_q * SUFFIX_TOKENS
            cells = []
            for pp, tg, flops, kv_scale in DEVICES.values():
                fixed = frames * per * 4 * 1.3e9 / flops + prefill / pp
                seq = n_q * ANSWER_TOKENS * step_seconds(tg, kv_scale, 1, prefix + SUFFIX_TOKENS + ANSWER_TOKENS / 2)
                together = ANSWER_TOKENS * step_seconds(tg, kv_scale, n_q, prefix + n_q * (SUFFIX_TOKENS + ANSWER_TOKENS / 2))
                cells += [f"{fixed + seq:>13.1f}s", f"{fixed + together:>13.1f}s"]
            lines.append(f"  {name:<6} {mode:<14} {frames:>6} {per:>9} {prefill:>8} {n_q * ANSWER_TOKENS:>9} "
                         f"{ANSWER_TOKENS:>5} " + " ".join(cells))
    lines.append("  seq = questions decoded one after another from the cached prefix (parallel_questions=1); batch = "
                 "decoded together, one step a token for all questions (the llamacpp and transformers backends' "
                 "default, llama-server -np N, vLLM)")
    lines.append("  measured, not projected (one H200, llama.cpp CUDA, the synthetic 7B, thorough, batch; "
                 "benchmarks/RESULTS.md 2026-12-04): " + ", ".join(f"{k} {v:.1f}s" for k, v in MEASURED_H200.items())
                 + ": the H200's step for 15 sequences (10.1 ms, with the synthetic model's longer suffixes "
                 "cached) is close to the 4090 projection's 9.6 ms although an H200 reads memory 4.8x faster: "
                 "the step is not bandwidth-bound, and the 4090 projection is optimistic")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--append", action="store_true", help="append the output to benchmarks/RESULTS.md")
    ap.add_argument("--model", help="a folder with a GGUF + mmproj pair (e.g. `camtag models synth ... -o DIR`): "
                                    "measure seconds per shot, tokens/s and VRAM with it instead")
    ap.add_argument("--shots", type=int, default=3, help="shots to time with --model")
    ap.add_argument("--max-new-tokens", type=int, default=300,
                    help="answer tokens a question with --model (random weights never close </answer>; ~300 is "
                         "CamReasoner's typical O-T-A length)")
    ap.add_argument("--presets", default="fast,eval", help="presets to time with --model")
    args = ap.parse_args()
    if args.model:          # line by line: a lease that ends mid-run keeps what was measured
        lines = []
        for line in model_speed(Path(args.model), args.shots, args.max_new_tokens, args.presets.split(",")):
            print(line, flush=True)
            lines.append(line)
        text = "\n".join(lines) + "\n"
    else:
        out = io.StringIO()
        with redirect_stdout(out):
            run()
        text = out.getvalue()
        print(text, end="")
    if args.append:
        sys.path.insert(0, str(Path(__file__).parent))
        from _common import append_results
        append_results("Reasoner engine II (issue 17)", "```\n" + text + "```")
    return 0


def run() -> None:
    hw = hardware()
    gpu = bool(hw["cuda"] or hw["mps"] or hw["llama_gpu_offload"])
    print(f"reasoner benchmark, {datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} (other jobs share the cores)")
    llama = None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            from camtag.reasoner.tiny_models import write_tiny_gguf

            model, mmproj = write_tiny_gguf(tmp, reply="<observation>o</observation><think>t</think><answer>B</answer>")
            llama = create("llamacpp", {"model_path": str(model), "mmproj_path": str(mmproj), "n_threads": 1,
                                        "max_new_tokens": 16})
            if llama.availability() != "ok":
                llama = None
        except ImportError:
            llama = None
        if not gpu:
            print("NO GPU: CamReasoner-7B speed (s/shot, tokens/s, VRAM) cannot be measured on this machine.")
            print("Measured instead: per-shot pipeline overhead around the model, target <= 50 ms/shot.")
        print(f"shots of {SHOT_SECONDS} s, 1 fps, <= 8 frames, <= 448x252 px (the sampler's own default budget); "
              "plan-mode questions; times in ms per shot; "
              "open = once per file: file open + packet scan, or [cache] the cache's share of the decode pass")
        cols = ("clip", "size", "shots", "frames", "open", "extract", "encode", "prompt", "parse_fuse", "total",
                "ratio", "model")
        print(f"{cols[0]:<48}{cols[1]:>10}{cols[2]:>6}{cols[3]:>7}" + "".join(f"{c:>11}" for c in cols[4:]))
        media = shared_media()
        clips = [media / "shots" / "pyscenedetect_testvideo.mp4", media / "shots" / "pyscenedetect_goldeneye-vfr-drop3.mp4",
                 media / "shots" / "pyscenedetect_issue-134-rotate.mp4", media / "camera" / "camerabench_3pxrECZYEAA.2.3.gif"]
        totals = {False: [], True: []}
        for cached in (False, True):
            for clip in clips:
                r = overhead(clip, None if cached else llama, cached)
                totals[cached].append(r["total"])
                model = f"{r['model']:.1f}" if r["model"] is not None else "-"
                print(f"{r['clip']:<48}{r['size']:>10}{r['shots']:>6}{r['frames']:>7.1f}"
                      + "".join(f"{r[k]:>11.1f}" for k in ("open", "extract", "encode", "prompt", "parse_fuse", "total"))
                      + f"{r['ratio']:>11.2f}{model:>11}")
        if llama is not None:
            llama.close()
    for cached, label in ((False, "seeking (no cache)"), (True, "frames cached in the decode pass")):
        t = totals[cached]
        print(f"overhead per shot, {label}: mean {statistics.mean(t):.1f} ms, worst clip {max(t):.1f} ms "
              f"(target <= 50 ms): {'met' if max(t) <= 50 else 'NOT met'}")
    print("ratio = frame extraction time / decoding every frame of the same shots with PyAV (anchor)")
    print("model = the tiny random GGUF answering the shot's plan-mode questions from one prefill (n_threads=1), "
          "for scale only")
    for line in work_counts():
        print(line)
    print(f"camtag's host work in one lock-step decode step, 15 branches, 152,064-entry logit rows "
          f"(argmax, the token's text, stop and letter checks; llama.cpp's decode excluded): {host_step_ms():.2f} ms "
          f"(re-detokenizing the last 24 tokens, as before: {host_step_ms(pieces=False):.2f} ms)")
    for line in cost_table():
        print(line)
    if gpu:
        for line in gpu_runs(hw):
            print(line)


if __name__ == "__main__":
    sys.exit(main())
