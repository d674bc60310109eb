"""In-process llama.cpp backend: GGUF text model + f16 mmproj via llama-cpp-python ≥ 0.3.36.

Frames go in as separate images (CamReasoner's evaluation path) through the Qwen2.5-VL chat
handler, one user turn, images first, then the O-T-A text; greedy decoding. All layers are
offloaded when the build supports GPU offload (CUDA, Metal, Vulkan, HIP). The context is sized
from frames × image tokens + prompt + answer, and each image is capped at the token count of
the frame budget (``image_max_tokens``, which the stock handler does not expose).

The files are checked (headers, truncation, mmproj/text width) before llama.cpp sees them,
because llama.cpp aborts the process on some mismatches.
"""

from __future__ import annotations

import atexit
import os
import time
import weakref
from pathlib import Path
from typing import Sequence

from camtag.media.frames import FrameBudget, ShotFrame, data_uri
from camtag.reasoner.base import DEFAULT_MAX_NEW_TOKENS, ReasonerError, Reply
from camtag.reasoner.model_files import check_gguf_pair
from camtag.reasoner.prompts import Question

MIN_VERSION = (0, 3, 36)
TEMPLATE_TOKENS = 32          # chat markup around the system turn, the user turn and the vision markers


def _version_tuple(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


def llama_cpp_status() -> tuple[str, bool]:
    """("ok" or why not, GPU offload compiled in)."""
    try:
        import llama_cpp
    except ImportError:
        return "llama-cpp-python is not installed (pip install 'llama-cpp-python>=0.3.36')", False
    except Exception as exc:  # a broken native build
        return f"llama-cpp-python cannot be imported: {exc}", False
    version = getattr(llama_cpp, "__version__", "0")
    if _version_tuple(version) < MIN_VERSION:
        return f"llama-cpp-python {version} is too old (need >= 0.3.36 for Qwen2.5-VL frames)", False
    try:
        gpu = bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        gpu = False
    return "ok", gpu


def context_size(frames: int, tokens_per_frame: int, max_new_tokens: int, prompt_tokens: int) -> int:
    """KV cells for one question: every image token (+2 vision markers a frame), the prompt, the answer."""
    need = frames * (tokens_per_frame + 2) + prompt_tokens + TEMPLATE_TOKENS + max_new_tokens
    return (need + 255) // 256 * 256


def longest_prompt_tokens(model_path: str) -> int:
    """Tokens of the default system message plus the longest question, with the model's own vocabulary."""
    from llama_cpp import Llama

    from camtag.reasoner.prompts import PRIMITIVES, binary, dominant

    texts = [dominant().text] + [binary(p.split).text for p in PRIMITIVES]
    try:
        from llama_cpp._utils import suppress_stdout_stderr
    except ImportError:                              # private helper; only hides a context warning
        from contextlib import nullcontext

        def suppress_stdout_stderr(disable=True):
            return nullcontext()
    with suppress_stdout_stderr(disable=False):
        vocab = Llama(model_path=model_path, vocab_only=True, verbose=False)
    try:
        return max(len(vocab.tokenize(("You are a helpful assistant." + t).encode("utf-8"), add_bos=False,
                                      special=True)) for t in texts)
    finally:
        vocab.close()


def _frames_handler_class():
    from llama_cpp.llama_chat_format import Qwen25VLChatHandler

    class _MtmdDefaults:
        """Proxy around ``llama_cpp.mtmd_cpp`` that overrides the context defaults."""

        def __init__(self, base, **over):
            self._base, self._over = base, over

        def __getattr__(self, name):
            return getattr(self._base, name)

        def _apply(self, params):
            for key, value in self._over.items():
                setattr(params, key, value)
            return params

        def mtmd_context_params_default(self):
            return self._apply(self._base.mtmd_context_params_default())

        def mtmd_init_from_file(self, path, model, params):
            # the stock handler sets use_gpu=True after reading the defaults: re-apply ours
            return self._base.mtmd_init_from_file(path, model, self._apply(params))

    class FramesHandler(Qwen25VLChatHandler):
        """Qwen2.5-VL handler with a per-image token cap, optional temporal merge, projector device.

        The stock template ends in ``<|im_start|>assistant\n``, but Jinja drops a template's
        final newline, so the model would be prompted with ``assistant`` and no newline, unlike
        Qwen's own template and training. An empty expression after it keeps the newline."""

        CHAT_FORMAT = Qwen25VLChatHandler.CHAT_FORMAT + "{{ '' }}"

        def __init__(self, clip_model_path, *, image_max_tokens=0, merge_frames=False, use_gpu=True, **kw):
            super().__init__(clip_model_path=clip_model_path, **kw)
            over = {"use_gpu": use_gpu}
            if image_max_tokens:
                over["image_max_tokens"] = int(image_max_tokens)
            self._mtmd_cpp = _MtmdDefaults(self._mtmd_cpp, **over)
            self.merge_frames = merge_frames

        def _create_bitmap_from_bytes(self, image_bytes):
            bitmap = super()._create_bitmap_from_bytes(image_bytes)
            if self.merge_frames:
                self._mtmd_cpp.mtmd_bitmap_set_mergeable(bitmap, True)
            return bitmap

    return FramesHandler


def _quiet_native_logs(verbose: bool) -> None:
    """Route mtmd's logging through llama-cpp-python's logger (silent unless verbose)."""
    try:
        from llama_cpp import _logger, mtmd_cpp

        _logger.set_verbose(verbose)
        mtmd_cpp.mtmd_log_set(_logger.llama_log_callback, None)
        mtmd_cpp.mtmd_helper_log_set(_logger.llama_log_callback, None)
    except Exception:
        pass


class LlamaCppBackend:
    name = "llamacpp"

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = dict(settings or {})
        self.budget = FrameBudget.from_settings(self.settings)
        self.max_new_tokens = int(self.settings.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
        self._llm = None
        self.gpu = False
        self.n_ctx = 0

    # -- files ---------------------------------------------------------------
    def files(self) -> tuple[str | None, str | None]:
        model = self.settings.get("model_path")
        mmproj = self.settings.get("mmproj_path")
        if not (model and mmproj):
            from camtag import models_registry

            found = models_registry.find_gguf_pair(self.settings)
            model = model or (found[0] if found else None)
            mmproj = mmproj or (found[1] if found else None)
        return (os.fspath(model) if model else None, os.fspath(mmproj) if mmproj else None)

    @property
    def model_id(self) -> str:
        model, _ = self.files()
        return f"llamacpp:{Path(model).name}" if model else "llamacpp:(no model)"

    def availability(self) -> str:
        status, _ = llama_cpp_status()
        if status != "ok":
            return status
        model, mmproj = self.files()
        if not model:
            return "no CamReasoner GGUF found (convert it: see models/README.md, then `camtag models add`)"
        if not mmproj:
            return f"no mmproj (vision projector) found next to {model} (set mmproj_path)"
        for path in (model, mmproj):
            if not os.path.exists(path):
                return f"{path}: file not found"
        return "ok"

    # -- lifecycle -----------------------------------------------------------
    def load(self) -> None:
        if self._llm is not None:
            return
        status, gpu = llama_cpp_status()
        if status != "ok":
            raise ReasonerError(status)
        model, mmproj = self.files()
        if not model or not mmproj:
            raise ReasonerError(self.availability())
        check_gguf_pair(model, mmproj)              # ModelFileError: one clear line, no abort
        from llama_cpp import Llama

        verbose = bool(self.settings.get("verbose", False))
        _quiet_native_logs(verbose)
        self.gpu = gpu and int(self.settings.get("n_gpu_layers", -1)) != 0
        tokens = self.budget.max_pixels // (28 * 28)
        threads = self.settings.get("n_threads")
        kw = {"n_threads": int(threads), "n_threads_batch": int(threads)} if threads else {}
        try:
            self.n_ctx = int(self.settings.get("n_ctx") or context_size(
                self.budget.max_frames, tokens, self.max_new_tokens, longest_prompt_tokens(model)))
            handler = _frames_handler_class()(
                clip_model_path=mmproj, image_max_tokens=tokens, verbose=verbose, use_gpu=self.gpu,
                merge_frames=bool(self.settings.get("merge_frames", False)))
            self._llm = Llama(model_path=model, chat_handler=handler, n_ctx=self.n_ctx,
                              n_gpu_layers=int(self.settings.get("n_gpu_layers", -1)) if self.gpu else 0,
                              seed=0, verbose=verbose, **kw)
        except (ValueError, RuntimeError, OSError, MemoryError) as exc:
            self._llm = None
            raise ReasonerError(_explain_load_error(exc, model, self.gpu)) from None
        # free native memory before interpreter shutdown closes stderr under llama-cpp-python
        atexit.register(_close_ref, weakref.ref(self))

    def ask(self, frames: Sequence[ShotFrame], question: Question) -> Reply:
        self.load()
        content = [{"type": "image_url", "image_url": {"url": data_uri(f)}} for f in frames]
        content.append({"type": "text", "text": question.text})
        start = time.perf_counter()
        try:
            out = self._llm.create_chat_completion(
                messages=[{"role": "user", "content": content}],
                max_tokens=self.max_new_tokens, temperature=0.0, top_k=1, seed=0)
        except (ValueError, RuntimeError, MemoryError) as exc:
            text = str(exc)
            fatal = "memory" in text.lower() or "alloc" in text.lower()
            if "exceed" in text.lower() or "llama_decode returned 1" in text:
                raise ReasonerError(f"prompt longer than the {self.n_ctx}-token context: lower max_frames or "
                                    "max_side, or raise n_ctx", fatal=False) from None
            raise ReasonerError(f"llama.cpp failed: {text.splitlines()[0] if text else type(exc).__name__}"
                                + ("; out of memory? lower max_frames/max_side" if fatal else ""),
                                fatal=fatal) from None
        usage = out.get("usage") or {}
        text = (out.get("choices") or [{}])[0].get("message", {}).get("content") or ""
        return Reply(text, time.perf_counter() - start, usage.get("prompt_tokens"),
                     usage.get("completion_tokens"))

    def close(self) -> None:
        if self._llm is not None:
            try:
                self._llm.close()
            finally:
                self._llm = None


def _close_ref(ref) -> None:
    backend = ref()
    if backend is not None:
        backend.close()


def _explain_load_error(exc: Exception, model: str, gpu: bool) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, MemoryError) or "memory" in text.lower() or "context" in text.lower():
        where = "GPU" if gpu else "system"
        return (f"could not allocate the model or its context in {where} memory ({text}); "
                "try a smaller quantization, fewer frames (max_frames) or smaller frames (max_side)")
    if "mtmd" in text or "clip" in text.lower():
        return f"the vision projector could not be loaded ({text}); is the mmproj made for this model?"
    return f"{model}: llama.cpp could not load it ({text}); the llama.cpp build may be too old or the file damaged"
