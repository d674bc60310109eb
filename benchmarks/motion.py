"""Motion benchmark (issue 3): accuracy, CPU per stage, end-to-end against PySceneDetect.

1. Per-frame corner error (mean end-point error of the 4 corners and the centre, px per frame
   at 1280×720) on synthetic 720p clips with known similarity motion, encoded with libx264
   CRF 20 preset medium (B-frames on); targets median ≤ 0.05, p95 ≤ 0.15. Plus the layered
   3-D clips: zoom/dolly, pan/truck and tilt/pedestal must be told apart.
2. CPU ms per frame of one core (cv2.setNumThreads(1), process CPU time) per stage for a
   1080p input: decode alone, decode + 640-wide luma, KLT tracker, parallax windows,
   per-shot tagging; target: tracker + windows ≤ 5 ms/frame.
3. Issue 16: the failure-class development set (``camtag.motion.devset``: primary movement,
   dolly vs zoom, arc vs pan/roll, binary macro AP and ECE in CameraBench's primitives) and the
   labelled real clips in ../shared/media/camera (tests/data/camera_binary.jsonl, as
   ``camtag eval`` scores them); targets ≥ 95 % / ≥ 90 % / ≥ 90 %, ECE ≤ 0.1.
4. Wall time of ``camtag.pipeline.analyze_job`` (shots + motion + tags, posters off) against
   PySceneDetect ``detect-adaptive`` alone on the same 1080p multi-shot file, in the same run;
   target ratio ≤ 1.0.

Run: ``PYTHONPATH=app python benchmarks/motion.py`` (``--quick`` for shorter clips; issue 16's
quick parts: ``--quick --skip accuracy layered e2e``).
Needs scikit-image (photos) and, for part 3, scenedetect-headless.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from fractions import Fraction

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "app"))

from camtag.media.decode import Decoder, FrameSpec  # noqa: E402
from camtag.motion import synthetic as sy  # noqa: E402
from camtag.motion.tracker import FrameTracker  # noqa: E402


def planar_cases(n: int, rng) -> dict[str, dict]:
    """The reference sheet's clip set (px per frame at 1280×720)."""
    jit = rng.normal(0, 1, (n, 3))
    hand = [(2.0 * jit[i, 0], 1.5 * jit[i, 1], 0.0, 0.08 * jit[i, 2]) for i in range(n)]
    obj_path = [(200 + 9 * i, 360.0) for i in range(n)]
    return {
        "static": dict(motions=[(0, 0, 0, 0)] * n),
        "pan_right": dict(motions=[(-8, 0, 0, 0)] * n),
        "pan_fast": dict(motions=[(-30, 0, 0, 0)] * n),
        "tilt_up": dict(motions=[(0, 6, 0, 0)] * n),
        "zoom_in": dict(motions=[(0, 0, 0.008, 0)] * n),
        "zoom_out": dict(motions=[(0, 0, -0.008, 0)] * n),
        "roll": dict(motions=[(0, 0, 0, 0.6)] * n),
        "combined": dict(motions=[(-5, 3, 0.004, 0.3)] * n),
        "handheld": dict(motions=hand),
        "pan_lowtex": dict(motions=[(-8, 0, 0, 0)] * n, low_texture=True),
        "pan_fgobj": dict(motions=[(-8, 0, 0, 0)] * n, object_path=[(1000 - 12 * i, 360.0) for i in range(n)],
                          object_size=0.45),
        "static_fgobj": dict(motions=[(0, 0, 0, 0)] * n, object_path=obj_path, object_size=0.45),
        "track_fgobj": dict(motions=[(-8, 0, 0, 0)] * n, object_path=[(640.0, 360.0)] * n,
                            object_size=0.45),
    }


