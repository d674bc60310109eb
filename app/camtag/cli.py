"""`camtag` command line: one module per subcommand in :mod:`camtag.commands`.

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Errors the user can act on are printed as one line (no traceback) with a non-zero exit; so is
any other error (``CAMTAG_DEBUG=1`` shows its traceback). A closed pipe ends quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import camtag
from camtag import commands


class UserError(Exception):
    """An error whose message is the whole story for the user (printed without a traceback)."""


def _command_modules(only: str | None = None):
    """The command modules, or only the one for the command ``only`` (a run imports just the
    command it runs: start-up is most of a short clip's analysis)."""
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    if only is not None:
        names = [n for n in names if n == only.replace("-", "_")]
    for name in names:
        module = importlib.import_module(f"camtag.commands.{name}")
        if hasattr(module, "NAME") and hasattr(module, "run") and only in (None, module.NAME):
            yield module


def _chosen_command(argv: list[str]) -> str | None:
    """The command named first on the command line, when there is one and no top-level option
    comes before it (``--help``, ``--version`` and mistakes get the whole parser)."""
    if not argv or argv[0].startswith("-"):
        return None
    return argv[0]


def build_parser(only: str | None = None) -> argparse.ArgumentParser | None:
    """The whole command line, or the top level with the one command ``only`` (None when there
    is no such command: the whole parser then gives the help and the error)."""
    parser = argparse.ArgumentParser(prog="camtag", description="Camera-movement tagging for editors.")
    parser.add_argument("--version", action="version", version=f"camtag {camtag.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    added = 0
    for module in _command_modules(only):
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
        added += 1
    return parser if added or only is None else None


def _printable_streams() -> None:
    """File names that are not UTF-8 (Latin-1 shares) arrive as surrogate escapes: print them as
    the bytes they were instead of failing on them."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="surrogateescape" if stream is sys.stdout else "backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass


def _quiet_broken_pipe() -> int:
    """The reader went away (``camtag search --json | head``): stop quietly, as shell tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 141


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _one_blas_thread() -> None:
    """numpy's OpenBLAS starts a thread per core at import and sizes their buffers: ~0.2 s of
    CPU on 2 cores, more on big machines, for a program whose numpy work is small arrays (the
    decoder, OpenCV and torch have their own threads). A user's own setting is kept."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    _one_blas_thread()
    from camtag.inputs import InputError
    from camtag.media.errors import MediaError
    from camtag.outputs import OutputError

    _printable_streams()
    argv = sys.argv[1:] if argv is None else list(argv)
    only = _chosen_command(argv)
    parser = (build_parser(only) if only is not None else None) or build_parser()
    assert parser is not None
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("camtag: interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except (UserError, MediaError, InputError, OutputError) as exc:
        print(f"camtag: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except RecursionError:
        print("camtag: error: input nested too deeply", file=sys.stderr)
        return 1
    except MemoryError:
        print("camtag: error: out of memory", file=sys.stderr)
        return 1
    except OSError as exc:
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"camtag: error: {name}{exc.strerror or _one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("CAMTAG_DEBUG"):
            raise
        print(f"camtag: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set CAMTAG_DEBUG=1 for the traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
