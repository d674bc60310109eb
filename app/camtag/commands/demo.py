"""`camtag demo`: the main job on the embedded defaults.

Makes the demo clip (from photos scikit-image ships; public domain / CC0), analyses it with the
default detector and the geometric engine into the default SQLite library, writes the analysis
JSON and a CMX3600 EDL beside the clip, prints the shots, and opens the app on it when a screen
is available (``--headless`` never opens a window). ``--again`` renders and analyses afresh
(e.g. after installing TransNetV2).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys

NAME = "demo"
HELP = "make the demo clip, analyse it into the library, export an EDL and open the app"


def add_arguments(p) -> None:
    from camtag.model import DEFAULT_DETECTOR

    p.add_argument("--out", default="demo", help="folder for the demo clip and results (default ./demo)")
    p.add_argument("--library", help="library URL or path (default: the user library)")
    p.add_argument("--headless", action="store_true", help="never open a window")
    p.add_argument("--detector", default=DEFAULT_DETECTOR, help=f"shot detector (default {DEFAULT_DETECTOR})")
    p.add_argument("--again", action="store_true",
                   help="render the clip and analyse it afresh (e.g. after installing TransNetV2)")
    p.add_argument("--quit-after", type=float, metavar="SECONDS", default=None,
                   help="close the app this many seconds after its window appears (for tests)")


def _has_screen() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or os.name == "nt" \
        or sys.platform == "darwin"


def camtag_command() -> str:
    """How the user starts camtag from the current folder: ``camtag`` when that is this install on
    PATH, else the script beside this Python (``.venv/bin/camtag``), else ``python -m camtag``."""
    bindir = os.path.dirname(sys.executable)
    script = os.path.join(bindir, "camtag.exe" if os.name == "nt" else "camtag")
    found = shutil.which("camtag")
    if found and os.path.exists(script) and os.path.samefile(found, script):
        return "camtag"
    if os.path.exists(script):
        rel = os.path.relpath(script)
        return rel if not rel.startswith("..") else script
    return f"{sys.executable} -m camtag"


def _short(path: str) -> str:
    rel = os.path.relpath(path)
    return shlex.quote(rel if not rel.startswith("..") else path)


def run(args) -> int:
    from camtag.analysis_json import write_analysis
    from camtag.commands._progress import run_with_progress
    from camtag.commands.analyze import summary
    from camtag.demo import make_demo_clip
    from camtag.jobs import CancelToken
    from camtag.library import open_library

    clip = os.path.abspath(os.path.join(args.out, "camtag_demo.mp4"))
    if args.again or not os.path.exists(clip):
        print(f"making the demo clip {clip} (about half a minute)…")
        make_demo_clip(clip)
    cancel = CancelToken()
    from camtag.runs import analyze_into_library, make_request

    with open_library(args.library) as lib:
        job = analyze_into_library(lib, clip, make_request(None, args.detector), again=args.again)
        run_with_progress(job, cancel, desc="demo")
        analysis = lib.analysis(clip)
        where = lib.url or args.library or "default"
    stem = os.path.splitext(clip)[0]
    write_analysis(stem + ".camtag.json", analysis)
    try:
        from camtag.export import ExportOptions, export
        export(analysis, "edl", stem + ".edl", ExportOptions())
        exported = f" and {stem}.edl"
    except Exception as exc:  # the analysis is kept whatever the exporter says
        exported = f" (EDL export failed: {exc})"
    summary(analysis, stem + ".camtag.json" + exported)
    print(f"library: {where}")
    cmd = camtag_command()
    lib_arg = f" --library {shlex.quote(args.library)}" if args.library else ""
    if any("TransNetV2" in w for w in analysis.warnings):
        print(f"after installing TransNetV2, `{cmd} demo --again{lib_arg}"
              f"{' --out ' + _short(args.out) if args.out != 'demo' else ''}` analyses afresh")
    if args.headless or not _has_screen():
        print(f"no screen (or --headless): not opening the app; `{cmd} app {_short(clip)}{lib_arg}` "
              f"opens it")
        return 0
    return _open_app(clip, args.library, args.quit_after)


def _open_app(clip: str, library: str | None, quit_after: float | None) -> int:
    from camtag.syscheck import check_gui

    problems = [f for f in check_gui(audio=False) if f.level == "error"]
    if problems:      # Qt would abort the process when its platform plugin cannot load
        for f in problems:
            print(f"the app cannot open here: {f.what}: {f.message}")
        print("the results are written above (`camtag doctor` checks the rest)")
        return 1
    try:
        from camtag.ui.app import run as run_app
    except ImportError as exc:
        print(f"the app cannot start here ({exc}); results are written above")
        return 1
    return int(run_app(clip, library, quit_after=quit_after) or 0)
