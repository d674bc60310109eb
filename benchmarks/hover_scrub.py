"""Grid hover-scrub (issue 19): what a mouse move over a poster costs the GUI thread, how long
until the hovered frame shows (cold, then from the cache), against the anchor of decoding that
frame synchronously on the GUI thread (what a blocking implementation would cost per move).

    PYTHONPATH=app python benchmarks/hover_scrub.py [--append]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from _common import append_results, machine_line, shared_dir, table

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
CLIP = "pyscenedetect_issue-195-aspect-ratio.mp4"


def _library(clip: str) -> str:
    from camtag.jobs import run_job
    from camtag.library import open_library
    from camtag.runs import analyze_into_library, make_request

    url = os.path.join(tempfile.mkdtemp(prefix="camtag-bench-scrub-"), "library.sqlite")
    with open_library(url) as lib:
        run_job(analyze_into_library(lib, clip, make_request({"engine": "geometry"}, "adaptive")))
    return url


def _wait(app, cond, timeout=20.0) -> float:
    t0 = time.perf_counter()
    while not cond():
        if time.perf_counter() - t0 > timeout:
            raise SystemExit("timed out waiting for a scrub frame")
        app.processEvents()
        time.sleep(0.0005)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    os.environ["CAMTAG_CONFIG_DIR"] = tempfile.mkdtemp(prefix="camtag-bench-cfg-")
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    from camtag.ui.app import build_window, create_application
    from camtag.ui.frame_reader import FrameReader
    from camtag.ui.hover_scrub import SCRUB_SIZE, STEPS, poster_rect, scrub_frame
    from camtag.ui.shot_model import SHOT_ROLE

    clip = str(shared_dir() / "media" / "shots" / CLIP)
    app = create_application()
    w = build_window(clip, _library(clip))
    w.resize(1440, 900)
    w.show()
    _wait(app, lambda: w.model.rowCount() > 1 and not w.queue.busy, 60)
    w.browser.set_view("grid")
    grid, scrub = w.browser.grid, w.browser.scrub
    _wait(app, lambda: grid.isVisible(), 5)
    move_ms, cold_ms, warm_ms, frames = [], [], [], []
    for row in range(w.browser.proxy.rowCount()):
        index = w.browser.proxy.index(row, grid.modelColumn())
        rec = w.browser.proxy.index(row, 0).data(SHOT_ROLE)
        grid.scrollTo(index)
        app.processEvents()
        pic = poster_rect(grid.visualRect(index))
        for sweep, out in ((0, cold_ms), (1, warm_ms)):
            for step in range(STEPS):
                x = pic.left() + int((step + 0.5) * pic.width() / STEPS)
                t0 = time.perf_counter()
                QTest.mouseMove(grid.viewport(), QPoint(x, pic.center().y()))
                move_ms.append(1000 * (time.perf_counter() - t0))
                out.append(1000 * _wait(app, lambda: scrub.view is not None
                                        and scrub.view.pixmap is not None))
                if sweep == 0 and rec is not None:
                    frames.append(scrub_frame(rec.shot.start_frame, rec.shot.end_frame,
                                              (step + 0.5) / STEPS))
    # anchor: the same frames decoded synchronously (a fresh reader, as a blocking grid would)
    anchor_ms = []
    reader = FrameReader(clip, max_size=SCRUB_SIZE)
    for f in frames[:: max(1, len(frames) // 24)]:
        t0 = time.perf_counter()
        reader.read(f)
        anchor_ms.append(1000 * (time.perf_counter() - t0))
    reader.close()
    w.close()
    med = statistics.median
    rows = [["GUI thread per mouse move (event + repaint request)", f"{med(move_ms):.2f}",
             f"{max(move_ms):.2f}", f"{med(anchor_ms):.1f}", f"{med(move_ms) / med(anchor_ms):.3f}"],
            ["hovered frame on screen, first pass (decoded off the GUI thread)",
             f"{med(cold_ms):.1f}", f"{max(cold_ms):.1f}", f"{med(anchor_ms):.1f}",
             f"{med(cold_ms) / med(anchor_ms):.2f}"],
            ["hovered frame on screen, second pass (cache)", f"{med(warm_ms):.2f}",
             f"{max(warm_ms):.2f}", f"{med(anchor_ms):.1f}", f"{med(warm_ms) / med(anchor_ms):.3f}"]]
    text = (f"Hover-scrub posters, {machine_line()}; {len(move_ms)} mouse moves over "
            f"{w.browser.proxy.rowCount()} cards, {STEPS} positions per poster.\n\n"
            + table(["measure", "median ms", "max ms", "anchor: synchronous decode, median ms",
                     "× anchor"], rows))
    print(text)
    if args.append:
        append_results("App on a big library (issue 19)", text,
                       "PYTHONPATH=app python benchmarks/hover_scrub.py --append")


if __name__ == "__main__":
    main()