def accuracy(folder: str, n: int, photos) -> list[str]:
    w, h = 1280, 720
    rng = np.random.default_rng(1)
    lines = ["| clip | median px | p95 px | frames ok |", "|---|---:|---:|---:|"]
    everything = []
    for name, case in planar_cases(n, rng).items():
        kw = dict(case)
        motions = kw.pop("motions")
        if "object_path" in kw:
            kw["object_img"] = photos[2]
        clip = sy.planar_clip(os.path.join(folder, f"{name}.mp4"), photos, motions, w, h,
                              preset="medium", **kw)
        tracker = FrameTracker()
        errs, ok = [], 0
        for frame in Decoder(clip.path, FrameSpec(small_size=None, luma_width=640)):
            pm = tracker.feed(frame.luma)
            if frame.index == 0:
                continue
            sc = w / frame.luma.shape[1]
            if pm.dx != pm.dx:
                errs.append(np.inf)
                continue
            ok += 1
            est = sy.similarity(pm.dx * sc, pm.dy * sc, pm.log_s, pm.theta_deg, w / 2, h / 2)
            errs.append(sy.corner_error(est, clip.truth[frame.index], w, h))
        e = np.array(errs)
        everything += errs
        lines.append(f"| {name} | {np.median(e):.3f} | {np.percentile(e, 95):.3f} | {ok}/{n - 1} |")
    e = np.array(everything)
    lines.append(f"| **all** | **{np.median(e):.3f}** | **{np.percentile(e, 95):.3f}** | |")
    return lines


def layered(folder: str, n: int, photos, textures) -> list[str]:
    from camtag.media.probe import probe
    from camtag.model import Shot
    from camtag.motion import create_engine

    w, h, f = 1280, 720, 1280.0
    scene = sy.layered_scene(photos, textures, f, w, h)
    cases = {"L_zoom": (dict(zoom=0.008), "zoom_in"), "L_dolly": (dict(velocity=(0, 0, 0.03)), "dolly_in"),
             "L_pan": (dict(yaw_deg=0.3), "pan_right"), "L_truck": (dict(velocity=(0.01, 0, 0)), "truck_right"),
             "L_tilt": (dict(pitch_deg=-0.3), "tilt_down"),
             "L_pedestal": (dict(velocity=(0, -0.01, 0)), "pedestal_up")}
    lines = ["| clip | expected | top movement tag | conf | separated |", "|---|---|---|---:|:---:|"]
    for name, (motion, expected) in cases.items():
        clip = sy.layered_clip(os.path.join(folder, name + ".mp4"), scene, n, focal=f, width=w,
                               height=h, preset="medium", **motion)
        media = probe(clip.path)
        engine = create_engine(media)
        for frame in Decoder(clip.path, engine.spec):
            engine.consume(frame)
        shot = engine.tag_shot(Shot(0, 0, media.frames))
        moves = [t for t in shot.tags if t.id.split("_")[0] in
                 ("pan", "tilt", "zoom", "dolly", "truck", "pedestal", "roll")]
        top = max(moves, key=lambda t: t.confidence) if moves else None
        lines.append(f"| {name} | {expected} | {top.id if top else '-'} | "
                     f"{top.confidence if top else 0:.2f} | {'yes' if top and top.id == expected else 'NO'} |")
    return lines


