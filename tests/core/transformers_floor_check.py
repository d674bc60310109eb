"""Run by test_reasoner_transformers.py in a subprocess whose sys.path starts with another
transformers (the declared floor): the backend's whole path on a tiny model written by that
version. Prints one line ``OK <version>`` or raises."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import transformers  # noqa: E402

from camtag.media.frames import ShotFrame  # noqa: E402
from camtag.reasoner import create  # noqa: E402
from camtag.reasoner.parse import parse  # noqa: E402
from camtag.reasoner.prompts import binary  # noqa: E402
from camtag.reasoner.tiny_models import write_tiny_hf  # noqa: E402
from reasoner_support import SCRIPTED_REPLY  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    frames = [ShotFrame(i, i, rng.integers(0, 255, (112, 168, 3), dtype=np.uint8)) for i in range(3)]
    qs = [binary("Pan_Left"), binary("Static")]
    with tempfile.TemporaryDirectory() as tmp:
        scripted = write_tiny_hf(Path(tmp) / "s", reply=SCRIPTED_REPLY, letter_margin=1.0)
        b = create("transformers", {"hf_model_dir": str(scripted), "n_threads": 1, "max_new_tokens": 64})
        replies = list(b.ask_all(frames, qs))
        assert [r.text for r in replies] == [SCRIPTED_REPLY] * 2, replies[0].text
        assert parse(replies[0].text, qs[0]).meaning == "yes"
        assert abs(replies[0].letter_probs["B"] - 1 / (1 + np.exp(-1.0))) < 0.02, replies[0].letter_probs
        assert b.work["prefills"] == 1 and b.vision_images == 3
        b.close()
        rnd = write_tiny_hf(Path(tmp) / "r", seed=5)
        texts = []
        for reuse in (True, False):
            b = create("transformers", {"hf_model_dir": str(rnd), "n_threads": 1, "max_new_tokens": 10,
                                        "prefix_reuse": reuse})
            texts.append([r.text for r in b.ask_all(frames, qs)])
            b.close()
        assert texts[0] == texts[1] and all(texts[0]), texts
    print("OK", transformers.__version__)


if __name__ == "__main__":
    main()
