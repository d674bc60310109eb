"""The decode budget: pictures past the pixel limit are refused with one line before anything is
decoded (in the decoder, the model-frame sampler and `camtag analyze`), and big pictures below
it keep a bounded number of pictures in memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from camtag.media.decode import Decoder, FrameSpec
from camtag.media.errors import MediaError
from camtag.media.frames import FrameSampler
from camtag.media.probe import MAX_PIXELS_ENV, check_budget, frame_bytes, max_pixels, probe
from camtag.model import Shot

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, width: int, height: int, n: int) -> str:
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"preset": "ultrafast"}
        for i in range(n):
            img = np.full((height, width, 3), (40 + 20 * i) % 256, np.uint8)
            img[: height // 4, : width // 4] = 200
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return str(path)


def test_budget_setting_and_sizes(monkeypatch):
    monkeypatch.delenv(MAX_PIXELS_ENV, raising=False)
    assert max_pixels() == 8192 * 8192
    monkeypatch.setenv(MAX_PIXELS_ENV, "nonsense")
    assert max_pixels() == 8192 * 8192
    assert frame_bytes(3840, 2160, "yuv420p10le") == 2 * frame_bytes(3840, 2160, "yuv420p")
    check_budget("x.mp4", 7680, 4320)               # 8K passes the default budget
    with pytest.raises(MediaError, match=r"16000×16000 \(256 Mpx\) is past the decode budget"):
        check_budget("x.mp4", 16000, 16000)


def test_pictures_past_the_budget_are_refused_before_decoding(tmp_path, monkeypatch):
    path = _write(tmp_path / "big.mp4", 320, 240, 3)
    monkeypatch.setenv(MAX_PIXELS_ENV, str(320 * 240 - 1))
    media = probe(path)                             # describing the file stays possible
    assert (media.width, media.height) == (320, 240)
    for background in (True, False):
        dec = Decoder(path, FrameSpec(), background=background)
        with pytest.raises(MediaError) as err:
            list(dec)
        assert "past the decode budget" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(MediaError, match="past the decode budget"):
        FrameSampler(media).frames(Shot(index=0, start_frame=0, end_frame=3))
    proc = subprocess.run([sys.executable, "-m", "camtag", "analyze", path, "-q", "-o", str(tmp_path / "a.json"),
                           "--posters", str(tmp_path / "p"), "--detector", "adaptive", "--no-motion"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "app"), MAX_PIXELS_ENV: "1000"})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "past the decode budget" in lines[0], proc.stderr
    monkeypatch.setenv(MAX_PIXELS_ENV, str(320 * 240))
    assert len(list(Decoder(path, FrameSpec()))) == 3


_PEAK = """
import sys, time
import av, cv2, numpy
from camtag.media.decode import Decoder, FrameSpec
def peak_kb():   # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec)
    return int(next(ln.split()[1] for ln in open("/proc/self/status") if ln.startswith("VmHWM")))
base = peak_kb() // 1024
d = Decoder(sys.argv[1], FrameSpec(small_size=(128, 72), luma_width=640), queue_size=64)
it = iter(d); first = next(it)
time.sleep(1.0)                            # a slow consumer: the decode thread fills what it may
n = 1 + sum(1 for _ in it)
print(n, base, peak_kb() // 1024)
"""

_REFUSE = """
import sys
import av, cv2, numpy
from camtag.media.decode import Decoder, FrameSpec
from camtag.media.errors import MediaError
from camtag.media.probe import open_for_analysis
def peak_kb():   # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec)
    return int(next(ln.split()[1] for ln in open("/proc/self/status") if ln.startswith("VmHWM")))
base = peak_kb() // 1024
try:
    list(Decoder(sys.argv[1], FrameSpec(), opened=open_for_analysis(sys.argv[1])))
    print("decoded", base, 0)
except MediaError:
    print("refused", base, peak_kb() // 1024)
"""


_TALL_PICTURE_MB = 4096 * 4096 * 1.5 / 2**20     # one decoded 4096×4096 4:2:0 picture


def _decoded_above_baseline(path: str, env: dict) -> tuple[int, int]:
    """Frames a slow consumer got from :class:`Decoder` in a child process, and that process's
    peak above its baseline (MB)."""
    out = subprocess.run([sys.executable, "-c", _PEAK, path], capture_output=True, text=True,
                         timeout=300, env=env, check=True).stdout.split()
    frames, base_mb, peak_mb = (int(x) for x in out)
    return frames, peak_mb - base_mb


def test_huge_pictures_wait_converted_so_memory_stays_bounded(tmp_path):
    """4096×4096 pictures (25 MB decoded) are converted on the decode thread, so the queue holds
    small arrays: a slow consumer does not let full pictures pile up (measured: 9 pictures' worth
    above the baseline when they waited in the queue, 5 now)."""
    path = _write(tmp_path / "tall.mp4", 4096, 4096, 10)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "app"), "CAMTAG_THREADS": "2"}
    frames, above_mb = _decoded_above_baseline(path, env)
    assert frames == 10
    assert above_mb <= 7 * _TALL_PICTURE_MB, f"{above_mb} MB above the baseline"
    # past the budget, not even FFmpeg's stream probing decodes a picture (it did: 43 MB)
    env[MAX_PIXELS_ENV] = str(4096 * 4096 - 1)
    out = subprocess.run([sys.executable, "-c", _REFUSE, path], capture_output=True, text=True,
                         timeout=300, env=env, check=True).stdout.split()
    assert out[0] == "refused"
    assert int(out[2]) - int(out[1]) < _TALL_PICTURE_MB, f"{int(out[2]) - int(out[1])} MB above the baseline"


def test_frame_threads_keep_the_pictures_in_flight_within_the_budget(tmp_path):
    """Each FFmpeg frame thread holds pictures of its own: on a many-core machine FFmpeg's own
    choice (a thread per core) took a 4K analysis past 900 MB. Asked for 16 threads, 4096×4096
    H.264 decodes with as many as the budget allows (measured: 30 pictures' worth above the
    baseline with 16 threads, 14 now)."""
    from camtag.media.threads import DECODER_BYTES, frame_threads

    uhd10 = frame_bytes(3840, 2160, "yuv420p10le")
    assert frame_threads(uhd10, 0, 16) == DECODER_BYTES // uhd10 < 8      # FFmpeg's 17: capped
    assert frame_threads(uhd10, 0, 2) == 0                                  # its own 3: kept
    assert frame_threads(uhd10, 2, 16) == 2 and frame_threads(uhd10, 1, 16) == 1
    assert frame_threads(frame_bytes(7680, 4320, "yuv420p10le"), 0, 64) == 2
    assert frame_threads(frame_bytes(1920, 1080, "yuv420p"), 0, 64) == 0
    path = _write(tmp_path / "tall.mp4", 4096, 4096, 24)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "app"), "CAMTAG_THREADS": "16"}
    frames, above_mb = _decoded_above_baseline(path, env)
    assert frames == 24
    assert above_mb <= 18 * _TALL_PICTURE_MB, f"{above_mb} MB above the baseline"
