"""Adversarial model outputs the reasoner's own fuzz (test_reasoner_parse.py) does not cover: huge
strings, deep nesting, thousands of unclosed tags, lone surrogates, control bytes. No exception,
no regex blow-up, and the raw text survives into the fused trace."""

from __future__ import annotations

import random
import time

from camtag.reasoner.fusion import fuse
from camtag.reasoner.parse import parse
from camtag.reasoner.prompts import binary, dominant

from reasoner_support import geo_shot


def _adversarial(rng: random.Random) -> object:
    kind = rng.randrange(8)
    if kind == 0:
        return "<answer>" * rng.randint(1, 5000)
    if kind == 1:
        depth = rng.randint(1, 2000)
        return "<think>" * depth + rng.choice("ABab") + "</think>" * rng.randint(0, depth)
    if kind == 2:
        return "answer is " * rng.randint(1, 20000) + rng.choice(["", "(", "b", "Z"])
    if kind == 3:
        return "".join(chr(rng.choice([rng.randrange(0xD800, 0xE000), rng.randrange(0, 32),
                                       rng.randrange(0x10000, 0x10FFFF)])) for _ in range(rng.randint(1, 300)))
    if kind == 4:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 2000)))
    if kind == 5:
        return "< answer >" + " " * rng.randint(0, 100000) + "b" + "< / answer" * rng.randint(0, 50)
    if kind == 6:
        return f"<observation>{'x' * rng.randint(0, 300000)}</observation><answer>{rng.choice('aAbBcC')}"
    return "".join(rng.choice(["<", ">", "/", "answer", "think", "observation", " ", "\x00"])
                   for _ in range(rng.randint(0, 5000)))


def test_adversarial_outputs_never_raise_are_fast_and_keep_raw():
    rng = random.Random(9)
    shot = geo_shot(pan_left=0.6, handheld=0.7)
    questions = [dominant(), binary("Pan_Left")]
    slowest = 0.0
    for _ in range(150):
        answers = []
        for q in questions:
            raw = _adversarial(rng)
            t0 = time.thread_time()      # this thread's CPU work, not wall-clock (no load effects)
            p = parse(raw, q)
            slowest = max(slowest, time.thread_time() - t0)
            assert isinstance(p.raw, str)
            if isinstance(raw, str):
                assert p.raw == raw
            answers.append((q, p))
        out = fuse(shot, answers, model="fuzz")
        trace = out.traces[0]
        assert all(p.raw in trace.raw for _, p in answers)          # raw text kept for the editor
        assert {"pan_left", "handheld"} <= {t.id for t in out.tags}
    assert slowest < 1.0, f"one parse took {slowest:.2f} s of CPU (regex blow-up?)"
