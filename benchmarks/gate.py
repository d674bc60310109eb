"""How often the fused detector's gate wakes TransNetV2 without a transition, and whether every
gradual transition still wakes it: the synthetic set of camtag.shots.gate_set (exact labels).

    PYTHONPATH=app python benchmarks/gate.py [--frames 120] [--append]

A window is TransNetV2's: frames [50k-25, 50k+75), predicting its middle 50. A false open is a
window with no gradual-transition frame (nor one in the 48 frames before it: a change the
classical detector measures may start that far back) that the gate opens (TransNetV2, torch and ~650 MB load
for nothing); a transition is found when a window predicting one of its frames opens, and fully
covered when every such window opens. The anchor is the gate as it was (full-resolution mean
residual of the thumbnails) in the same run, on the same frames.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import cv2
import numpy as np

from camtag.shots import gate as g
from camtag.shots import gate_set
from camtag.shots.adaptive_detector import AdaptiveDetector, warp_residual
from camtag.shots.base import DetectorSettings

WINDOW, STEP, PAD = 100, 50, 25


def before(a: np.ndarray, b: np.ndarray) -> float:
    """The gate's measure before this change (fused_detector._measure_unexplained)."""
    span = float(np.abs(b.astype(np.float32) - a).mean())
    left = warp_residual(a, b)
    return 1.0 if left is None or span <= 0 else left / span


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Trial: one similarity from sparse tracking, as before, at the blurred scale, trimmed."""
    import cv2

    pts = cv2.goodFeaturesToTrack(a, maxCorners=80, qualityLevel=0.01, minDistance=4)
    if pts is None or len(pts) < 8:
        return 1.0
    moved, ok, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, winSize=(15, 15), maxLevel=3)
    ok = ok.ravel() == 1
    fit = None if ok.sum() < 8 else cv2.estimateAffinePartial2D(
        pts[ok], moved[ok], method=cv2.RANSAC, ransacReprojThreshold=1.0)[0]
    if fit is None:
        return 1.0
    h, w = b.shape
    af = cv2.GaussianBlur(a.astype(np.float32), (0, 0), g.BLUR)
    bf = cv2.GaussianBlur(b.astype(np.float32), (0, 0), g.BLUR)
    warped = cv2.warpAffine(af, fit, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    covered = cv2.warpAffine(np.full_like(a, 255), fit, (w, h), flags=cv2.INTER_NEAREST) > 0
    covered = cv2.erode(covered.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if covered.mean() < 0.5:
        return 1.0
    left, span = np.abs(warped - bf)[covered], np.abs(bf - af)[covered]
    keep = left <= np.quantile(left, g.TRIM)
    return min(1.0, float(left[keep].mean()) / max(1e-6, float(span[keep].mean())))


_DIS: dict[int, object] = {}


def dis_flow(dst: np.ndarray, src: np.ndarray, preset: int = cv2.DISOPTICAL_FLOW_PRESET_FAST) -> np.ndarray:
    """Trial: dense flow from ``dst`` to ``src`` by DIS instead of Farnebäck."""
    dis = _DIS.get(preset)
    if dis is None:
        dis = _DIS[preset] = cv2.DISOpticalFlow_create(preset)
    return dis.calc(dst, src, None)


VARIANTS = {
    "before (thumbnail, mean)": before,
    "similarity, blur 1.5, trim 0.9": similarity,
    "dense flow, thumbnail, mean": lambda a, b: g.unexplained_part(a, b, 0.0, 1.0),
    "after: dense flow, blur 1.5, trim 0.9": g.unexplained_part,
    "DIS ultrafast, blur 1.5, trim 0.9": lambda a, b: g.unexplained_part(
        a, b, flow_fn=lambda d, s: dis_flow(d, s, cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)),
    "DIS fast, blur 1.5, trim 0.9": lambda a, b: g.unexplained_part(a, b, flow_fn=dis_flow),
    "DIS medium, blur 1.5, trim 0.9": lambda a, b: g.unexplained_part(
        a, b, flow_fn=lambda d, s: dis_flow(d, s, cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)),
}


def windows(n: int):
    first = -PAD
    while first + PAD < n:
        yield first
        first += STEP


def evaluate(clip, measure) -> dict:
    det = AdaptiveDetector(DetectorSettings(min_shot_frames=6))
    gate = g.MixGate(det, measure)
    for frame in gate_set.analysis_frames(clip):
        det.process(frame)
        gate.add(frame.index, frame.small)
    det.finish()
    n = len(clip.frames)
    res = {"neg": 0, "false": 0, "near": 0, "found": [], "full": [], "worst": 0.0}
    opened = {first: gate.opens(first, first + WINDOW) for first in windows(n)}
    for first, is_open in opened.items():
        if not any(s < first + WINDOW and e >= first - 48 for s, e in clip.gradual):
            res["neg"] += 1
            res["false"] += int(is_open)
            evidence = [gate.unexplained(t) for t in range(first, first + WINDOW)
                        if det.active.get(t, 9.0) <= g.MIX_GATE]
            res["near"] += int(max(evidence, default=0.0) >= g.MOVED_MAX / 2)
    for s, e in clip.gradual:
        mine = [o for f, o in opened.items() if s < f + PAD + STEP and e >= f + PAD]
        res["found"].append(any(mine))
        res["full"].append(all(mine))
        inside = [t for t in range(s, e + 49) if det.active.get(t, 9.0) <= g.MIX_GATE]
        res["worst"] = max([res["worst"]] + [gate.unexplained(t) for t in inside])
    mixes = [t for t in range(n) if det.active.get(t, 9.0) <= g.MIX_GATE]
    if not clip.gradual and mixes:
        res["worst"] = max(gate.unexplained(t) for t in mixes)
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    args = ap.parse_args()
    t0 = time.time()
    clips = gate_set.build(frames=args.frames)
    made = time.time() - t0
    lines = []
    per_clip: dict[str, list[str]] = {c.name: [] for c in clips}
    rows = []
    for name, measure in VARIANTS.items():
        t1 = time.time()
        neg = false = near = 0
        found: list[bool] = []
        full: list[bool] = []
        for clip in clips:
            r = evaluate(clip, measure)
            neg, false, near = neg + r["neg"], false + r["false"], near + r["near"]
            found += r["found"]
            full += r["full"]
            per_clip[clip.name].append(
                f"{r['false']}/{r['neg']} max {r['worst']:.2f}"
                + ("" if not r["found"] else f" found {sum(r['found'])}/{len(r['found'])}"))
        rows.append(f"| {name} | {false}/{neg} ({100 * false / max(1, neg):.0f} %) | {near} | "
                    f"{sum(found)}/{len(found)} | {sum(full)}/{len(full)} | {time.time() - t1:.1f} |")
    load = os.getloadavg()[0]
    lines.append(f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.machine()}, "
                 f"{os.cpu_count()} CPUs, load {load:.1f}; {len(clips)} clips "
                 f"({len(gate_set.NEGATIVE)} without a gradual transition, "
                 f"{len(gate_set.POSITIVE)} with one), {args.frames} frames a shot, "
                 f"480×270 rendered, 128×72 thumbnails; set made in {made:.0f} s")
    lines.append("")
    lines.append("| gate measure | false opens (windows with no gradual transition) | "
                 "no-transition windows with evidence ≥ half the limit | transitions found | "
                 "transitions fully covered | s |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    lines += rows
    lines.append("")
    lines.append("| clip | " + " | ".join(VARIANTS) + " |")
    lines.append("|---|" + "---|" * len(VARIANTS))
    for name, cells in per_clip.items():
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if args.append:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
