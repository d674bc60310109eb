"""`camtag` command line: one module per subcommand in :mod:`camtag.commands`.

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Errors the user can act on are printed as one line (no traceback) with a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import camtag
from camtag import commands


class UserError(Exception):
    """An error whose message is the whole story for the user (printed without a traceback)."""


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"camtag.commands.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            yield module


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="camtag", description="Camera-movement tagging for editors.")
    parser.add_argument("--version", action="version", version=f"camtag {camtag.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from camtag.media.errors import MediaError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("camtag: interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
    except (UserError, MediaError) as exc:
        print(f"camtag: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
