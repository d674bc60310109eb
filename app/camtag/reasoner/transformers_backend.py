"""In-process transformers backend: ``Qwen2_5_VLForConditionalGeneration`` from a safetensors folder.

Precision: bitsandbytes 4-bit NF4 when CUDA is present (and bitsandbytes installed), half
precision on a GPU otherwise (bf16 from Ampere on, else fp16; fp16 on Apple MPS), float32 on the
CPU. Always ``local_files_only=True``, ``trust_remote_code=False``, ``use_safetensors=True``.

4-bit skips the vision tower and ``lm_head`` (``llm_int8_skip_modules``), as bitsandbytes
quantization of the ViT costs accuracy for little memory. ``dtype=`` is passed on transformers
>= 4.56 and ``torch_dtype=`` before (4.49-4.55 reject ``dtype``).

Frames go in as separate images at the preset's size, like CamReasoner's own evaluation (never
as one video). One prefill per shot: the system turn and the frames are run once (the vision
tower encodes each frame once) and their ``past_key_values`` kept; each question cuts the cache
back to the prefix (``DynamicCache.crop``) and runs only its own suffix and answer, with the
M-RoPE position offset (``rope_deltas``) of the prefix. The questions run as one batch over that
prefix and their answers are decoded in lock-step (:mod:`transformers_batch`; setting
``parallel_questions``, 1 = one after another); greedy decoding stops each at ``</answer>`` and
reads the answer letter's probability from the logits.
"""

from __future__ import annotations

import gc
import importlib.util
import time
from pathlib import Path
from typing import Iterator, Sequence

from camtag.media.frames import ShotFrame
from camtag.reasoner import decoding
from camtag.reasoner.base import DEFAULT_MAX_NEW_TOKENS, FramesTooMany, ReasonerError, Reply, new_work
from camtag.reasoner.inputs import MIN_PIXELS, budget_from_settings
from camtag.reasoner.model_files import check_hf_folder
from camtag.reasoner.prompts import Question
from camtag.reasoner.transformers_batch import Branch, run_group

MIN_TRANSFORMERS = (4, 49)
DTYPE_KEYWORD_FROM = (4, 56)       # from_pretrained(dtype=...) before that it is torch_dtype=
SKIP_4BIT = ["visual", "lm_head"]  # module names kept in full precision under 4-bit


def transformers_version() -> tuple[int, int]:
    from importlib.metadata import version

    v = version("transformers")
    return tuple(int("".join(c for c in p if c.isdigit()) or 0) for p in v.split(".")[:2])


def dtype_keyword(version: tuple[int, int]) -> str:
    return "dtype" if version >= DTYPE_KEYWORD_FROM else "torch_dtype"


def transformers_status() -> str:
    for module, pip in (("torch", "torch torchvision"), ("transformers", "transformers"),
                        ("safetensors", "safetensors"), ("PIL", "pillow")):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install {pip})"
    parts = transformers_version()
    if parts < MIN_TRANSFORMERS:
        return f"transformers {'.'.join(map(str, parts))} is too old for Qwen2.5-VL (need >= 4.49)"
    return "ok"


def device_plan(torch, settings: dict) -> dict:
    """Where and how to load: device, dtype, 4-bit or not, and why."""
    want = settings.get("device", "auto")
    quant = settings.get("quantization", "auto")         # auto | 4bit | none
    if want in ("auto", "cuda") and torch.cuda.is_available():
        major, _ = torch.cuda.get_device_capability(0)
        half = torch.bfloat16 if major >= 8 else torch.float16
        has_bnb = importlib.util.find_spec("bitsandbytes") is not None
        use_4bit = quant != "none" and has_bnb and major >= 6
        if quant == "4bit" and not use_4bit:
            raise ReasonerError("4-bit needs bitsandbytes and a CUDA GPU of compute capability >= 6.0")
        return {"device": "cuda", "dtype": half, "four_bit": use_4bit,
                "why": "CUDA, 4-bit NF4 (bitsandbytes)" if use_4bit else f"CUDA, {str(half)[6:]}"}
    if quant == "4bit":
        raise ReasonerError("4-bit loading needs CUDA (no CUDA GPU is visible)")
    mps = getattr(torch.backends, "mps", None)
    if want in ("auto", "mps") and mps is not None and mps.is_available():
        return {"device": "mps", "dtype": torch.float16, "four_bit": False, "why": "Apple Metal (MPS), float16"}
    return {"device": "cpu", "dtype": torch.float32, "four_bit": False, "why": "CPU, float32 (slow for 7B)"}


