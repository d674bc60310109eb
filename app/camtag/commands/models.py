"""`camtag models list | verify [NAME|PATH] | add PATH | pull NAME | synth ARCH`: the model files camtag knows."""

from __future__ import annotations

import argparse
import sys

NAME = "models"
HELP = "List, verify, add or download CamReasoner model files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="known and added models, and where they are")
    v = sub.add_parser("verify", help="check size, sha256, format and pairing (and loading with --load)")
    v.add_argument("target", nargs="?", help="a model name or a file/folder path (default: all found)")
    v.add_argument("--load", action="store_true", help="also load the model with its backend (slow for 7B)")
    a = sub.add_parser("add", help="record a model file or folder you have (converted or downloaded)")
    a.add_argument("path")
    a.add_argument("--name", help="name to record it under (default: from the file name)")
    a.add_argument("--kind", choices=("gguf", "mmproj", "hf"), help="default: detected from the file")
    a.add_argument("--mmproj", help="the vision projector that goes with a GGUF text model (name or path)")
    p = sub.add_parser("pull", help="download a published model with huggingface_hub (needs internet)")
    p.add_argument("name")
    p.add_argument("--dest", help="folder to download into (default: camtag's model folder)")
    y = sub.add_parser("synth", help="write a full-size synthetic model (random weights) for speed benchmarks")
    y.add_argument("arch", choices=("qwen2.5-vl-7b",))
    y.add_argument("--quant", default="Q4_K_M", choices=("Q4_K_M", "Q8_0", "F16"))
    y.add_argument("-o", "--out", required=True, help="folder to write the GGUF and mmproj into")
    y.add_argument("--reduce", type=int, default=1, help=argparse.SUPPRESS)     # tests: N times narrower
    for s in (parser, v, a, p):
        s.add_argument("--models-dir", help="an extra folder to look for model files in")


def run(args) -> int:
    from camtag import models_registry as reg
    from camtag.cli import UserError
    from camtag.reasoner.base import ModelFileError

    settings = {"models_dir": args.models_dir} if getattr(args, "models_dir", None) else {}
    action = args.action or "list"
    try:
        if action == "list":
            return _list(reg, settings)
        if action == "verify":
            return _verify(reg, args, settings)
        if action == "add":
            entry = reg.add(args.path, name=args.name, kind=args.kind, pair=args.mmproj)
            print(f"added {entry.name} ({entry.kind}, {entry.quantization or 'safetensors'}, "
                  f"{entry.size:,} bytes) -> {reg.user_registry_path()}")
            return 0
        if action == "synth":
            return _synth(args)
        if action == "pull":
            path = reg.pull(args.name, args.dest, settings=settings)
            entry = reg.add(path, name=args.name)
            print(f"downloaded {args.name} to {path} and recorded it ({entry.size:,} bytes)")
            return 0
    except ModelFileError as exc:
        raise UserError(str(exc)) from None
    raise UserError(f"unknown action {action!r}")


def _list(reg, settings) -> int:
    rows = reg.entries(settings)
    width = max([len(e.name) for e in rows] + [4])
    print(f"{'name':<{width}}  kind    quant    size      where")
    for e in rows:
        size = reg.human_size(e.size) if e.size else (e.approx_size or "?")
        where = e.path or "not on this machine"
        flag = "" if e.auto else "  (never picked automatically)"
        print(f"{e.name:<{width}}  {e.kind:<6}  {e.quantization or '-':<7}  {size:<8}  {where}{flag}")
    print("model folders: " + ", ".join(str(d) for d in reg.model_dirs(settings)))
    print(f"added models are recorded in {reg.user_registry_path()}")
    return 0


def _verify(reg, args, settings) -> int:
    from pathlib import Path

    from camtag.models_registry import ModelEntry

    if args.target and Path(args.target).exists():
        path = Path(args.target).resolve()
        if path.is_dir():
            from camtag.reasoner.model_files import folder_problems

            problems = folder_problems(path)
            if problems:                        # one line per bad file, then stop
                for line in problems:
                    print(f"BAD {line}")
                return 1
        kind = reg.detect_kind(path)
        found = [e for e in reg.entries(settings) if e.path and Path(e.path).resolve() == path]
        targets = found or [ModelEntry(name=path.name, kind=kind, file=path.name, path=str(path))]
    elif args.target:
        targets = [reg.by_name(args.target, settings)]
    else:
        targets = [e for e in reg.entries(settings) if e.path]
        if not targets:
            print("no model files found; see models/README.md to convert CamReasoner, then `camtag models add`")
            return 1
    bad = 0
    for entry in targets:
        try:
            result = reg.verify(entry, load=args.load, settings=settings)
            ok, lines = result.ok, result.lines
        except Exception as exc:  # one hostile file must not end the report
            ok, lines = False, [f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"]
        print(f"{'OK ' if ok else 'BAD'} {entry.name}: " + "; ".join(lines))
        bad += not ok
    sys.stdout.flush()
    return 1 if bad else 0


def _synth(args) -> int:
    import importlib.util
    import os

    from camtag.cli import UserError

    if importlib.util.find_spec("gguf") is None:
        raise UserError("writing GGUF files needs the gguf package (pip install 'gguf>=0.10')")
    from camtag.reasoner import synth

    shapes = synth.shapes_7b()
    if args.reduce > 1:
        shapes = synth.reduced(shapes, args.reduce)
    try:
        text, proj = synth.write_synthetic(args.out, args.quant, shapes)
    except OSError as exc:
        raise UserError(f"{args.out}: cannot write ({exc.strerror or exc})") from None
    for path in (text, proj):
        print(f"wrote {path} ({os.path.getsize(path) / 2**30:.2f} GiB)")
    print(f"random weights with {args.arch}'s shapes: for speed only. Benchmark it with "
          f"`python benchmarks/reasoner.py --model {args.out}`")
    return 0
