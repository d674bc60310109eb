"""`camtag demo`: the main job on the embedded defaults.

Makes the demo clip (from photos scikit-image ships; public domain / CC0), analyses it with the
default detector and the geometric engine into the default SQLite library, writes the analysis
JSON and a CMX3600 EDL beside the clip, prints the shots, and opens the app on it when a screen
is available (``--headless`` never opens a window).
"""

from __future__ import annotations

import os

NAME = "demo"
HELP = "make the demo clip, analyse it into the library, export an EDL and open the app"


def add_arguments(p) -> None:
    p.add_argument("--out", default="demo", help="folder for the demo clip and results (default ./demo)")
    p.add_argument("--library", help="library URL or path (default: the user library)")
    p.add_argument("--headless", action="store_true", help="never open a window")
    p.add_argument("--detector", default="fused", help="shot detector (default fused)")


def _has_screen() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or os.name == "nt" \
        or __import__("sys").platform == "darwin"


def run(args) -> int:
    from camtag.analysis_json import write_analysis
    from camtag.commands._progress import run_with_progress
    from camtag.commands.analyze import summary
    from camtag.demo import make_demo_clip
    from camtag.jobs import CancelToken
    from camtag.library import open_library

    clip = os.path.abspath(os.path.join(args.out, "camtag_demo.mp4"))
    if not os.path.exists(clip):
        print(f"making the demo clip {clip} (about half a minute)…")
        make_demo_clip(clip)
    cancel = CancelToken()
    from camtag.runs import analyze_into_library, make_request

    with open_library(args.library) as lib:
        job = analyze_into_library(lib, clip, make_request(None, args.detector))
        run_with_progress(job, cancel, desc="demo")
        analysis = lib.analysis(clip)
        where = getattr(lib, "url", None) or args.library or "default"
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
    if args.headless or not _has_screen():
        print("no screen (or --headless): not opening the app; `camtag app demo/camtag_demo.mp4` opens it")
        return 0
    try:
        from camtag.ui.main_window import run_app
    except ImportError as exc:
        print(f"the app cannot start here ({exc}); results are written above")
        return 0
    return int(run_app([clip], library=args.library) or 0)
