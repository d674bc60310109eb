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
    parser.add_argument("--calibration", metavar="FILE",
                        help="a camtag.calibration/1 file: a model engine's fusion maps the model's "
                             "P(yes) through it; with the geometric engine it is applied to the "
                             "confidences before scoring")
    parser.add_argument("--fit-calibration", metavar="OUT",
                        help="fit a per-primitive temperature and offset to these labels and write "
                             "them to OUT (the file the model engines' 'calibration' setting reads)")
    parser.add_argument("--force", action="store_true",
                        help="let --fit-calibration replace a file that is not a camtag output")
    parser.add_argument("--quiet", action="store_true", help="no per-clip progress lines")


def run(args) -> int:
    from camtag.cli import UserError
    from camtag.evaluation.labels import load_labels
    from camtag.evaluation.runner import analyse_geometric, evaluate, format_report, model_analyser
    from camtag.outputs import check_output, output_policy
    from camtag.reasoner import calibration
    from camtag.reasoner.setup_questions import BY_KEY

    cal = None
    if args.calibration:
        try:
            cal = calibration.load(args.calibration)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    if args.fit_calibration:          # refused before any clip is decoded, not after
        inputs = (args.labels, args.calibration or "")
        with output_policy(args.force, inputs) as policy:
            check_output(args.fit_calibration, policy)
    labels = load_labels(args.labels, args.videos)
    if not labels.items:
        for p in labels.problems:
            print(f"camtag eval: {p}", file=sys.stderr)
        raise UserError(f"no usable labels in {args.labels}")

    analyse = analyse_geometric
    if args.engine != "geometric":
        settings = {"server_url": args.server_url} if args.server_url else {}
        if args.calibration:          # a model engine's file maps the model's P(yes) inside fusion
            settings["calibration"], cal = args.calibration, None
        if any(i.task in BY_KEY for i in labels.items):      # set-up labels: ask those questions too
            settings["setup_questions"] = True
        try:
            analyse = model_analyser(args.engine, settings)
        except ValueError as exc:
            raise UserError(str(exc)) from None

    def progress(video: str) -> None:
        if not args.quiet:
            print(f"analysing {video}", file=sys.stderr)

    report = evaluate(labels, analyse=analyse, progress=progress, calibration=cal)
    for line in format_report(report):
        print(line)
    if args.fit_calibration:
        fit_and_write(report, args.fit_calibration, args.force, (args.labels, args.calibration or ""),
                      model=args.engine != "geometric")
    return 0


def fit_and_write(report, out: str, force: bool, inputs: tuple[str, ...], model: bool = False) -> None:
    """Fit the calibration to (primitive, P(yes), label) pairs, write it through the output policy
    and say what it does to the expected calibration error on these labels. A model engine's
    file is fitted to the model's own P(yes) (its answer letter's probabilities, before fusion):
    that is what fusion maps through it. The geometric engine's is fitted to its confidences."""
    from camtag.cli import UserError
    from camtag.evaluation.metrics import reliability
    from camtag.evaluation.runner import calibrated
    from camtag.outputs import output_policy
    from camtag.reasoner import calibration

    pairs = report.model_pairs if model else report.pairs
    if not pairs:
        raise UserError("nothing to fit: the model gave no answer-letter probabilities on these labels "
                        "(a server without logprobs?); the results above stand, no file was written")
    cal = calibration.fit(pairs)
    with output_policy(force, inputs):
        calibration.save(cal, out)
    y = [label for _, _, label in pairs]
    _, before = reliability(y, [p for _, p, _ in pairs])
    _, after = reliability(y, [calibrated(cal, tag, p) for tag, p, _ in pairs])
    fitted = len({tag for tag, _, _ in pairs})
    what = ("the model's own P(yes), before fusion, over {n} answers" if model else
            "the geometric engine's confidences (camtag eval --calibration applies them; fit with a "
            "model engine for the file fusion reads)").format(n=len(pairs))
    print(f"calibration for {fitted} primitive(s) written to {out}, fitted to {what}: expected "
          f"calibration error {before:.3f} → {after:.3f} on these labels (in-sample; check it on "
          f"other labels with --calibration); the model engines read it through the reasoner "
          f"setting calibration={out} (e.g. camtag batch --set calibration={out})")
