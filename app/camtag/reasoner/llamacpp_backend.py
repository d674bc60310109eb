"""In-process llama.cpp backend: GGUF text model + f16 mmproj via llama-cpp-python 0.3.36.

Frames go in as separate images (CamReasoner's evaluation path), one user turn, images first,
then the O-T-A text, greedy decoding, stopping at ``</answer>``. One prefill per shot: the
system turn and the frames are evaluated once (mtmd encodes each image once) into sequence 0;
the questions then branch from that prefix as parallel sequences of one unified KV cache and
are decoded together, one ``llama_decode`` a step (:mod:`llamacpp_batch`; setting
``parallel_questions``, default 15, +20 with ``setup_questions``, when the layers are offloaded
to a GPU; 1 = one question after another, the default on the CPU, where every branch step attends
the whole shared cache and one after another measured 2.3× faster on the tiny model). The logits of the step
that writes the answer letter give the letter probabilities (:mod:`decoding`).

All layers are offloaded when the build supports GPU offload (CUDA, Metal, Vulkan, HIP). The
context is sized from frames × image tokens + (the longest question + answer) per parallel
sequence, and each image is
capped at the preset's token count (``image_max_tokens``, which the stock handler does not
expose; this uses the handler's private ``_mtmd_cpp``/``_create_bitmap_from_bytes``, hence the
pinned, tested version range).

The files are checked (headers, truncation, mmproj/text width) before llama.cpp sees them,
because llama.cpp aborts the process on some mismatches.
"""

from __future__ import annotations

import atexit
import os
import time
import weakref
from pathlib import Path
from typing import Iterator, Sequence

from camtag.media.frames import ShotFrame
from camtag.reasoner import decoding
from camtag.reasoner.base import DEFAULT_MAX_NEW_TOKENS, FramesTooMany, ReasonerError, Reply, new_work
from camtag.reasoner.inputs import budget_from_settings, image_bytes
from camtag.reasoner.llamacpp_batch import DEFAULT_PARALLEL, Branch, context_defaults, group_sizes, run_group
from camtag.reasoner.model_files import check_gguf_pair
from camtag.reasoner.prompts import Question
from camtag.reasoner.setup_questions import SETUP

from camtag.reasoner.llamacpp_support import (  # noqa: F401  (re-exported)
    MIN_VERSION, TESTED_BELOW, TEMPLATE_TOKENS, context_size, frames_handler_class, llama_cpp_status,
    longest_prompt_tokens, quiet_native_logs)


