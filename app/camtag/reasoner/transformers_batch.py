"""Questions as one batch over the cached prefix in transformers (Qwen2.5-VL).

The shot's prefix cache (batch 1) is repeated to N rows (``DynamicCache.batch_repeat_interleave``);
the N question suffixes go in as one right-padded batch with an attention mask that hides the
padding, each row at its own positions (explicit M-RoPE ids: the prefix's ``rope_deltas`` plus
the row's own index, so padding never shifts a row). The answers are then decoded in lock-step,
one forward a step for every row still running; a row that stops (``</answer>``, an end token,
its token limit) leaves the batch (``batch_select_indices``). Each row attends exactly its prefix,
suffix and answer, so greedy text and letter probabilities equal the one-question-at-a-time
path up to floating-point summation order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from camtag.reasoner import decoding

TAIL_TOKENS = 24


@dataclass
class Branch:
    suffix: list[int]
    watch: decoding.LetterWatch
    out: list[int] = field(default_factory=list)
    text: str = ""
    problems: list[str] = field(default_factory=list)


def _mrope(pos):
    """(N, L) text positions as Qwen2.5-VL's (3, N, L) M-RoPE ids (the same on every axis)."""
    return pos.unsqueeze(0).repeat(3, 1, 1)


def run_group(model, cache_kw: str, cache, n_prefix: int, delta: int, branches: Sequence[Branch], *,
              eos: set[int], pad_id: int, max_new_tokens: int, work: dict,
              detokenize: Callable[[list[int]], str]) -> None:
    """Answer every branch from ``cache`` (the prefix, batch 1, ``n_prefix`` tokens; consumed)."""
    import torch

    device = model.device
    n = len(branches)
    excess = cache.get_seq_length() - n_prefix
    if excess > 0:                               # back to the shot's prefix (4.x and 5.x alike)
        cache.crop(-excess)
    if n > 1:
        cache.batch_repeat_interleave(n)
    width = max(len(b.suffix) for b in branches)
    ids = torch.full((n, width), pad_id, dtype=torch.long, device=device)
    mask = torch.zeros((n, n_prefix + width), dtype=torch.long, device=device)
    mask[:, :n_prefix] = 1
    for i, b in enumerate(branches):
        ids[i, :len(b.suffix)] = torch.tensor(b.suffix, device=device)
        mask[i, n_prefix:n_prefix + len(b.suffix)] = 1
    pos = torch.arange(n_prefix, n_prefix + width, device=device).repeat(n, 1)

    def forward(input_ids, position_ids, cache_position):
        with torch.inference_mode():
            out = model(input_ids=input_ids, attention_mask=mask, position_ids=_mrope(position_ids + delta),
                        cache_position=cache_position, use_cache=True, return_dict=True, **{cache_kw: cache})
        work["decode_calls"] += 1
        return (out.cache if cache_kw == "cache" else out.past_key_values), out.logits

    cache, logits = forward(ids, pos, torch.arange(n_prefix, n_prefix + width, device=device))
    rows = list(range(n))                                        # batch row -> branch
    ends = torch.tensor([len(b.suffix) - 1 for b in branches], device=device)
    last = logits[torch.arange(n, device=device), ends].float()     # (rows, vocab)
    nxt_pos = [n_prefix + len(b.suffix) for b in branches]
    for b in branches:
        work["suffix_tokens"] += len(b.suffix)
        work["questions"] += 1
    step = n_prefix + width
    while rows:
        keep, feed = [], []
        chosen = torch.argmax(last, dim=-1).tolist()              # one device sync a step
        for k, s in enumerate(rows):
            b = branches[s]
            tok = int(chosen[k])
            # the full logits row leaves the device only at the step that may write the letter
            wanted = b.watch.probs is None and decoding.answer_context(b.text) is not None
            b.watch.step(b.text, last[k].cpu().numpy() if wanted else None, tok)
            if tok in eos:
                continue
            b.out.append(tok)
            b.text = detokenize(b.out[-TAIL_TOKENS:])           # O(1) a step
            if decoding.finished(b.text):
                continue
            if len(b.out) >= max_new_tokens:
                b.problems.append(f"no </answer> within {max_new_tokens} tokens")
                continue
            keep.append(k)
            feed.append(tok)
        if not keep:
            break
        if len(keep) < len(rows):                               # finished rows leave the batch
            index = torch.tensor(keep, device=device)
            cache.batch_select_indices(index)
            mask = mask[index]
            rows = [rows[k] for k in keep]
        mask = torch.cat([mask, torch.ones((len(rows), 1), dtype=mask.dtype, device=device)], dim=1)
        positions = torch.tensor([[nxt_pos[s]] for s in rows], device=device)
        cache, logits = forward(torch.tensor([[t] for t in feed], device=device), positions,
                                torch.tensor([step], device=device))
        work["decoded_tokens"] += len(rows)
        for s in rows:
            nxt_pos[s] += 1
        last = logits[:, -1].float()
        step += 1
    for b in branches:
        b.text = detokenize(b.out)
