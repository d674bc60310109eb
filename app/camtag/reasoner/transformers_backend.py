"""In-process transformers backend: ``Qwen2_5_VLForConditionalGeneration`` from a safetensors folder.

Precision: bitsandbytes 4-bit NF4 when CUDA is present (and bitsandbytes installed), half
precision on a GPU otherwise (bf16 from Ampere on, else fp16; fp16 on Apple MPS), float32 on the
CPU. Always ``local_files_only=True``, ``trust_remote_code=False``, ``use_safetensors=True``.

Frames go in as one video by default (Qwen's temporal path, ``fps`` = the rate the frames were
taken at, an even frame count); ``frames_as="images"`` sends them as separate images like
CamReasoner's own evaluation (about twice the tokens). Greedy decoding.
"""

from __future__ import annotations

import gc
import importlib.util
import time
from pathlib import Path
from typing import Sequence

from camtag.media.frames import FrameBudget, ShotFrame, frames_fps
from camtag.reasoner.base import DEFAULT_MAX_NEW_TOKENS, ReasonerError, Reply
from camtag.reasoner.model_files import check_hf_folder
from camtag.reasoner.prompts import Question

MIN_TRANSFORMERS = (4, 49)


def transformers_status() -> str:
    for module, pip in (("torch", "torch torchvision"), ("transformers", "transformers"),
                        ("safetensors", "safetensors"), ("PIL", "pillow")):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install {pip})"
    from importlib.metadata import version

    v = version("transformers")
    parts = tuple(int("".join(c for c in p if c.isdigit()) or 0) for p in v.split(".")[:2])
    if parts < MIN_TRANSFORMERS:
        return f"transformers {v} is too old for Qwen2.5-VL (need >= 4.49)"
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
        self.budget = FrameBudget.from_settings(self.settings)
        self.max_new_tokens = int(self.settings.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
        self.frames_as = self.settings.get("frames_as", "video")
        if self.frames_as not in ("video", "images"):
            raise ValueError("frames_as must be 'video' or 'images'")
        self._model = None
        self._processor = None
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
        kw = dict(local_files_only=True, trust_remote_code=False)
        try:
            self._processor = AutoProcessor.from_pretrained(folder, **kw)
            load_kw = dict(kw, use_safetensors=True, dtype=self.plan["dtype"])
            if self.plan["four_bit"]:
                from transformers import BitsAndBytesConfig

                load_kw["quantization_config"] = BitsAndBytesConfig(
                    load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                    bnb_4bit_compute_dtype=self.plan["dtype"])
                load_kw["device_map"] = "auto"
            model = Qwen2_5_VLForConditionalGeneration.from_pretrained(folder, **load_kw)
            if not self.plan["four_bit"]:
                model = model.to(self.plan["device"])
            self._model = model.eval()
        except torch.cuda.OutOfMemoryError:
            self.close()
            raise ReasonerError("out of GPU memory while loading the model; use 4-bit (install bitsandbytes) "
                                "or the llamacpp backend with a Q4_K_M GGUF") from None
        except (OSError, ValueError, RuntimeError, KeyError, ImportError) as exc:
            self.close()
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ReasonerError(f"{folder}: transformers could not load it ({first[:300]})") from None
        for proc in (getattr(self._processor, "image_processor", None),
                     getattr(self._processor, "video_processor", None)):
            if proc is not None and hasattr(proc, "size"):
                proc.size = {"shortest_edge": 56 * 56, "longest_edge": self.budget.max_pixels}

    def _inputs(self, frames: Sequence[ShotFrame], question: Question):
        from PIL import Image

        images = [Image.fromarray(f.image) for f in frames]
        proc = self._processor
        if self.frames_as == "video":
            if len(images) % 2:
                images.append(images[-1])        # Qwen pairs frames in time; an even count avoids padding
            msgs = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": question.text}]}]
            text = proc.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
            return proc(text=[text], videos=[images], fps=frames_fps(frames), do_sample_frames=False,
                        return_tensors="pt")
        msgs = [{"role": "user", "content": [*({"type": "image"} for _ in images),
                                             {"type": "text", "text": question.text}]}]
        text = proc.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        return proc(text=[text], images=images, return_tensors="pt")

    def ask(self, frames: Sequence[ShotFrame], question: Question) -> Reply:
        self.load()
        import torch

        start = time.perf_counter()
        try:
            inputs = self._inputs(frames, question).to(self._model.device)
            with torch.inference_mode():
                out = self._model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                           num_beams=1)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            raise ReasonerError("out of GPU memory during generation; lower max_frames or max_side") from None
        except (RuntimeError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ReasonerError(f"transformers generation failed: {first[:300]}", fatal=False) from None
        n_in = inputs["input_ids"].shape[1]
        new = out[0, n_in:]
        text = self._processor.decode(new, skip_special_tokens=True)
        return Reply(text, time.perf_counter() - start, int(n_in), int(new.shape[0]))

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
