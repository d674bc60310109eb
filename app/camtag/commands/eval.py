"""`camtag eval LABELS`: score an engine on labelled clips in CameraBench's binary primitives."""

from __future__ import annotations

import argparse
import sys

NAME = "eval"
HELP = "Score camera-movement tags against labelled clips (CameraBench binary primitives)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("labels", help="a CameraBench binary-classification .jsonl file, a folder of "
                                       "them, or a JSON of clip → positives / negatives")
    parser.add_argument("--videos", help="folder the label file's video paths are relative to")
    parser.add_argument("--engine", default="geometric",
                        choices=("geometric", "llamacpp", "transformers", "server", "auto"),
                        help="which tagger to score (default geometric)")
    parser.add_argument("--server-url", help="OpenAI-compatible server for --engine server")
    parser.add_argument("--quiet", action="store_true", help="no per-clip progress lines")


def run(args) -> int:
    from camtag.cli import UserError
    from camtag.evaluation.labels import load_labels
    from camtag.evaluation.runner import analyse_geometric, evaluate, format_report, model_analyser

    analyse = analyse_geometric
    if args.engine != "geometric":
        settings = {"server_url": args.server_url} if args.server_url else {}
        try:
            analyse = model_analyser(args.engine, settings)
        except ValueError as exc:
            raise UserError(str(exc)) from None

    labels = load_labels(args.labels, args.videos)
    if not labels.items:
        for p in labels.problems:
            print(f"camtag eval: {p}", file=sys.stderr)
        raise UserError(f"no usable labels in {args.labels}")

    def progress(video: str) -> None:
        if not args.quiet:
            print(f"analysing {video}", file=sys.stderr)

    report = evaluate(labels, analyse=analyse, progress=progress)
    for line in format_report(report):
        print(line)
    return 0