class LlamaCppBackend:
    name = "llamacpp"

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = dict(settings or {})
        self.budget = budget_from_settings(self.settings)
        self.max_new_tokens = int(self.settings.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
        self.reuse = bool(self.settings.get("prefix_reuse", True))
        default = DEFAULT_PARALLEL + (len(SETUP) if self.settings.get("setup_questions") else 0)
        self.parallel = max(1, int(self.settings.get("parallel_questions", default))) if self.reuse else 1
        self._prefix_cells = 0
        self.work = new_work()
        self._llm = None
        self._pieces: dict[int, bytes] = {}     # token -> bytes, filled as answers are decoded
        self._handler = None
        self._letters = None
        self._tail = ""
        self.gpu = False
        self.n_ctx = 0
        self._longest_suffix = 0
        self._eog: set[int] = set()

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
        quiet_native_logs(verbose)
        self.gpu = gpu and int(self.settings.get("n_gpu_layers", -1)) != 0
        if not self.gpu and "parallel_questions" not in self.settings:
            self.parallel = 1          # on the CPU branches decoded together are slower (see above)
        tokens = self.budget.max_tokens_per_frame
        threads = self.settings.get("n_threads")
        kw = {"n_threads": int(threads), "n_threads_batch": int(threads)} if threads else {}
        try:
            import llama_cpp

            self._longest_suffix = longest_prompt_tokens(model) + TEMPLATE_TOKENS   # upper bound
            self.parallel = min(self.parallel, int(llama_cpp.llama_max_parallel_sequences()))
            self.n_ctx = int(self.settings.get("n_ctx") or context_size(
                self.budget.max_frames, tokens, self.max_new_tokens, self._longest_suffix - TEMPLATE_TOKENS)
                + (self.parallel - 1) * (self._longest_suffix + self.max_new_tokens))
            handler = frames_handler_class()(
                clip_model_path=mmproj, image_max_tokens=tokens, verbose=verbose, use_gpu=self.gpu,
                merge_frames=bool(self.settings.get("merge_frames", False)))
            with context_defaults(n_seq_max=self.parallel, kv_unified=True):    # branches share the prefix
                self._llm = Llama(model_path=model, chat_handler=handler, n_ctx=self.n_ctx,
                                  n_gpu_layers=int(self.settings.get("n_gpu_layers", -1)) if self.gpu else 0,
                                  seed=0, verbose=verbose, no_perf=False,
                                  # flash attention on a GPU: no n_kv x n_ubatch score matrix for long
                                  # frame prefixes (the cost table's cached-context constant assumes it)
                                  flash_attn=bool(self.settings.get("flash_attn", self.gpu)), **kw)
            self.parallel = min(self.parallel, int(llama_cpp.llama_n_seq_max(self._llm._ctx.ctx)))
            handler._init_mtmd_context(self._llm)
        except (ValueError, RuntimeError, OSError, MemoryError) as exc:
            self._llm = None
            raise ReasonerError(_explain_load_error(exc, model, self.gpu)) from None
        self._handler = handler
        self._letters = decoding.LetterIds(
            lambda s: self._llm.tokenize(s.encode("utf-8"), add_bos=False, special=False))
        self._eog = {t for t in (self._llm.token_eos(), *self._special("<|im_end|>", "<|endoftext|>")) if t >= 0}
        # free native memory before interpreter shutdown closes stderr under llama-cpp-python
        atexit.register(_close_ref, weakref.ref(self))

    def _special(self, *texts: str) -> list[int]:
        out = []
        for t in texts:
            ids = self._llm.tokenize(t.encode("utf-8"), add_bos=False, special=True)
            if len(ids) == 1:
                out.append(ids[0])
        return out

    # -- prompt --------------------------------------------------------------
    def _render(self, n_images: int) -> tuple[str, str]:
        """(prefix text with one media marker per frame, the tail after the question text)."""
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        marker = self._handler._mtmd_cpp.mtmd_default_marker().decode("utf-8")
        content = [{"type": "image_url", "image_url": {"url": f"camtag-frame-{i}"}} for i in range(n_images)]
        content.append({"type": "text", "text": decoding.SENTINEL})
        messages = [{"role": "system", "content": self._handler.DEFAULT_SYSTEM_MESSAGE},
                    {"role": "user", "content": content}]
        text = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(
            self._handler.CHAT_FORMAT).render(messages=messages, add_generation_prompt=True)
        for i in range(n_images):
            text = text.replace(f"camtag-frame-{i}", marker)
        return decoding.split_template(text)

    def _prefill(self, frames: Sequence[ShotFrame]) -> int:
        """Evaluate the system turn and the frames from an empty cache; returns the position
        after them (M-RoPE positions: an image advances it by its larger grid side)."""
        import ctypes

        import llama_cpp

        llm, h = self._llm, self._handler
        mtmd = h._mtmd_cpp
        prefix, self._tail = self._render(len(frames))
        bitmaps = []
        chunks = mtmd.mtmd_input_chunks_init()
        try:
            for f in frames:
                bitmaps.append(h._create_bitmap_from_bytes(image_bytes(f, self.budget.lossless)[0]))
            text = mtmd.mtmd_input_text()
            raw = prefix.encode("utf-8")
            text.text, text.text_len, text.add_special, text.parse_special = raw, len(raw), True, True
            array = (mtmd.mtmd_bitmap_p_ctypes * len(bitmaps))(*bitmaps)
            if mtmd.mtmd_tokenize(h.mtmd_ctx, chunks, ctypes.byref(text), array, len(bitmaps)) != 0:
                raise ReasonerError("llama.cpp could not tokenize the frames", fatal=False)
            parts = [mtmd.mtmd_input_chunks_get(chunks, i) for i in range(mtmd.mtmd_input_chunks_size(chunks))]
            cells = sum(int(mtmd.mtmd_input_chunk_get_n_tokens(c)) for c in parts if c is not None)
            need = cells + self._longest_suffix + self.max_new_tokens
            if need > self.n_ctx:
                raise FramesTooMany(
                    f"preset {self.budget.preset}: {len(frames)} frames need a {need}-token context, the model "
                    f"was loaded with {self.n_ctx} (lower max_frames"
                    f"{', use preset fast' if self.budget.preset != 'fast' else ''} or raise n_ctx)")
            llm.reset()
            llm._ctx.kv_cache_clear()
            for chunk in parts:
                if chunk is None:
                    continue
                if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
                    n = ctypes.c_size_t()
                    ptr = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(n))
                    if ptr and n.value:
                        llm.eval([ptr[j] for j in range(n.value)])
                    continue
                new_pos = llama_cpp.llama_pos(0)
                if mtmd.mtmd_helper_eval_chunk_single(h.mtmd_ctx, llm._ctx.ctx, chunk,
                                                      llama_cpp.llama_pos(llm.n_tokens), llama_cpp.llama_seq_id(0),
                                                      llm.n_batch, False, ctypes.byref(new_pos)) != 0:
                    raise FramesTooMany(f"llama.cpp could not encode {len(frames)} frames (out of memory?)")
                llm.n_tokens = new_pos.value
        finally:
            mtmd.mtmd_input_chunks_free(chunks)
            for b in bitmaps:
                mtmd.mtmd_bitmap_free(b)
        self.work["prefills"] += 1
        self.work["images"] += len(frames)
        self.work["prefix_tokens"] += cells
        self._prefix_cells = cells
        return llm.n_tokens

    # -- questions -----------------------------------------------------------
    def ask_all(self, frames: Sequence[ShotFrame], questions: Sequence[Question]) -> Iterator[Reply]:
        self.load()
        self.work["shots"] += 1
        start_pos, done = None, 0
        while done < len(questions):
            start = time.perf_counter()
            try:
                if start_pos is None or not self.reuse:
                    start_pos = self._prefill(frames)
                branches = [self._branch(q) for q in questions[done:]]
                size = group_sizes([len(b.suffix) for b in branches], self.n_ctx - self._prefix_cells,
                                   self.max_new_tokens, self.parallel)[0]
                branches = branches[:size]
                run_group(self._llm, start_pos, branches, eog=self._eog, max_new_tokens=self.max_new_tokens,
                          work=self.work, detokenize=self._detokenize, piece=self._piece)
            except ReasonerError:
                raise
            except (ValueError, RuntimeError, MemoryError) as exc:
                raise _explain_run_error(exc) from None
            self._llm.n_tokens = start_pos
            seconds = (time.perf_counter() - start) / len(branches)
            for b in branches:
                yield Reply(b.text, seconds, start_pos + len(b.suffix), len(b.out), letter_probs=b.watch.probs,
                            problems=tuple(b.problems))
            done += len(branches)

    def ask(self, frames: Sequence[ShotFrame], question: Question) -> Reply:
        return next(iter(self.ask_all(frames, [question])))

    def _branch(self, question: Question) -> Branch:
        suffix = self._llm.tokenize((question.text + self._tail).encode("utf-8"), add_bos=False, special=True)
        return Branch(suffix, decoding.LetterWatch(self._letters, [letter for letter, _ in question.letters]))

    def _detokenize(self, tokens: list[int]) -> str:
        return self._llm.detokenize(tokens).decode("utf-8", "ignore")

    def _piece(self, token: int) -> bytes:
        """A token's bytes, remembered (a vocabulary's pieces never change)."""
        got = self._pieces.get(token)
        if got is None:
            got = self._pieces[token] = bytes(self._llm.detokenize([token]))
        return got

    def close(self) -> None:
        if self._llm is not None:
            try:
                self._llm.close()
            finally:
                self._llm = None
                self._handler = None
                self._pieces.clear()


def _close_ref(ref) -> None:
    backend = ref()
    if backend is not None:
        backend.close()


def _explain_run_error(exc: Exception) -> ReasonerError:
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if isinstance(exc, MemoryError) or "memory" in low or "alloc" in low or "llama_decode returned" in text:
        return FramesTooMany(f"llama.cpp ran out of memory or context ({text.splitlines()[0]})")
    return ReasonerError(f"llama.cpp failed: {text.splitlines()[0]}", fatal=False)


def _explain_load_error(exc: Exception, model: str, gpu: bool) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, MemoryError) or "memory" in text.lower() or "context" in text.lower():
        where = "GPU" if gpu else "system"
        return (f"could not allocate the model or its context in {where} memory ({text}); "
                "try a smaller quantization, fewer frames (max_frames) or preset fast")
    if "mtmd" in text or "clip" in text.lower():
        return f"the vision projector could not be loaded ({text}); is the mmproj made for this model?"
    return f"{model}: llama.cpp could not load it ({text}); the llama.cpp build may be too old or the file damaged"
