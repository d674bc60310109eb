"""`camtag app [PATH] [--library URL]`: the desktop app, optionally opening a clip or folder."""

from __future__ import annotations

import os
import sys

NAME = "app"
HELP = "open the desktop app (player, shot browser, motion timeline, tags, search, export)"


def add_arguments(p) -> None:
    p.add_argument("path", nargs="?", help="a clip to open (or a folder to queue for analysis)")
    p.add_argument("--library", metavar="URL", default=None,
                   help="library path or URL (sqlite:///PATH); default from Settings, "
                        "$CAMTAG_LIBRARY or the user data folder")
    p.add_argument("--screenshot", metavar="PNG",
                   help="headless use: wait for the analysis, save a picture of the window, quit")
    p.add_argument("--offscreen", action="store_true",
                   help="render without a screen (implied by --screenshot when there is no display)")
    p.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                   help="with --screenshot: longest wait for the analysis (default 600)")


def _no_display() -> bool:
    if sys.platform.startswith("linux"):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


def run(args) -> int:
    from camtag.cli import UserError

    if args.path and not os.path.exists(args.path):
        raise UserError(f"{args.path} does not exist")
    if args.offscreen or (_no_display() and "QT_QPA_PLATFORM" not in os.environ):
        if not args.offscreen and not args.screenshot:
            raise UserError("no display found; use `camtag app PATH --screenshot out.png` for a "
                            "headless run, or `camtag analyze PATH` for the analysis alone")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        from camtag.ui.app import run as run_app
    except ImportError as exc:
        raise UserError(f"the desktop app needs PySide6, pyqtgraph and superqt ({exc}); "
                        f"pip install PySide6-Essentials pyqtgraph superqt") from None
    return run_app(args.path, args.library, args.screenshot, args.timeout)