class TransformersBackend:
    name = "transformers"

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = dict(settings or {})
        self.budget = budget_from_settings(self.settings)
        self.max_new_tokens = int(self.settings.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
        self.reuse = bool(self.settings.get("prefix_reuse", True))
        # questions decoded together (one batch over the cached prefix); 1 = one after another
        self.parallel = max(1, int(self.settings.get("parallel_questions", 64))) if self.reuse else 1
        self._pad_id = 0
        self.work = new_work()
        self.vision_images = 0                 # images the vision tower encoded (counted by a hook)
        self._model = None
        self._processor = None
        self._letters = None
        self._eos: set[int] = set()
        self._cache_kw = "past_key_values"
        self.plan: dict = {}

    def folder(self) -> str | None:
        path = self.settings.get("hf_model_dir")
        if path:
            return str(path)
        from camtag import models_registry

        return models_registry.find_hf_folder(self.settings)

    @property
    def model_id(self) -> str:
        folder = self.folder()
        return f"transformers:{Path(folder).name}" if folder else "transformers:(no model)"

    def availability(self) -> str:
        status = transformers_status()
        if status != "ok":
            return status
        folder = self.folder()
        if not folder:
            return "no CamReasoner safetensors folder found (`camtag models pull camreasoner-7b` or set hf_model_dir)"
        if not Path(folder).is_dir():
            return f"{folder}: folder not found"
        return "ok"

    def load_kwargs(self, torch) -> dict:
        """``from_pretrained`` arguments for this device plan and transformers version (the call
        itself says ``local_files_only=True, trust_remote_code=False``, where a scan can see it)."""
        kw: dict = dict(use_safetensors=True)
        kw[dtype_keyword(transformers_version())] = self.plan["dtype"]
        if self.plan["four_bit"]:
            from transformers import BitsAndBytesConfig

            kw["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=self.plan["dtype"], llm_int8_skip_modules=list(SKIP_4BIT))
            kw["device_map"] = "auto"
        return kw

    def load(self) -> None:
        if self._model is not None:
            return
        status = transformers_status()
        if status != "ok":
            raise ReasonerError(status)
        folder = self.folder()
        if not folder:
            raise ReasonerError(self.availability())
        check_hf_folder(folder)
        import torch
        import transformers
        from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration

        if not self.settings.get("verbose"):
            transformers.utils.logging.set_verbosity_error()
            transformers.utils.logging.disable_progress_bar()
        if self.settings.get("n_threads"):
            torch.set_num_threads(int(self.settings["n_threads"]))
        self.plan = device_plan(torch, self.settings)
        try:
            self._processor = AutoProcessor.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
            model = Qwen2_5_VLForConditionalGeneration.from_pretrained(
                folder, local_files_only=True, trust_remote_code=False, **self.load_kwargs(torch))
            if not self.plan["four_bit"]:
                model = model.to(self.plan["device"])
            self._model = model.eval()
        except torch.cuda.OutOfMemoryError:
            self.close()
            raise ReasonerError("out of GPU memory while loading the model; use 4-bit (install bitsandbytes) "
                                "or the llamacpp backend with a Q4_K_M GGUF") from None
        except (OSError, ValueError, RuntimeError, KeyError, ImportError, TypeError) as exc:
            self.close()
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ReasonerError(f"{folder}: transformers could not load it ({first[:300]})") from None
        proc = self._processor.image_processor
        proc.size = {"shortest_edge": MIN_PIXELS, "longest_edge": self.budget.max_pixels}
        if transformers_version() < (5, 0):
            proc.min_pixels, proc.max_pixels = MIN_PIXELS, self.budget.max_pixels   # the 4.x names
        # the KV cache argument is `cache` from 5.x (``past_key_values`` deprecated), else `past_key_values`
        import inspect

        self._cache_kw = "cache" if "cache" in inspect.signature(self._model.forward).parameters else "past_key_values"
        tok = self._processor.tokenizer
        self._letters = decoding.LetterIds(lambda t: tok.encode(t, add_special_tokens=False))
        ends = (tok.eos_token_id, *(tok.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>")))
        self._eos = {i for i in ends
                     if isinstance(i, int) and i >= 0 and i != tok.unk_token_id}
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        self._pad_id = int(pad) if isinstance(pad, int) and pad >= 0 else 0   # masked out, never attended
        visual = self._model.visual if hasattr(self._model, "visual") else self._model.model.visual
        visual.register_forward_hook(self._count_vision, with_kwargs=True)

    def _count_vision(self, module, args, kwargs, output) -> None:
        grid = kwargs.get("grid_thw", args[1] if len(args) > 1 else None)
        self.vision_images += int(grid.shape[0]) if grid is not None and hasattr(grid, "shape") else 1

    def _prefix(self, frames: Sequence[ShotFrame]):
        from PIL import Image

        images = [Image.fromarray(f.image) for f in frames]
        msgs = [{"role": "user", "content": [*({"type": "image"} for _ in images),
                                             {"type": "text", "text": decoding.SENTINEL}]}]
        rendered = self._processor.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        prefix, tail = decoding.split_template(rendered)
        return self._processor(text=[prefix], images=images, return_tensors="pt"), tail

    def _forward(self, cache, **inputs):
        import torch

        with torch.inference_mode():
            out = self._model(**inputs, **{self._cache_kw: cache}, use_cache=True, return_dict=True)
        return (out.cache if self._cache_kw == "cache" else out.past_key_values), out.logits[0, -1].float()

    def _prefill(self, frames: Sequence[ShotFrame]):
        import torch

        inputs, tail = self._prefix(frames)
        inputs = inputs.to(self._model.device)
        n = int(inputs["input_ids"].shape[1])
        # cache_position from 0 makes every version recompute the M-RoPE index (and rope_deltas)
        # for this shot's frames instead of reusing the previous shot's offset
        cache, _ = self._forward(None, **inputs, cache_position=torch.arange(n, device=self._model.device))
        inner = self._model.model if hasattr(self._model.model, "rope_deltas") else self._model
        # text after the frames sits at M-RoPE position (cache index + rope_deltas) on all 3 axes;
        # passing it explicitly avoids each version's own fallback (4.56 adds in place into an expand())
        delta = int(inner.rope_deltas.reshape(-1)[0]) if inner.rope_deltas is not None else 0
        self.work["prefills"] += 1
        self.work["images"] += len(frames)
        self.work["prefix_tokens"] += n
        return cache, n, tail, delta

    def ask_all(self, frames: Sequence[ShotFrame], questions: Sequence[Question]) -> Iterator[Reply]:
        self.load()
        import copy

        import torch

        self.work["shots"] += 1
        tok = self._processor.tokenizer
        state, done = None, 0
        while done < len(questions):
            start = time.perf_counter()
            group = list(questions[done:done + self.parallel])
            try:
                if state is None or not self.reuse:
                    state = self._prefill(frames)
                cache, n_prefix, tail, delta = state
                more = self.reuse and done + len(group) < len(questions)
                branches = [Branch(tok.encode(q.text + tail, add_special_tokens=False),
                                   decoding.LetterWatch(self._letters, [letter for letter, _ in q.letters]))
                            for q in group]
                run_group(self._model, self._cache_kw, copy.deepcopy(cache) if more else cache, n_prefix, delta,
                          branches, eos=self._eos, pad_id=self._pad_id, max_new_tokens=self.max_new_tokens,
                          work=self.work, detokenize=lambda ids: tok.decode(ids, skip_special_tokens=True))
                if not more:
                    state = None
            except torch.cuda.OutOfMemoryError:
                state = None
                torch.cuda.empty_cache()
                raise FramesTooMany(f"out of GPU memory with {len(frames)} frames at preset "
                                    f"{self.budget.preset}") from None
            except (RuntimeError, ValueError, IndexError) as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise ReasonerError(f"transformers generation failed: {first[:300]}", fatal=False) from None
            seconds = (time.perf_counter() - start) / len(group)
            for b in branches:
                yield Reply(b.text, seconds, n_prefix + len(b.suffix), len(b.out), letter_probs=b.watch.probs,
                            problems=tuple(b.problems))
            done += len(group)

    def ask(self, frames: Sequence[ShotFrame], question: Question) -> Reply:
        return next(iter(self.ask_all(frames, [question])))

    def close(self) -> None:
        had = self._model is not None
        self._model = None
        self._processor = None
        if had:
            gc.collect()
            try:
                import torch

                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
            except Exception:
                pass
