"""Questions as parallel branches of one cached prefix in llama.cpp (llama-cpp-python 0.3.36).

After the shot's prefill (system turn + frames in sequence 0, ending at position ``start``), the
prefix is shared with sequences 1..N-1 (``llama_memory_seq_cp``: with a unified KV cache the
cells are tagged, not copied); every question's suffix goes into one ``llama_batch`` with its own
sequence id and positions from ``start`` (split only where it exceeds ``n_batch``), and the
answers are then decoded in lock-step: one ``llama_decode`` a step with one token for each
sequence still running, each stopping at ``</answer>``, an end-of-generation token or its token
limit. The calls that wait on each other per group are therefore ceil(Σ suffixes / n_batch) +
the longest answer, instead of Σ (suffix + answer).

Greedy decoding of each sequence sees exactly its own prefix + suffix + answer (the attention
mask separates the sequences), so the text and letter probabilities equal those of the
one-question-at-a-time path up to floating-point summation order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from camtag.reasoner import decoding

TAIL_TOKENS = 24          # generated tokens re-read each step to spot </answer> and the answer letter
DEFAULT_PARALLEL = 15     # thorough's 15 binary questions in one group (+ the set-up ones when asked)


@dataclass
class Branch:
    """One question's run: its suffix tokens, the letter watch, then what it generated."""

    suffix: list[int]
    watch: decoding.LetterWatch
    out: list[int] = field(default_factory=list)
    text: str = ""
    problems: list[str] = field(default_factory=list)


def context_defaults(**over):
    """A context manager that makes ``llama_context_default_params`` return ``over`` applied
    (``Llama`` builds its context from those defaults and exposes neither ``n_seq_max`` nor
    ``kv_unified``)."""
    from contextlib import contextmanager

    import llama_cpp.llama_cpp as low

    @contextmanager
    def patched():
        original = low.llama_context_default_params

        def defaults():
            params = original()
            for key, value in over.items():
                setattr(params, key, value)
            return params

        low.llama_context_default_params = defaults
        try:
            yield
        finally:
            low.llama_context_default_params = original

    return patched()


def group_sizes(suffix_lengths: Sequence[int], free_cells: int, answer_cells: int, parallel: int) -> list[int]:
    """Consecutive group sizes: each group's suffixes + answers fit the free cells, at most
    ``parallel`` sequences a group, at least one question a group."""
    sizes, i = [], 0
    while i < len(suffix_lengths):
        n, used = 0, 0
        while i + n < len(suffix_lengths) and n < parallel:
            cost = suffix_lengths[i + n] + answer_cells
            if n and used + cost > free_cells:
                break
            used += cost
            n += 1
        sizes.append(n)
        i += n
    return sizes


class _Batch:
    def __init__(self, capacity: int) -> None:
        import llama_cpp

        self.capacity = capacity
        self.raw = llama_cpp.llama_batch_init(capacity, 0, 1)

    def fill(self, rows: Sequence[tuple[int, int, int, bool]]) -> None:
        """rows of (token, position, sequence id, wants logits)."""
        b = self.raw
        for i, (tok, pos, seq, logits) in enumerate(rows):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = tok, pos, 1, logits
            b.seq_id[i][0] = seq
        b.n_tokens = len(rows)

    def free(self) -> None:
        import llama_cpp

        llama_cpp.llama_batch_free(self.raw)


def run_group(llm, start: int, branches: Sequence[Branch], *, eog: set[int], max_new_tokens: int,
              work: dict, detokenize: Callable[[list[int]], str]) -> None:
    """Answer every branch from the prefix held in sequence 0 up to ``start``; fills each
    branch's ``out``/``text``/``problems`` and leaves the cache holding only the prefix again."""
    import llama_cpp
    import numpy as np

    ctx, mem = llm._ctx.ctx, llm._ctx.memory
    n_vocab, n_batch = llm.n_vocab(), int(llm.n_batch)
    llama_cpp.llama_memory_seq_keep(mem, 0)
    llama_cpp.llama_memory_seq_rm(mem, 0, start, -1)
    for s in range(1, len(branches)):
        llama_cpp.llama_memory_seq_cp(mem, 0, s, 0, start)

    def decode(rows) -> None:
        batch.fill(rows)
        rc = llama_cpp.llama_decode(ctx, batch.raw)
        work["decode_calls"] += 1
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")

    def row(i: int, keep: bool = False):
        """Logits of batch row ``i``: a view, valid until the next decode, unless ``keep``."""
        view = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, i), shape=(n_vocab,))
        return view.copy() if keep else view

    batch = _Batch(max(n_batch, len(branches)))
    try:
        flat = [(tok, start + j, s, j == len(b.suffix) - 1)
                for s, b in enumerate(branches) for j, tok in enumerate(b.suffix)]
        logits: dict[int, object] = {}
        for at in range(0, len(flat), n_batch):
            rows = flat[at:at + n_batch]
            decode(rows)
            for i, (_, _, s, last) in enumerate(rows):
                if last:                                 # a later chunk's decode overwrites it
                    logits[s] = row(i, keep=True)
        for b in branches:
            work["suffix_tokens"] += len(b.suffix)
            work["questions"] += 1
        pos = {s: start + len(b.suffix) for s, b in enumerate(branches)}
        live = list(range(len(branches)))
        while live:
            feed = []
            for s in live:
                b = branches[s]
                tok = int(np.argmax(logits[s]))
                b.watch.step(b.text, logits[s], tok)
                if tok in eog:
                    continue
                b.out.append(tok)
                b.text = detokenize(b.out[-TAIL_TOKENS:])          # O(1) a step
                if decoding.finished(b.text):
                    continue
                if len(b.out) >= max_new_tokens:
                    b.problems.append(f"no </answer> within {max_new_tokens} tokens")
                    continue
                feed.append((tok, pos[s], s, True))
            if not feed:
                break
            decode(feed)
            work["decoded_tokens"] += len(feed)
            for i, (_, _, s, _) in enumerate(feed):
                logits[s] = row(i)                       # read before the next decode
                pos[s] += 1
            live = [s for _, _, s, _ in feed]
    finally:
        batch.free()
        llama_cpp.llama_memory_seq_keep(mem, 0)
        llama_cpp.llama_memory_seq_rm(mem, 0, start, -1)
    for b in branches:
        b.text = detokenize(b.out)
