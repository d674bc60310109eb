"""Desktop app: cold start to a shown window, seek-to-shot latency, timeline redraw at 200k samples.

Targets (issue 7): cold start <= 1.5 s without model load; seek to a shot <= 100 ms; timeline
interaction >= 30 fps with 200k samples per curve. Anchors in the same run: a bare QMainWindow
start (same interpreter, same platform plugin), PyAV decoding the same frames without the UI,
and the same timeline with 2k samples.

    PYTHONPATH=app python benchmarks/app.py [--starts 3] [--append]
    PYTHONPATH=app python benchmarks/app.py --library [--shots 100000] [--baseline-app DIR]
        [--append]   (issue 19, see benchmarks/app_library.py: 100k shots in 500 clips)

Runs on the offscreen Qt platform unless DISPLAY is set (then the real one, e.g. Xvfb).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "app"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ANCHOR_START = r"""
import sys, time
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtTest import QTest
app = QApplication(sys.argv[:1]); w = QMainWindow(); w.resize(1440, 900); w.show()
QTest.qWaitForWindowExposed(w); app.processEvents()
print("SHOWN", time.time())
"""

APP_START = r"""
import sys, time
from camtag.ui.app import build_window, create_application
from PySide6.QtTest import QTest
app = create_application(); w = build_window(None, sys.argv[1]); w.show()
QTest.qWaitForWindowExposed(w); app.processEvents()
print("SHOWN", time.time()); sys.stdout.flush()
w.close()
"""


# -- cold start ----------------------------------------------------------------------------------
def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _start_once(code: str, args: list[str], env: dict, cpu: list | None = None) -> float:
    c0 = _children_cpu()
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    shown = [line for line in out.splitlines() if line.startswith("SHOWN")]
    if not shown:
        raise RuntimeError(f"start failed: {out[-500:]}")
    if cpu is not None:
        cpu.append(_children_cpu() - c0)     # (includes closing the window: an upper bound)
    return float(shown[0].split()[1]) - t0


def cold_start(runs: int) -> dict:
    tmp = tempfile.mkdtemp(prefix="camtag-bench-start-")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "app"), CAMTAG_CONFIG_DIR=tmp)
    anchor, app, anchor_cpu, app_cpu = [], [], [], []
    _start_once(ANCHOR_START, [], env)                      # warm the OS file cache once
    for i in range(runs):
        anchor.append(_start_once(ANCHOR_START, [], env, anchor_cpu))
        app.append(_start_once(APP_START, [os.path.join(tmp, f"lib{i}.sqlite")], env, app_cpu))
    return {"anchor": statistics.median(anchor), "app": statistics.median(app), "app_runs": app,
            "anchor_cpu": statistics.median(anchor_cpu), "app_cpu": statistics.median(app_cpu)}


# -- seek latency --------------------------------------------------------------------------------
def _wait_frame(app, player, index: int, timeout: float = 10.0) -> float:
    t0 = time.perf_counter()
    while player.shown_index != index or player.position != index:
        app.processEvents()
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"frame {index} never shown")
        time.sleep(0.0005)
    return time.perf_counter() - t0


def seek_latency(clip: str, hard_clip: str) -> dict:
    from PySide6.QtWidgets import QApplication

    from camtag.jobs import run_job
    from camtag.library import open_library
    from camtag.runs import AnalysisRequest, analyze_into_library
    from camtag.ui.app import build_window, create_application
    from camtag.ui.frame_reader import FrameReader

    tmp = tempfile.mkdtemp(prefix="camtag-bench-seek-")
    os.environ["CAMTAG_CONFIG_DIR"] = tmp
    lib_path = os.path.join(tmp, "library.sqlite")
    with open_library(lib_path) as lib:
        run_job(analyze_into_library(lib, clip, AnalysisRequest(detector="adaptive")))
    with open(os.path.join(tmp, "app.json"), "w") as fh:
        fh.write('{"detector": "adaptive"}')
    app = create_application()
    window = build_window(clip, lib_path)
    window.show()
    end = time.monotonic() + 60
    while not (window.model.rowCount() > 1 and window.player.shown_index == 0 and not window.queue.busy):
        app.processEvents()
        if time.monotonic() > end:
            raise RuntimeError("the clip did not load")
    player = window.player
    records = [r for r in window.model.records()]
    starts = [r.shot.start_frame for r in records]
    out: dict[str, list[float]] = {"next shot (Down key)": [], "shot clicked in browser": [],
                                   "random frame, same clip": []}
    for _ in range(2):
        window.binder.trigger("go.start")
        _wait_frame(app, player, 0)
        for s in starts[1:]:
            time.sleep(0.15)                       # idle time, as between key presses
            app.processEvents()
            window.binder.trigger("shot.next")
            out["next shot (Down key)"].append(_wait_frame(app, player, s))
    rng = random.Random(7)
    order = [r for r in records for _ in range(3)]
    rng.shuffle(order)
    for rec in order:
        window.browser.shot_selected.emit(rec)
        out["shot clicked in browser"].append(_wait_frame(app, player, rec.shot.start_frame))
    frames = [rng.randrange(player.frames) for _ in range(40)]
    for f in frames:
        player.seek(f)
        out["random frame, same clip"].append(_wait_frame(app, player, f))
    # the hard clip: 1280x720, 300-frame GOPs, random frames
    window.open_media_file(hard_clip, analyse=False)
    end = time.monotonic() + 30
    while window.media is None or window.media.path != hard_clip or player.shown_index != 0:
        app.processEvents()
        if time.monotonic() > end:
            raise RuntimeError("hard clip did not open")
    hard = [rng.randrange(player.frames) for _ in range(30)]
    out["random frame, 720p long GOP"] = [None] * 0
    for f in hard:
        player.seek(f)
        out["random frame, 720p long GOP"].append(_wait_frame(app, player, f))
    window.close()
    QApplication.processEvents()

    anchors: dict[str, list[float]] = {}
    for name, path, targets in (("shots", clip, [r.shot.start_frame for r in order]),
                                ("random", clip, frames), ("hard", hard_clip, hard)):
        reader = FrameReader(path)
        times = []
        for f in targets:
            reader._cache.clear()
            reader._decoder = None
            t0 = time.perf_counter()
            reader.read(f)
            times.append(time.perf_counter() - t0)
        reader.close()
        anchors[name] = times
    return {"ui": out, "anchor": anchors}


# -- timeline --------------------------------------------------------------------------------------
def timeline_fps(samples: int, frames: int = 60, optimised: bool = True) -> dict:
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from camtag.ui.timeline import MotionTimeline

    app = QApplication.instance() or QApplication([])
    tl = MotionTimeline()
    tl.resize(1400, 220)
    tl.show()
    app.processEvents()
    rng = np.random.default_rng(0)
    x = np.arange(samples, dtype=np.float64)
    arrays = {}
    for name in ("pan", "tilt", "zoom", "roll"):
        y = np.convolve(rng.normal(0, 1, samples), np.ones(25) / 25, mode="same") * 20
        y[rng.integers(0, samples, samples // 500)] = np.nan        # cuts / failed fits
        arrays[name] = y
    tl.set_media(samples)
    if not optimised:
        tl.plot.getPlotItem().setDownsampling(auto=False)
        tl.plot.getPlotItem().setClipToView(False)
    tl.set_arrays(x, arrays)
    starts = np.sort(rng.choice(samples, max(2, samples // 130), replace=False))
    tl.set_boundaries(starts.tolist())
    colors = ["#54a0ff", "#1dd1a1", "#ff9f43", "#7f8c8d", "#c56cf0"]
    tl.set_segments([(int(a), int(b), colors[i % 5]) for i, (a, b) in enumerate(zip(starts[:-1], starts[1:]))])
    app.processEvents()
    result = {}
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        paints = 0

        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                PaintCounter.paints += 1
            return False

    counter = PaintCounter()
    tl.plot.viewport().installEventFilter(counter)

    def run(label, step):
        c0 = time.process_time()
        t0 = time.perf_counter()
        for i in range(frames):
            before = PaintCounter.paints
            step(i)
            app.processEvents()              # Qt paints the pending update here
            if PaintCounter.paints == before:
                tl.plot.viewport().repaint()     # make sure every step reached the screen
        result[label] = frames / (time.perf_counter() - t0)
        result[label + " cpu"] = (time.process_time() - c0) / frames

    n = samples
    run("playhead sweep, whole media", lambda i: tl.set_position(int(i * n / frames), follow=False))
    run("pan, whole media", lambda i: tl.vb.setXRange(i * n / 400, n + i * n / 400, padding=0))
    run("zoom in/out", lambda i: tl.vb.setXRange(n / 2 - n / (2 + i % 20 * 3), n / 2 + n / (2 + i % 20 * 3), padding=0))
    run("pan, zoomed to 10 s", lambda i: tl.vb.setXRange(n / 3 + i * 10, n / 3 + i * 10 + 250, padding=0))
    tl.close()
    tl.deleteLater()
    app.processEvents()
    return result


# -- report --------------------------------------------------------------------------------------
def _ms(v: float) -> str:
    return f"{v * 1000:.0f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=3, help="cold starts to time (median)")
    ap.add_argument("--append", action="store_true", help="append the table to benchmarks/RESULTS.md")
    ap.add_argument("--library", action="store_true", help="only the big-library workflows (issue 19)")
    ap.add_argument("--shots", type=int, default=100_000, help="shots in the big library")
    ap.add_argument("--baseline-app", default=None,
                    help="with --library: another checkout's app/ folder, measured in the same run")
    args = ap.parse_args()
    from media_paths import SHOTS_DIR

    if args.library:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from app_library import report

        text = "\n".join([f"{datetime.datetime.now():%Y-%m-%d %H:%M} · {os.cpu_count()} cores · "
                          f"load average {os.getloadavg()[0]:.1f} (shared machine) · Qt platform "
                          f"{os.environ.get('QT_QPA_PLATFORM', 'default')}", "",
                          *report(args.shots, str(SHOTS_DIR / "pyscenedetect_issue-195-aspect-ratio.mp4"),
                                  ANCHOR_START, baseline=args.baseline_app),
                          "", "Command: `PYTHONPATH=app python benchmarks/app.py --library "
                          + (f"--baseline-app {args.baseline_app} " if args.baseline_app else "")
                          + "--append`."])
        print(text)
        if args.append:
            from _common import append_results
            append_results("App on a big library (issue 19)", text)
        return 0

    clip = str(SHOTS_DIR / "pyscenedetect_issue-195-aspect-ratio.mp4")
    hard = str(SHOTS_DIR / "pyscenedetect_testvideo.mp4")
    import PySide6
    import pyqtgraph

    lines = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines.append(f"{datetime.datetime.now():%Y-%m-%d %H:%M} · {platform.machine()} · {os.cpu_count()} cores"
                 f" · Python {platform.python_version()} · PySide6 {PySide6.__version__} · pyqtgraph "
                 f"{pyqtgraph.__version__} · Qt platform {os.environ.get('QT_QPA_PLATFORM', 'default')}"
                 f" · load average {load:.1f} (shared machine)")
    lines.append("")
    start = cold_start(args.starts)
    lines.append("| cold start to shown window | seconds (median) | × anchor | CPU s of the process "
                 "| target | met |")
    lines.append("|---|---:|---:|---:|---:|:---:|")
    lines.append(f"| anchor: bare QMainWindow | {start['anchor']:.2f} | 1.00 | {start['anchor_cpu']:.2f} | | |")
    lines.append(f"| camtag app (empty library, no model) | {start['app']:.2f} | "
                 f"{start['app'] / start['anchor']:.2f} | {start['app_cpu']:.2f} | ≤ 1.5 | "
                 f"{'yes' if start['app'] <= 1.5 else 'NO'} |")
    lines.append("")
    seek = seek_latency(clip, hard)
    lines.append("| seek (click/key → exact frame on screen) | median ms | p90 ms | max ms | anchor: PyAV decode only, median ms | target | met |")
    lines.append("|---|---:|---:|---:|---:|---:|:---:|")
    anchor_of = {"next shot (Down key)": "shots", "shot clicked in browser": "shots",
                 "random frame, same clip": "random", "random frame, 720p long GOP": "hard"}
    for label, times in seek["ui"].items():
        times = sorted(times)
        p90 = times[int(0.9 * (len(times) - 1))]
        anchor = statistics.median(seek["anchor"][anchor_of[label]])
        target = "≤ 100" if "shot" in label else "—"
        met = ("yes" if statistics.median(times) <= 0.1 else "NO") if "shot" in label else ""
        lines.append(f"| {label} | {_ms(statistics.median(times))} | {_ms(p90)} | {_ms(times[-1])} | "
                     f"{_ms(anchor)} | {target} | {met} |")
    lines.append("")
    big = timeline_fps(200_000)
    small = timeline_fps(2_000)
    raw = timeline_fps(200_000, frames=5, optimised=False)
    lines.append("| timeline, 4 curves + shot lines + segment lane | fps at 200k samples | CPU ms per step "
                 "| fps at 2k (anchor) | fps at 200k without downsampling/clip-to-view | target | met |")
    lines.append("|---|---:|---:|---:|---:|---:|:---:|")
    for label, fps in big.items():
        if label.endswith(" cpu"):
            continue
        lines.append(f"| {label} | {fps:.0f} | {big[label + ' cpu'] * 1000:.1f} | {small[label]:.0f} | "
                     f"{raw[label]:.1f} | ≥ 30 | {'yes' if fps >= 30 else 'NO'} |")
    lines.append("")
    lines.append("Command: `PYTHONPATH=app python benchmarks/app.py --append`. Seek rows: the playhead "
                 "moves, the frame server decodes the exact frame off the GUI thread and the view "
                 "shows it; the anchor decodes the same frames with a fresh PyAV seek, no UI. Timeline "
                 "fps: every step ends with Qt painting what changed (one paint per step, checked): the "
                 "playhead sweep repaints the line's strip, pans and zooms the whole plot; CPU ms per step is "
                 "this process's CPU time, which the other jobs sharing the machine do not inflate.")
    text = "\n".join(lines)
    print(text)
    if args.append:
        from _common import append_results
        append_results("App (issue 7)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