def cpu_stages(folder: str, n: int, photos) -> tuple[list[str], str]:
    import av
    from camtag.media.probe import probe
    from camtag.model import Shot
    from camtag.motion import create_engine
    import camtag.motion.engine as engine_mod

    cv2.setNumThreads(1)
    rng = np.random.default_rng(2)
    motions = [(-6 + rng.normal(0, 1.5), rng.normal(0, 1.0), 0.001, 0.02) for _ in range(n)]
    clip = sy.planar_clip(os.path.join(folder, "p1080.mp4"), photos, motions, 1920, 1080,
                          crf=18, preset="medium")
    mbit = os.path.getsize(clip.path) * 8 / (n / 25) / 1e6

    def cpu(fn):
        t = time.process_time()
        out = fn()
        return (time.process_time() - t) * 1000 / n, out

    def decode_only():
        with av.open(clip.path) as c:
            s = c.streams.video[0]
            s.thread_type = "NONE"
            for _ in c.decode(s):
                pass

    ms_decode, _ = cpu(decode_only)
    ms_luma, lumas = cpu(lambda: [f.luma for f in Decoder(clip.path, FrameSpec(small_size=None, luma_width=640),
                                                          threads=False)])
    tracker = FrameTracker()
    ms_track, _ = cpu(lambda: [tracker.feed(x) for x in lumas])
    media = probe(clip.path)
    engine = create_engine(media)
    spent = [0.0]
    original = engine_mod.analyse_window

    def timed(*a, **k):
        t = time.process_time()
        try:
            return original(*a, **k)
        finally:
            spent[0] += time.process_time() - t

    engine_mod.analyse_window = timed
    try:
        from camtag.media.decode import AnalysisFrame
        ms_engine, _ = cpu(lambda: [engine.consume(AnalysisFrame(i, i, Fraction(i, 25), luma=x))
                                    for i, x in enumerate(lumas)])
    finally:
        engine_mod.analyse_window = original
    ms_windows = spent[0] * 1000 / n
    ms_tag, _ = cpu(lambda: engine.tag_shot(Shot(0, 0, n)))
    lines = ["| stage | CPU ms/frame (1 core) |", "|---|---:|",
             f"| decode only (PyAV, 1 thread) | {ms_decode:.2f} |",
             f"| decode + 640-wide luma (camtag Decoder) | {ms_luma:.2f} |",
             f"| KLT + FB check + RANSAC similarity (tracker) | {ms_track:.2f} |",
             f"| parallax windows (H vs F, FOE) | {ms_windows:.2f} |",
             f"| engine.consume total (tracker + windows + bookkeeping) | {ms_engine:.2f} |",
             f"| tag_shot (tags, segments, trace) per frame of shot | {ms_tag:.3f} |"]
    verdict = (f"motion estimation {ms_engine:.2f} ms/frame at 1080p input (target ≤ 5): "
               f"{'met' if ms_engine <= 5 else 'NOT met'}; clip {mbit:.1f} Mbit/s")
    return lines, verdict


