"""The analysis job and `camtag analyze` end to end: synthetic transitions with known frames,
JSON schema, posters, resume, broken frames, interrupts and bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from camtag.analysis_json import read_analysis
from camtag.jobs import CancelToken, Cancelled, run_job
from camtag.pipeline import Resume, analyze_job

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "app")}


def _photos(n=4, size=(320, 180)):
    from skimage import data
    imgs = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.hubble_deep_field()]
    return [cv2.resize(cv2.cvtColor(im, cv2.COLOR_RGB2BGR), size, interpolation=cv2.INTER_AREA)
            for im in imgs[:n]]


def _encode(path, frames, rate=Fraction(25)):
    out = av.open(str(path), "w")
    s = out.add_stream("libx264", rate=rate)
    s.height, s.width = frames[0].shape[:2]
    s.pix_fmt = "yuv420p"
    s.options = {"crf": "18", "preset": "veryfast"}
    for img in frames:
        for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
            out.mux(p)
    for p in s.encode():
        out.mux(p)
    out.close()


@pytest.fixture(scope="module")
def synthetic_edit(tmp_path_factory):
    """40 A | cut | 40 B, flash frame at 60 | fade out 20 + 10 black + fade in 20 to C |
    30 C | dissolve 20 to D | 40 D. Known truth in frames."""
    a, b, c, d = _photos()
    black = np.zeros_like(a)
    white = np.full_like(a, 255)
    jitter = lambda img, k: np.roll(img, k % 3, axis=1)       # noqa: E731  (a little life)
    frames = [jitter(a, i) for i in range(40)] + [jitter(b, i) for i in range(40)]
    frames[60] = white                                         # a one-frame flash
    frames += [(b * (1 - (k + 1) / 20)).astype(np.uint8) for k in range(20)]   # 80-99 fade out
    frames += [black] * 10                                     # 100-109
    frames += [(c * ((k + 1) / 20)).astype(np.uint8) for k in range(20)]       # 110-129 fade in
    frames += [jitter(c, i) for i in range(30)]                # 130-159
    frames += [(c * (1 - (k + 1) / 21) + d * ((k + 1) / 21)).astype(np.uint8) for k in range(20)]  # 160-179
    frames += [jitter(d, i) for i in range(40)]                # 180-219
    path = tmp_path_factory.mktemp("synthetic") / "edit.mp4"
    _encode(path, frames)
    return path


def test_synthetic_cuts_fades_dissolve_and_flash(synthetic_edit):
    analysis = run_job(analyze_job(str(synthetic_edit), detector="adaptive",
                                   settings={"motion": False, "posters": False}))
    got = [(s.transition_in.type, s.start_frame) for s in analysis.shots[1:]]
    kinds = [k for k, _ in got]
    assert kinds == ["cut", "fade_out", "fade_in", "dissolve"], got
    starts = dict((k, f) for k, f in got)
    assert starts["cut"] == 40
    assert abs(starts["fade_out"] - 100) <= 1 and abs(starts["fade_in"] - 110) <= 1
    assert 165 <= starts["dissolve"] <= 175
    dissolve = analysis.shots[-1].transition_in
    assert abs(dissolve.start_frame - 160) <= 2 and abs(dissolve.end_frame - 180) <= 2


def test_analyze_cli_writes_documented_json_with_posters(synthetic_edit, tmp_path):
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-m", "camtag", "analyze", str(synthetic_edit), "-o", str(out),
                           "--detector", "adaptive", "--posters", str(tmp_path / "posters")],
                          env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "camtag.analysis/1"
    assert data["decoder"].startswith("software (")       # no hardware device here: said so
    media = data["media"]
    assert (media["rate"], media["frames"], media["drop_frame"], media["vfr"]) == ("25/1", 220, False, False)
    assert media["start_timecode"] == "00:00:00:00" and media["rotation"] == 0
    first, second = data["shots"][:2]
    assert (first["index"], first["start_frame"], first["end_frame"]) == (0, 0, 40)
    assert first["transition_in"] is None
    assert second["transition_in"] == {"type": "cut", "start_frame": 40, "end_frame": 41}
    assert second["start_timecode"] == "00:00:01:15"
    for shot in data["shots"]:
        assert os.path.isfile(shot["poster"]) and shot["tags"] and shot["traces"]
        img = cv2.imread(shot["poster"])
        assert img.shape[1] == 320
    again = read_analysis(str(out))
    assert "motion" in data and again.shots[1].start_frame == 40 and again.decoder == data["decoder"]


@pytest.mark.parametrize("detector", ["adaptive", "fused"])
def test_resume_from_a_shot_boundary_gives_the_same_shots(shots_dir, detector):
    path = str(shots_dir / "pyscenedetect_issue-195-aspect-ratio.mp4")
    opts = {"motion": False, "posters": False}
    full = run_job(analyze_job(path, detector=detector, settings=opts))
    done = full.shots[:3]
    resumed = run_job(analyze_job(path, detector=detector, settings=opts,
                                  resume=Resume(done[-1].end_frame, done)))
    assert [(s.start_frame, s.end_frame, s.transition_in) for s in resumed.shots] == \
        [(s.start_frame, s.end_frame, s.transition_in) for s in full.shots]


def test_one_core_mode_runs_on_the_calling_thread_with_the_same_result(shots_dir, monkeypatch):
    """CAMTAG_THREADS=1 (a Ray task holding one CPU): decode and motion on the caller's thread,
    same shots, tags and curves as the threaded run."""
    import threading

    path = str(shots_dir / "pyscenedetect_issue-195-aspect-ratio.mp4")
    opts = {"posters": False}
    threaded = run_job(analyze_job(path, detector="adaptive", settings=opts))
    monkeypatch.setenv("CAMTAG_THREADS", "1")
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start",
                        lambda self: (started.append(self.name), real_start(self)))
    inline = run_job(analyze_job(path, detector="adaptive", settings=opts))
    assert not [n for n in started if n.startswith("camtag-")]
    assert len(inline.shots) == len(threaded.shots) > 3
    for a, b in zip(inline.shots, threaded.shots):
        assert (a.start_frame, a.end_frame, a.tags, a.segments) == \
            (b.start_frame, b.end_frame, b.tags, b.segments)
    for name in ("pan", "tilt", "zoom", "roll", "confidence"):
        assert np.array_equal(inline.motion[name], threaded.motion[name], equal_nan=True)


def test_opencv_runs_on_the_callers_thread_during_an_analysis(synthetic_edit, monkeypatch):
    """OpenCV's pool (a thread per core) is off while an analysis tracks and fits: its calls are
    on small pictures, where the pool's hand-off burnt 6× the motion engine's CPU on 16 cores.
    Shots, tags and curves are those of a run with the pool on."""
    import camtag.pipeline as pipeline_mod
    from camtag.motion.tracker import FrameTracker

    seen: list[int] = []
    real_feed = FrameTracker.feed
    monkeypatch.setattr(FrameTracker, "feed",
                        lambda self, luma: (seen.append(cv2.getNumThreads()), real_feed(self, luma))[1])
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(4)
        monkeypatch.setattr(pipeline_mod, "opencv_one_thread", lambda: None)
        pooled = run_job(analyze_job(str(synthetic_edit), detector="adaptive", settings={"posters": False}))
        assert set(seen) == {4}
        seen.clear()
        monkeypatch.undo()
        monkeypatch.setattr(FrameTracker, "feed",
                            lambda self, luma: (seen.append(cv2.getNumThreads()), real_feed(self, luma))[1])
        single = run_job(analyze_job(str(synthetic_edit), detector="adaptive", settings={"posters": False}))
    finally:
        cv2.setNumThreads(before)
    assert seen and set(seen) == {1}
    assert [(s.start_frame, s.end_frame, s.tags) for s in single.shots] == \
        [(s.start_frame, s.end_frame, s.tags) for s in pooled.shots]
    for name in ("pan", "tilt", "zoom", "roll", "confidence"):
        assert np.array_equal(single.motion[name], pooled.motion[name], equal_nan=True)


def test_a_known_frame_order_spares_the_seek_its_packet_scan(shots_dir, monkeypatch):
    """Parts of a long file pass the frame order stored when the split was planned: the seek
    then reads no packet index of its own, and the shots are the same."""
    import camtag.media.probe as probe_mod

    path = str(shots_dir / "pyscenedetect_issue-195-aspect-ratio.mp4")
    opts = {"motion": False, "posters": False}
    media = probe_mod.probe(path)
    with av.open(path) as c:
        order = np.asarray(probe_mod.seek_index(c, c.streams.video[0], path)[0])
    full = run_job(analyze_job(path, detector="adaptive", settings=opts, media=media))
    done = full.shots[:3]

    def no_scan(*a, **k):
        raise AssertionError("scanned the packets again")

    monkeypatch.setattr(probe_mod, "scan_packets", no_scan)
    resumed = run_job(analyze_job(path, detector="adaptive", settings=opts, media=media,
                                  resume=Resume(done[-1].end_frame, done, order)))
    assert [(s.start_frame, s.end_frame) for s in resumed.shots] == \
        [(s.start_frame, s.end_frame) for s in full.shots]


@pytest.mark.parametrize("clip", ["pyscenedetect_issue-134-rotate.mp4",
                                  "pyscenedetect_issue-236-split-copy.mkv",
                                  "pyscenedetect_goldeneye-vfr-drop3.mp4"])
def test_one_open_serves_probe_and_decode(shots_dir, tmp_path, monkeypatch, clip):
    """The analysis opens the file once (each open costs FFmpeg several decoded frames): the
    probe's container, rewound, feeds the decode, and the rotation comes from the first frame.
    Same media description, shots and posters as a run that probes on its own; a container
    that does not stand at the first packet is noticed and the file opened afresh."""
    import camtag.media.probe as probe_mod
    import camtag.pipeline as pipeline_mod

    path = str(shots_dir / clip)
    media = probe_mod.probe(path)
    opts = {"motion": False}
    apart = run_job(analyze_job(path, detector="adaptive", settings=opts, media=media,
                                poster_dir=str(tmp_path / "apart")))
    opens = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *a, **k: (opens.append(a[0]), real_open(*a, **k))[1])
    shared = run_job(analyze_job(path, detector="adaptive", settings=opts,
                                 poster_dir=str(tmp_path / "shared")))
    assert len(opens) == 1
    assert shared.media == media
    assert [(s.start_frame, s.end_frame, s.transition_in) for s in shared.shots] == \
        [(s.start_frame, s.end_frame, s.transition_in) for s in apart.shots]
    for a, b in zip(shared.shots, apart.shots):
        assert np.array_equal(cv2.imread(a.poster), cv2.imread(b.poster))

    def astray(p):         # a container left past its first packets
        opened = probe_mod.open_for_analysis(p)
        for _, _ in zip(range(5), opened.container.demux(video=0)):
            pass
        return opened

    opens.clear()
    monkeypatch.setattr(pipeline_mod, "open_for_analysis", astray)
    reopened = run_job(analyze_job(path, detector="adaptive", settings=opts,
                                   poster_dir=str(tmp_path / "reopened")))
    assert len(opens) == 2
    assert reopened.media == media
    assert [(s.start_frame, s.end_frame) for s in reopened.shots] == \
        [(s.start_frame, s.end_frame) for s in apart.shots]


def test_cancel_token_stops_the_job(shots_dir):
    cancel = CancelToken()
    job = analyze_job(str(shots_dir / "pyscenedetect_testvideo.mp4"), detector="adaptive",
                      settings={"motion": False, "posters": False}, cancel=cancel)
    seen = 0
    with pytest.raises(Cancelled):
        for progress in job:
            seen += 1
            if progress.done > 100:
                cancel.cancel()
    assert seen > 1


def test_ctrl_c_leaves_no_file(shots_dir, tmp_path):
    out = tmp_path / "never.json"
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-m", "camtag", "analyze",
                             str(shots_dir / "pyscenedetect_issue-195-aspect-ratio.mp4"), "-o", str(out)],
                            env={**ENV, "XDG_CACHE_HOME": str(cache)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # interrupt mid-run, not at a guessed time: once the first shot's poster is written
    deadline = time.monotonic() + 120
    while not list(cache.rglob("*.jpg")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"), (b"hello\n" * 50, "not a media file"), (None, "not found")])
def test_bad_input_exits_with_one_line(tmp_path, content, reason):
    path = tmp_path / "bad.mp4"
    if content is not None:
        path.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "camtag", "analyze", str(path), "-o", str(tmp_path / "o.json")],
                          env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and str(path) in lines[0]
    assert not (tmp_path / "o.json").exists()


def test_truncated_and_corrupted_media_are_analysed_past_the_damage(shots_dir, tmp_path):
    data = (shots_dir / "pyscenedetect_issue-195-aspect-ratio.mp4").read_bytes()
    damaged = bytearray(data)
    rng = np.random.default_rng(3)
    middle = len(data) // 2
    for pos in rng.integers(middle, middle + 200_000, 400):
        damaged[pos] ^= 0xFF                              # broken frames in the middle
    path = tmp_path / "damaged.mp4"
    path.write_bytes(bytes(damaged))
    analysis = run_job(analyze_job(str(path), detector="adaptive", settings={"posters": False}))
    assert analysis.shots[-1].end_frame >= 600            # went on past the damage
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    proc = subprocess.run([sys.executable, "-m", "camtag", "analyze", str(truncated), "-o", str(tmp_path / "t.json"),
                           "--detector", "adaptive"], env=ENV, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:
        result = json.loads((tmp_path / "t.json").read_text())
        assert result["shots"] and result["shots"][-1]["end_frame"] <= result["media"]["frames"]
    else:
        assert len(proc.stderr.strip().splitlines()) == 1
