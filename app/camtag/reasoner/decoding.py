"""Pieces every backend shares: the prompt split into the shot's prefix and a question's
suffix, the stop rule, and the answer letter's probability from logits or logprobs.

Prompt split: the chat template is rendered once with a sentinel in place of the question text.
Everything before it (system turn, user turn opening, the frames) is the shot's prefix; the
question text plus the rest of the template (``<|im_end|>\\n<|im_start|>assistant\\n``) is a
question's suffix. The prefix ends with ``<|vision_end|>``, a special token, so tokenising the
two halves apart gives the same tokens as tokenising the whole prompt.

Letter probability: greedy decoding writes ``<answer>B</answer>``; Qwen's BPE may emit the
letter as ``B``, `` B`` or fused with the bracket as ``>B`` / ``> B``. At the step where the
letter is written, the letter's probability is the softmax mass of all its forms that fit the
text so far, normalised over the question's letters.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Mapping

SENTINEL = "\u2063CAMTAG-QUESTION\u2063"
_NORMALISE = re.compile(r"\s*(<|>|/)\s*")
STOP = "</answer>"


def split_template(rendered: str) -> tuple[str, str]:
    """(prefix, tail) of a chat template rendered with :data:`SENTINEL` as the question text."""
    if rendered.count(SENTINEL) != 1:
        raise ValueError("the chat template did not keep the question text in one piece")
    prefix, tail = rendered.split(SENTINEL)
    return prefix, tail


def normalised(text: str) -> str:
    return _NORMALISE.sub(r"\1", text)


def finished(text: str) -> bool:
    """Generation can stop: the answer is closed (whitespace around tag characters ignored)."""
    return STOP in normalised(text[-64:]) if "answer" in text[-64:] else False


def answer_context(text: str) -> str | None:
    """Where the generated text stands before the next token: ``"open"`` right after
    ``<answer`` (the letter may come fused as ``>B``), ``"closed"`` after ``<answer>``."""
    tail = normalised(text[-48:]).rstrip()
    if tail.endswith("<answer>"):
        return "closed"
    if tail.endswith("<answer"):
        return "open"
    return None


def forms(letter: str, context: str) -> tuple[str, ...]:
    return (">" + letter, "> " + letter) if context == "open" else (letter, " " + letter)


def letter_probs(logprob: Mapping[str, float], letters: Iterable[str], context: str,
                 floor: float | None = None) -> dict[str, float] | None:
    """Probabilities of ``letters`` from token-string log-probabilities at one step.

    ``floor``: log-probability to assume for a letter absent from ``logprob`` (a server's
    top-k list: the smallest listed value bounds it); without it an absent letter has 0."""
    mass: dict[str, float] = {}
    for letter in letters:
        vals = [logprob[f] for f in forms(letter, context) if f in logprob]
        if vals:
            top = max(vals)
            mass[letter] = top + math.log(sum(math.exp(v - top) for v in vals))
        elif floor is not None:
            mass[letter] = floor
    if not mass or all(v == -math.inf for v in mass.values()):
        return None
    top = max(mass.values())
    z = sum(math.exp(v - top) for v in mass.values())
    return {k: math.exp(v - top) / z for k, v in mass.items()} | {
        k: 0.0 for k in letters if k not in mass}


class LetterIds:
    """Token ids of each letter's forms in a vocabulary (only forms that are one token)."""

    def __init__(self, tokenize_one) -> None:
        """``tokenize_one(text) -> list[int]`` without special tokens."""
        self._tok = tokenize_one
        self._cache: dict[tuple[str, str], list[tuple[str, int]]] = {}

    def ids(self, letters: Iterable[str], context: str) -> dict[int, str]:
        """token id -> form string, for the forms that fit ``context``."""
        out: dict[int, str] = {}
        for letter in letters:
            key = (letter, context)
            if key not in self._cache:
                found = []
                for f in forms(letter, context):
                    ids = self._tok(f)
                    if len(ids) == 1:
                        found.append((f, ids[0]))
                self._cache[key] = found
            for f, i in self._cache[key]:
                out[i] = f
        return out


def probs_from_logits(logits, token_ids: Mapping[int, str], letters: Iterable[str], context: str):
    """:func:`letter_probs` from a full logits row (numpy or torch 1-D) over the vocabulary."""
    import numpy as np

    row = np.asarray(logits, dtype=np.float64)
    top = float(row.max())
    log_z = top + math.log(float(np.exp(row - top).sum()))
    lp = {form: float(row[i]) - log_z for i, form in token_ids.items()}
    return letter_probs(lp, letters, context)


class LetterWatch:
    """Follows a greedy generation and keeps the letter probabilities of the first step that
    writes an option letter. ``step(text_so_far, logits, chosen_id)`` before appending."""

    def __init__(self, letter_ids: LetterIds | None, letters: Iterable[str]) -> None:
        self.letter_ids = letter_ids
        self.letters = tuple(letters)
        self.probs: dict[str, float] | None = None

    def step(self, text: str, logits, chosen: int) -> None:
        if self.probs is not None or self.letter_ids is None:
            return
        context = answer_context(text)
        if context is None:
            return
        ids = self.letter_ids.ids(self.letters, context)
        if chosen in ids:
            self.probs = probs_from_logits(logits, ids, self.letters, context)
