"""llama-cpp-python helpers for the llamacpp backend: the tested version range, context sizing
and the Qwen2.5-VL chat handler with a per-image token cap (private attributes of 0.3.36)."""

from __future__ import annotations

import os

MIN_VERSION = (0, 3, 36)
TESTED_BELOW = (0, 3, 37)     # first version not tested (private handler attributes may change)
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
    if _version_tuple(version) >= TESTED_BELOW and not os.environ.get("CAMTAG_LLAMA_CPP_UNTESTED"):
        return (f"llama-cpp-python {version} is newer than the tested 0.3.36 (camtag uses private handler "
                "attributes): pip install 'llama-cpp-python==0.3.36', or set CAMTAG_LLAMA_CPP_UNTESTED=1 "
                "to try it"), False
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


def frames_handler_class():
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


def quiet_native_logs(verbose: bool) -> None:
    """Route mtmd's logging through llama-cpp-python's logger (silent unless verbose)."""
    try:
        # llama-cpp-python keeps its log hook private; the extra pins the tested release (0.3.36)
        from llama_cpp import _logger, mtmd_cpp  # noqa: PLC2701

        _logger.set_verbose(verbose)
        mtmd_cpp.mtmd_log_set(_logger.llama_log_callback, None)
        mtmd_cpp.mtmd_helper_log_set(_logger.llama_log_callback, None)
    except Exception:
        pass