def end_to_end(folder: str, n: int, photos, detectors: list[str], loops: int = 1) -> tuple[list[str], str]:
    from camtag.jobs import run_job
    try:
        from camtag.pipeline import analyze_job
    except ImportError:
        return [], "camtag.pipeline.analyze_job not available: end-to-end skipped"
    try:
        import scenedetect
    except ImportError:
        return [], "scenedetect not installed (pip install scenedetect-headless): end-to-end skipped"
    import av

    # several 1080p shots: pan, tilt, zoom, static, handheld
    w, h = 1920, 1080
    parts = []
    rng = np.random.default_rng(3)
    specs = [[(-6, 0, 0, 0)] * n, [(0, 5, 0, 0)] * n, [(0, 0, 0.006, 0)] * n, [(0, 0, 0, 0)] * n,
             [tuple(rng.normal(0, 1.5, 2)) + (0, 0) for _ in range(n)]]
    for i, m in enumerate(specs):
        parts.append(sy.planar_clip(os.path.join(folder, f"e{i}.mp4"), photos[i % 3:] + photos[:i % 3], m,
                                    w, h, seed=i, preset="veryfast").path)
    path = os.path.join(folder, f"e2e_1080p{'' if loops == 1 else f'_x{loops}'}.mp4")
    writer = sy.ClipWriter(path, w, h, crf=18, preset="medium")
    frames = 0
    for _ in range(loops):                  # --e2e-loops: the same shots again, for a longer file
        for p in parts:
            with av.open(p) as c:
                for f in c.decode(video=0):
                    writer.write(f.to_ndarray(format="bgr24"))
                    frames += 1
    writer.close()

    from scenedetect import AdaptiveDetector, detect

    def best_of(fn, repeat=2):
        """(wall s, CPU s of all threads, result), best of ``repeat`` by wall time."""
        out, best = None, (float("inf"), float("inf"))
        for _ in range(repeat):
            t, c = time.perf_counter(), time.process_time()
            out = fn()
            best = min(best, (time.perf_counter() - t, time.process_time() - c))
        return best[0], best[1], out

    # warm up once on the first part (imports, codec and model set-up), then best of 2
    detect(parts[0], AdaptiveDetector())
    t_sd, c_sd, scenes = best_of(lambda: detect(path, AdaptiveDetector()))
    lines = ["| run | wall s | CPU s | fps | shots | wall × anchor | CPU × anchor |",
             "|---|---:|---:|---:|---:|---:|---:|",
             f"| PySceneDetect {scenedetect.__version__} detect-adaptive (anchor) | {t_sd:.2f} | "
             f"{c_sd:.2f} | {frames / t_sd:.0f} | {len(scenes)} | 1.00 | 1.00 |"]
    verdicts = []
    for det in detectors:
        run_job(analyze_job(parts[0], detector=det, settings={"posters": False}))
        repeat = 2 if det == "adaptive" else 1
        t_ct, c_ct, analysis = best_of(lambda: run_job(analyze_job(
            path, detector=det, settings={"posters": False})), repeat)
        t_sh, c_sh, _ = best_of(lambda: run_job(analyze_job(
            path, detector=det, settings={"posters": False, "motion": False})), repeat)
        tagged = sum(1 for s in analysis.shots if s.tags)
        lines += [f"| camtag analyze --detector {det}: shots + motion + tags | {t_ct:.2f} | "
                  f"{c_ct:.2f} | {frames / t_ct:.0f} | {len(analysis.shots)} ({tagged} tagged) | "
                  f"{t_ct / t_sd:.2f} | {c_ct / c_sd:.2f} |",
                  f"| camtag analyze --detector {det}: shots only (motion off) | {t_sh:.2f} | "
                  f"{c_sh:.2f} | {frames / t_sh:.0f} | | {t_sh / t_sd:.2f} | {c_sh / c_sd:.2f} |"]
        verdicts.append(f"{det}: full analysis {t_ct / t_sd:.2f}× PySceneDetect wall "
                        f"({'met' if t_ct <= t_sd else 'NOT met'}); motion adds "
                        f"{(c_ct - c_sh) * 1000 / frames:+.1f} ms/frame CPU, "
                        f"{(t_ct - t_sh) * 1000 / frames:+.1f} ms/frame wall")
    verdict = (f"{frames} frames ({frames / 25:.0f} s) of 1080p, target full analysis ≤ 1.0× detect-adaptive (wall); "
               + "; ".join(verdicts))
    return lines, verdict


def dev_set(folder: str, focals: list[float]) -> list[str]:
    """The dev set at its own lens (focal = frame width, ~53°), then at the other ``focals``
    (px at 320 wide) to show how much the answers lean on that lens assumption."""
    from camtag.evaluation.devscore import score
    from camtag.motion import devset

    lines = []
    own = devset.FOCAL
    for f in focals:
        devset.FOCAL = f
        try:
            other = score(os.path.join(folder, f"devset_f{int(f)}"))
        finally:
            devset.FOCAL = own
        fov = 2 * np.degrees(np.arctan(devset.W / 2 / f))
        lines.append(f"lens {fov:.0f}° (focal {f:.0f} px): primary right {other.accuracy():.0%}, "
                     f"dolly vs zoom {other.accuracy('dolly vs zoom'):.0%}, arc {other.accuracy('arc'):.0%}, "
                     f"pan vs truck {other.accuracy('pan vs truck'):.0%}, macro AP "
                     f"{other.macro_ap * 100:.1f}, ECE {other.ece:.3f}; wrong: "
                     + (", ".join(r.case.name for r in other.results if not r.right) or "none"))
    t = time.perf_counter()
    rep = score(os.path.join(folder, "devset"))
    lines = rep.lines() + lines
    lines.append(f"targets: primary ≥ 95 % {'met' if rep.accuracy() >= 0.95 else 'NOT met'}; dolly vs "
                 f"zoom ≥ 90 % {'met' if rep.accuracy('dolly vs zoom') >= 0.9 else 'NOT met'}; arc ≥ 90 % "
                 f"{'met' if rep.accuracy('arc') >= 0.9 else 'NOT met'}; ECE ≤ 0.1 "
                 f"{'met' if rep.ece <= 0.1 else 'NOT met'} ({time.perf_counter() - t:.0f} s)")
    return lines


