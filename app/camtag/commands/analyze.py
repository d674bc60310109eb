"""`camtag analyze VIDEO -o RESULT.json`: shots, motion curves, tags and traces for one file."""

from __future__ import annotations

import os
import sys

from camtag.model import AnalysisRequest

NAME = "analyze"
HELP = "analyse a video: shots, camera-motion tags, curves and traces, written as JSON"


def add_arguments(p) -> None:
    p.add_argument("video", help="the media file to analyse")
    p.add_argument("-o", "--output", help="analysis JSON to write (default: VIDEO.camtag.json; '-': stdout)")
    p.add_argument("--force", action="store_true", help="overwrite a file that is not a camtag output")
    d = AnalysisRequest()
    p.add_argument("--detector", default=None,
                   help=f"shot detector: fused, adaptive (fast, no torch), transnet "
                        f"(default {d.detector})")
    p.add_argument("--sensitivity", type=float, default=None,
                   help=f"shot detector sensitivity: >1 finds more cuts, <1 fewer "
                        f"(default {d.sensitivity:g})")
    p.add_argument("--min-shot", type=float, default=None, metavar="SECONDS",
                   help=f"minimum shot length in seconds (default {d.min_shot_seconds:g})")
    p.add_argument("--engine", default=d.engine,
                   help="tagging engine: geometry (default), auto, llamacpp, transformers, server")
    p.add_argument("--mode", default="plan", choices=("plan", "thorough"),
                   help="model question plan: plan (affordable default) or thorough (all 15 primitives)")
    p.add_argument("--model", metavar="GGUF_OR_DIR",
                   help="model file: a GGUF (llamacpp) or a safetensors folder (transformers)")
    p.add_argument("--mmproj", metavar="GGUF", help="the f16 mmproj GGUF for llamacpp")
    p.add_argument("--server-url", metavar="URL",
                   help="OpenAI-compatible endpoint for --engine server (loopback by default)")
    p.add_argument("--allow-cpu", action="store_true",
                   help="let --engine auto run the 7B model on the CPU (minutes per shot)")
    p.add_argument("--no-motion", action="store_true", help="shots only, no motion engine")
    p.add_argument("--posters", metavar="DIR", help="where poster frames go (default: user cache)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")


def run(args) -> int:
    from camtag.analysis_json import write_analysis
    from camtag.cli import UserError
    from camtag.commands._progress import run_with_progress
    from camtag.jobs import CancelToken
    from camtag.pipeline import analyze_job
    from camtag.runs import RequestError, make_request
    from camtag.shots.base import DetectorUnavailable

    given = {"sensitivity": args.sensitivity, "min_shot_seconds": args.min_shot,
             "motion": not args.no_motion, "engine": args.engine, "mode": args.mode}
    try:
        request = make_request({k: v for k, v in given.items() if v is not None}, args.detector)
    except RequestError as exc:
        raise UserError(str(exc)) from None
    output = args.output or os.path.splitext(args.video)[0] + ".camtag.json"
    from camtag.outputs import OutputPolicy, check_output, output_policy
    check_output(output, OutputPolicy(args.force, (args.video,)))  # before minutes of work
    cancel = CancelToken()
    backend, frames, media = None, None, None
    if args.engine != "geometry":
        backend, frames, media = _prepare_reasoner(args)
    try:
        analysis = run_with_progress(
            analyze_job(args.video, request, cancel=cancel, poster_dir=args.posters,
                        media=media, consumers=[frames] if frames is not None else []),
            cancel, desc=os.path.basename(args.video), quiet=args.quiet)
    except DetectorUnavailable as exc:
        raise UserError(str(exc)) from None
    if backend is not None:
        analysis = _run_reasoner(analysis, args, cancel, backend, frames)
    with output_policy(args.force, (args.video,)):
        write_analysis(output, analysis)  # a failed write keeps the result in the cache, says where
    if not args.quiet and output != "-":
        summary(analysis, output)
    elif analysis.errors:       # quiet, or JSON on stdout: decode problems still get one line
        print(f"camtag: {os.path.basename(args.video)}: decode problems: {analysis.errors[0]}"
              + (f" (+{len(analysis.errors) - 1} more in the analysis's \"errors\")"
                 if len(analysis.errors) > 1 else ""), file=sys.stderr)
    return 0


def _prepare_reasoner(args):
    """Pick the model backend before decoding, so its frames come from the same decode pass.
    Without a usable backend the run goes on with the geometric engine and says why."""
    from camtag.media.frames import FrameCache
    from camtag.media.probe import probe

    try:
        from camtag.reasoner import available_backends, pick_backend
    except ImportError as exc:
        print(f"camtag: model engine unavailable ({exc}); using the geometric engine", file=sys.stderr)
        return None, None, None
    settings = {"allow_cpu": args.allow_cpu}
    if args.model:
        key = "hf_model_dir" if os.path.isdir(args.model) else "model_path"
        settings[key] = os.path.abspath(args.model)
    if args.mmproj:
        settings["mmproj_path"] = os.path.abspath(args.mmproj)
    if args.server_url:
        settings["server_url"] = args.server_url
    backend = pick_backend(args.engine, settings)
    if backend is None:
        why = available_backends(settings).get(args.engine, "no backend is usable here")
        print(f"camtag: model engine {args.engine!r} unavailable ({why}); using the geometric "
              "engine (run `camtag doctor`)", file=sys.stderr)
        return None, None, None
    media = probe(args.video)
    return backend, FrameCache(media, backend.budget), media


def _run_reasoner(analysis, args, cancel, backend, frames):
    """Tag the shots with CamReasoner (``runs.model_pass``, the pass the UI and Ray run too); on
    failure keep the geometric result and say why. The result names the engine that answered."""
    from dataclasses import replace

    from camtag.commands._progress import run_with_progress
    from camtag.runs.model_pass import model_pass

    try:
        done = run_with_progress(model_pass(analysis.media, analysis.shots, backend, mode=args.mode,
                                            cancel=cancel, frames=frames),
                                 cancel, desc="model", quiet=args.quiet)
    except Exception as exc:  # a model failure never loses the geometric result
        print(f"camtag: model tagging stopped ({exc}); geometric tags kept", file=sys.stderr)
        return analysis
    finally:
        backend.close()
    if done.problem:
        print(f"camtag: model: {done.problem}", file=sys.stderr)
    return replace(analysis, shots=done.shots, engine=done.engine or analysis.engine)


def summary(analysis, output: str) -> None:
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
        print(f"  decode problem: {e}")
    print(f"written {output}")
