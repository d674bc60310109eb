"""`camtag batch PATHS... [--ray auto|local|ADDRESS]`: analyse many files into a (shared) library."""

from __future__ import annotations

import os
import sys

from camtag.cli import UserError
from camtag.model import DEFAULT_DETECTOR

NAME = "batch"
HELP = "Analyse many files into the library, in-process or spread over a Ray cluster"
DEFAULT_MINUTES = 10.0      # segment length of a split file (docs/facility.md: choosing it)


def add_arguments(parser) -> None:
    from camtag.commands.library import add_library_option

    parser.add_argument("paths", nargs="+", metavar="PATH", help="media files or folders")
    parser.add_argument("--ray", metavar="ADDRESS", default=None,
                        help="run on Ray: 'auto' (the running cluster, else a local one), 'local', "
                             "or a cluster address HOST:PORT; without it the batch runs in-process")
    parser.add_argument("--workers", type=int, default=None,
                        help="CPUs of a local Ray instance (default: all)")
    parser.add_argument("--retries", type=int, default=2,
                        help="retries of a failed or lost task before the file is reported (default 2)")
    parser.add_argument("--segment-minutes", type=float, default=None, metavar="M",
                        help=f"with --ray: split files longer than 1.5 x M minutes into segments of "
                             f"about M minutes that run as separate tasks, with a result equal to "
                             f"the whole-file run (default {DEFAULT_MINUTES:g}; 0: one task per file)")
    add_library_option(parser)
    parser.add_argument("--detector", default=None, help=f"shot detector (default {DEFAULT_DETECTOR})")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="analysis setting (repeatable)")
    model = parser.add_argument_group("model tagging (CamReasoner; on Ray: one actor per GPU)")
    model.add_argument("--engine", choices=("llamacpp", "transformers", "server", "auto"), default=None,
                       help="tag every shot with the model after the geometric pass (default: geometry only)")
    model.add_argument("--model", metavar="PATH", help="model file (GGUF) or folder (transformers)")
    model.add_argument("--mmproj", metavar="PATH", help="vision projector GGUF (llamacpp)")
    model.add_argument("--model-set", dest="model_settings", action="append", default=[],
                       metavar="KEY=VALUE", help="reasoner setting, e.g. n_threads=4 (repeatable)")
    model.add_argument("--mode", default="plan", help="question mode: plan or thorough (default plan)")
    model.add_argument("--gpus-per-actor", type=float, default=None,
                       help="GPUs per model actor (default 1 when the cluster has GPUs, else 0)")
    model.add_argument("--actors", type=int, default=None,
                       help="model actors (default one per GPU, 1 without GPUs)")


def run(args) -> int:
    from tqdm import tqdm

    from camtag.commands.library import open_for_cli, parse_settings, request_from_args
    from camtag.library import LibraryError, parse_library_url
    from camtag.library.media_files import expand_media_paths
    from camtag.scale.runner import run_batch
    from camtag.scale.tasks import FileResult

    request = request_from_args(args.detector, args.settings)
    tagging = _tagging(args, parse_settings)
    minutes = args.segment_minutes
    if minutes is not None and not args.ray:
        raise UserError("--segment-minutes splits files over Ray tasks: it needs --ray")
    if minutes is not None and not (0 <= minutes < float("inf")):
        raise UserError("--segment-minutes must be a number of minutes, 0 or more (0 turns "
                        "splitting off)")
    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be at least 1")
    if args.retries < 0:
        raise UserError("--retries cannot be negative")
    minutes = DEFAULT_MINUTES if minutes is None else minutes
    files, problems = expand_media_paths(args.paths)
    if not files and not problems:
        raise UserError("nothing to analyse: give media files or folders")
    try:
        url = parse_library_url(args.library)
    except LibraryError as exc:
        raise UserError(str(exc)) from None
    lib = open_for_cli(args.library)            # creates/migrates once, fails early if unreachable
    where = lib.store.description
    lib.close()
    bar = tqdm(total=None, unit="frame", desc=f"{len(files)} file(s)", leave=False,
               dynamic_ncols=True, file=sys.stderr, disable=None)

    def on_progress(done, total):
        if total and bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        results = run_batch(files, str(url), ray_address=args.ray, workers=args.workers,
                            request=request, max_retries=args.retries,
                            tagging=tagging, actors=args.actors, gpus_per_actor=args.gpus_per_actor,
                            segment_minutes=minutes, on_progress=on_progress)
    except ConnectionError as exc:
        raise UserError(f"cannot reach the Ray cluster at {args.ray}: {exc}") from None
    except ValueError as exc:                    # more GPUs asked for than the cluster has
        raise UserError(str(exc)) from None
    finally:
        bar.close()
    for problem in problems:
        path, _, reason = problem.partition(": ")
        results.append(FileResult(path, "failed", message=reason))
    for r in results:
        extra = f" ({r.message})" if r.message else ""
        model = f", {r.tagged} tagged by the model" if tagging is not None else ""
        print(f"{r.status:>10}  {r.path}  {r.shots} shots{model}{extra}", file=sys.stderr)
    failed = [r for r in results if r.status == "failed"]
    print(f"{len(results)} file(s): {len(results) - len(failed)} ok, {len(failed)} failed; "
          f"library {where}", file=sys.stderr)
    return 1 if failed else 0


def _tagging(args, parse_settings):
    """The model part of the batch (a TagSpec), or None for the geometric engine alone."""
    if args.engine is None:
        if args.model or args.mmproj:
            raise UserError("--model/--mmproj need --engine (llamacpp, transformers, server or auto)")
        return None
    from camtag.reasoner.plan import MODES
    from camtag.scale.tagger_actor import TagSpec

    if args.mode not in MODES:
        raise UserError(f"unknown question mode {args.mode!r} (use {' or '.join(MODES)})")
    if args.gpus_per_actor is not None and args.gpus_per_actor < 0:
        raise UserError("--gpus-per-actor cannot be negative")
    if args.actors is not None and args.actors < 1:
        raise UserError("--actors must be at least 1")
    settings = dict(parse_settings(args.model_settings))
    if args.model:
        key = "hf_model_dir" if args.engine == "transformers" else "model_path"
        settings[key] = os.path.abspath(args.model)
    if args.mmproj:
        settings["mmproj_path"] = os.path.abspath(args.mmproj)
    return TagSpec(args.engine, settings, args.mode)