def real_clips() -> list[str]:
    from camtag.evaluation.labels import load_labels
    from camtag.evaluation.runner import evaluate, format_report

    root = os.path.dirname(os.path.abspath(__file__))
    media = os.environ.get("CAMTAG_SHARED", os.path.join(root, "..", "..", "shared"))
    camera = os.path.join(media, "media", "camera")
    if not os.path.isdir(camera):
        return [f"(skipped: {camera} not found)"]
    labels = load_labels(os.path.join(root, "..", "tests", "data", "camera_binary.jsonl"), camera)
    rep = evaluate(labels)
    lines = [f"{os.path.basename(v)}: {d.primary()}"
             + "".join(f" (pair {a.tags[0]} {a.probabilities[0]:.2f} / {a.tags[1]} "
                       f"{a.probabilities[1]:.2f})" for a in d.pairs if d.primary() in a.tags)
             for v, d in sorted(rep.decisions.items())]
    return lines + format_report(rep)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter clips")
    ap.add_argument("--skip", nargs="*", default=[], choices=["accuracy", "layered", "devset", "real", "cpu", "e2e"])
    ap.add_argument("--e2e-loops", type=int, default=1,
                    help="end to end on the 5-shot file repeated N times (a longer file)")
    ap.add_argument("--lenses", nargs="*", type=float, default=[230.0, 480.0],
                    help="also score the dev set rendered with these focal lengths (px at 320 wide)")
    ap.add_argument("--append", action="store_true", help="add the output to benchmarks/RESULTS.md")
    ap.add_argument("--keep", help="folder for the generated clips (default: a temporary one)")
    ap.add_argument("--detectors", nargs="+", default=["adaptive", "fused"],
                    help="camtag shot detectors to run end to end (default: adaptive fused)")
    args = ap.parse_args(argv)
    n = 30 if args.quick else 60
    photos, textures = sy.shipped_photos()
    folder = args.keep or tempfile.mkdtemp(prefix="camtag-motion-bench-")
    os.makedirs(folder, exist_ok=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out = [f"motion benchmark, {datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.machine()}, "
           f"{os.cpu_count()} cores, python {platform.python_version()}, opencv {cv2.__version__}, "
           f"load average {load:.1f}; {n} frames per clip"]
    if "accuracy" not in args.skip:
        out += ["", "Per-frame corner error, 1280×720 (x264 CRF 20 medium), KLT at 640 wide:"]
        out += accuracy(folder, n, photos)
    if "layered" not in args.skip:
        out += ["", "Layered 3-D clips (planes at 3 / 7 / 30 m), 1280×720:"]
        out += layered(folder, max(24, n // 2), photos, textures)
    if "devset" not in args.skip:
        out += ["", "Failure-class development set (issue 16), 320×180, 25 fps:"] + dev_set(folder, args.lenses)
    if "real" not in args.skip:
        out += ["", "Labelled real clips (../shared/media/camera), camtag eval:"] + real_clips()
    if "cpu" not in args.skip:
        lines, verdict = cpu_stages(folder, n, photos)
        out += ["", "CPU per stage, 1920×1080 input:"] + lines + [verdict]
    if "e2e" not in args.skip:
        lines, verdict = end_to_end(folder, n, photos, args.detectors, args.e2e_loops)
        out += ["", "End to end, same 1080p file, same run:"] + lines + [verdict]
    print("\n".join(out))
    if args.append:
        sys.path.insert(0, os.path.dirname(__file__))
        from _common import append_results
        section = ("Motion II (issue 16)" if {"accuracy", "layered", "e2e"} <= set(args.skip)
                   else "Motion (issue 3)")
        command = "PYTHONPATH=app python benchmarks/motion.py " + " ".join(argv or sys.argv[1:])
        append_results(section, "```\n" + "\n".join(out) + "\n```", command=command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
