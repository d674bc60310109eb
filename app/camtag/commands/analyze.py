"""`camtag analyze VIDEO -o RESULT.json`: shots, motion curves, tags and traces for one file."""

from __future__ import annotations

import os
import sys

NAME = "analyze"
HELP = "analyse a video: shots, camera-motion tags, curves and traces, written as JSON"


def add_arguments(p) -> None:
    p.add_argument("video", help="the media file to analyse")
    p.add_argument("-o", "--output", help="analysis JSON to write (default: VIDEO.camtag.json)")
    p.add_argument("--detector", default="fused",
                   help="shot detector: fused (default), adaptive (fast, no torch), transnet")
    p.add_argument("--sensitivity", type=float, default=1.0,
                   help="shot detector sensitivity: >1 finds more cuts, <1 fewer (default 1)")
    p.add_argument("--min-shot", type=float, default=0.25, metavar="SECONDS",
                   help="minimum shot length in seconds (default 0.25)")
    p.add_argument("--engine", default="geometry",
                   help="tagging engine: geometry (default), auto, llamacpp, transformers, server")
    p.add_argument("--mode", default="plan", choices=("plan", "thorough"),
                   help="model question plan: plan (affordable default) or thorough (all 15 primitives)")
    p.add_argument("--no-motion", action="store_true", help="shots only, no motion engine")
    p.add_argument("--posters", metavar="DIR", help="where poster frames go (default: user cache)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")


def run(args) -> int:
    from camtag.analysis_json import write_analysis
    from camtag.cli import UserError
    from camtag.commands._progress import run_with_progress
    from camtag.jobs import CancelToken
    from camtag.pipeline import analyze_job
    from camtag.shots.base import DetectorUnavailable, available_detectors

    if args.detector not in available_detectors():
        raise UserError(f"unknown detector {args.detector!r}; choose one of "
                        f"{', '.join(available_detectors())}")
    output = args.output or os.path.splitext(args.video)[0] + ".camtag.json"
    settings = {"detector": args.detector, "sensitivity": args.sensitivity,
                "min_shot_seconds": args.min_shot, "motion": not args.no_motion}
    cancel = CancelToken()
    try:
        analysis = run_with_progress(
            analyze_job(args.video, settings=settings, cancel=cancel, poster_dir=args.posters),
            cancel, desc=os.path.basename(args.video), quiet=args.quiet)
    except DetectorUnavailable as exc:
        raise UserError(str(exc)) from None
    if args.engine != "geometry":
        analysis = _run_reasoner(analysis, args, cancel)
    write_analysis(output, analysis)
    if not args.quiet:
        _summary(analysis, output)
    return 0


def _run_reasoner(analysis, args, cancel):
    """Tag the shots with CamReasoner; on any failure keep the geometric result and say why."""
    from dataclasses import replace

    from camtag.commands._progress import run_with_progress

    try:
        from camtag.reasoner import pick_backend, reason_job
    except ImportError as exc:
        print(f"camtag: model engine unavailable ({exc}); geometric tags kept", file=sys.stderr)
        return analysis
    backend = pick_backend(args.engine)
    if backend is None:
        print(f"camtag: no usable model engine for --engine {args.engine}; geometric tags kept "
              "(run `camtag doctor`)", file=sys.stderr)
        return analysis
    shots = run_with_progress(reason_job(analysis.media, analysis.shots, backend, mode=args.mode,
                                         cancel=cancel), cancel, desc="model", quiet=args.quiet)
    return replace(analysis, shots=tuple(shots), engine=getattr(backend, "NAME", args.engine))


def _summary(analysis, output: str) -> None:
    m = analysis.media
    print(f"{os.path.basename(m.path)}: {m.width}x{m.height} {float(m.rate):.3f} fps, "
          f"{m.frames} frames, start {m.timecode(0)}{' (VFR)' if m.vfr else ''}; "
          f"{len(analysis.shots)} shots by {analysis.detector}")
    for s in analysis.shots:
        tags = ", ".join(f"{t.id} {t.confidence:.2f}" for t in s.tags[:4]) or "-"
        tr = s.transition_in.type if s.transition_in else "start"
        print(f"  {s.index + 1:3d}  {m.timecode(s.start_frame)} - {m.timecode(s.end_frame)}  "
              f"{tr:9s} {tags}")
    for w in analysis.warnings:
        print(f"  warning: {w}")
    for e in analysis.errors:
        print(f"  broken data: {e}")
    print(f"written {output}")
