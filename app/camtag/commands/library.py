"""`camtag library add|status|import`: the persistent shot library."""

from __future__ import annotations

import json
import signal
import sys
import threading

from camtag.cli import UserError
from camtag.model import DEFAULT_DETECTOR

NAME = "library"
SHOW = 10
HELP = "Analyse media into the shot library (resumable batch queue), import analyses, show status"


def add_library_option(parser) -> None:
    parser.add_argument("--library", metavar="URL", default=None,
                        help="library path or URL (sqlite:///PATH); default $CAMTAG_LIBRARY or the "
                             "user data folder")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="analyse files or folders into the library (resumes unfinished)")
    add.add_argument("paths", nargs="*", metavar="PATH", help="media files or folders")
    add.add_argument("--unfinished", action="store_true",
                     help="also resume every unfinished analysis in the library (with its own "
                          "detector and settings)")
    add_library_option(add)
    add.add_argument("--detector", default=None, help=f"shot detector (default {DEFAULT_DETECTOR})")
    add.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                     help="analysis setting passed to the pipeline (repeatable)")
    add.add_argument("--again", action="store_true",
                     help="analyse again even if an identical analysis is stored")
    status = sub.add_parser("status", help="what the library holds and what is unfinished")
    add_library_option(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    imp = sub.add_parser("import", help="store analysis JSON files written by `camtag analyze`")
    imp.add_argument("files", nargs="+", metavar="JSON")
    add_library_option(imp)


def open_for_cli(url, create: bool = True):
    from camtag.library import LibraryError, open_library

    try:
        return open_library(url, create=create)
    except LibraryError as exc:
        raise UserError(str(exc)) from None


def parse_settings(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--set needs KEY=VALUE, got {pair!r}")
        if key in out:
            raise UserError(f"--set {key} is given twice")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def request_from_args(detector, pairs: list[str]):
    """The validated AnalysisRequest of ``--detector`` and ``--set`` (one-line error if bad)."""
    from camtag.runs import RequestError, make_request

    try:
        return make_request(parse_settings(pairs), detector)
    except RequestError as exc:
        raise UserError(str(exc)) from None


def run(args) -> int:
    return {"add": run_add, "status": run_status, "import": run_import}[args.library_command](args)


# -- add -------------------------------------------------------------------------------------------
def run_add(args) -> int:
    from tqdm import tqdm

    from camtag.jobs import CancelToken
    from camtag.library import LibraryError
    from camtag.library.records import Notice
    from camtag.runs.queue import QueueItem, batch_job, make_queue, unfinished_queue

    request = request_from_args(args.detector, args.settings)
    items = make_queue(args.paths)
    lib = open_for_cli(args.library)
    if args.unfinished:
        items += [i for i in unfinished_queue(lib) if i.path not in {x.path for x in items}]
    if not items:
        lib.close()
        raise UserError("nothing to add: give files or folders (or --unfinished)")
    token = CancelToken()

    def on_sigint(signum, frame):
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel("interrupted")
        tqdm.write("camtag: stopping after the current step (Ctrl-C again to force); "
                   "finished shots are kept", file=sys.stderr)

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    bar = None
    total = len(items)
    try:
        job = batch_job(lib, items, request, cancel=token, again=args.again)
        for progress in job:
            part = progress.partial
            if isinstance(part, QueueItem):
                if part.status == "running":
                    bar = tqdm(total=None, desc=f"[{items.index(part) + 1}/{total}] {part.name}",
                               unit="frame", leave=False, dynamic_ncols=True, file=sys.stderr,
                               disable=None)         # no bar when stderr is not a terminal
                    continue
                if bar is not None:
                    bar.close()
                    bar = None
                tqdm.write(_item_line(items.index(part) + 1, total, part))
            elif isinstance(part, Notice):
                tqdm.write(f"  {part.text}", file=sys.stderr)
            elif bar is not None:
                if progress.total and bar.total != progress.total:
                    bar.total = progress.total
                bar.n = max(bar.n, progress.done)    # shots report their end frame, late
                bar.set_postfix_str(progress.message[-40:], refresh=False)
                bar.refresh()
    except LibraryError as exc:
        raise UserError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        lib.close()
    if token.cancelled:
        _settle_worker_threads()
    counts = {s: sum(1 for i in items if i.status == s) for s in
              ("done", "up to date", "failed", "cancelled", "queued")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(f"{total} file(s): {summary}; library {lib.url}", file=sys.stderr)
    if counts["cancelled"] or token.cancelled:
        print("camtag: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 1 if counts["failed"] else 0


def _settle_worker_threads(timeout: float = 3.0) -> None:
    """After a cancel, give the pipeline's abandoned worker threads a moment to leave native code:
    a daemon thread still inside OpenCV when the interpreter exits aborts the process."""
    import time

    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.name.startswith("camtag-"):
            thread.join(max(0.0, deadline - time.monotonic()))


def _item_line(n: int, total: int, item) -> str:
    text = f"[{n}/{total}] {item.name}: {item.status}"
    if item.status in ("done", "up to date"):
        text += f", {item.shots} shot{'' if item.shots == 1 else 's'}"
    if item.message:
        text += f" ({item.message})" if item.status != "failed" else f": {item.message}"
    return text


# -- status ----------------------------------------------------------------------------------------
def run_status(args) -> int:
    lib = open_for_cli(args.library, create=False)
    try:
        st = lib.status()
        names = {m.id: m.name for m in lib.media()}
    finally:
        lib.close()
    if args.json:
        print(json.dumps({
            "url": st.url, "schema_version": st.schema_version, "read_only": st.read_only,
            "size_bytes": st.size_bytes, "media": st.media, "shots": st.shots,
            "analyses": st.analyses, "tags": st.tags, "collections": st.collections,
            "unfinished": [{"media": names.get(a.media_id), "analysis_id": a.id, "status": a.status,
                            "frames_done": a.frames_done, "total_frames": a.total_frames,
                            "shots": a.shots, "error": a.error} for a in st.unfinished],
            "missing": [m.path for m in st.missing_media],
            "changed": [m.path for m in st.changed_media]}, indent=1))
        return 0
    size = f", {st.size_bytes / 1e6:.1f} MB" if st.size_bytes else ""
    print(f"library   {st.url} (schema {st.schema_version}{size}{', read-only' if st.read_only else ''})")
    print(f"media     {st.media} ({len(st.missing_media)} missing, {len(st.changed_media)} changed)")
    print(f"shots     {st.shots} in current analyses, {st.collections} collection(s)")
    print("tags      " + (" · ".join(f"{k} {v}" for k, v in sorted(st.tags.items())) or "none"))
    print("analyses  " + (" · ".join(f"{k} {v}" for k, v in sorted(st.analyses.items())) or "none"))
    for a in st.unfinished:
        of = f"/{a.total_frames}" if a.total_frames else ""
        why = f": {a.error}" if a.error else ""
        print(f"unfinished  {names.get(a.media_id, a.media_id)}: {a.status}{why}, frame "
              f"{a.frames_done}{of}, {a.shots} shots kept (`camtag library add --unfinished` "
              f"resumes it)")
    for label, media, hint in (
            ("missing", st.missing_media, "add the file at its new place to re-link it"),
            ("changed", st.changed_media, "modified since it was added; `camtag library add` re-checks")):
        for m in media[:SHOW]:
            print(f"{label:<11} {m.path} ({hint})")
        if len(media) > SHOW:
            print(f"{label:<11} ... and {len(media) - SHOW} more (see --json)")
    return 0


# -- import ----------------------------------------------------------------------------------------
def run_import(args) -> int:
    from camtag.analysis_json import AnalysisFormatError, read_analysis
    from camtag.library import LibraryError

    lib = open_for_cli(args.library)
    try:
        for path in args.files:
            try:
                analysis = read_analysis(path)
            except (AnalysisFormatError, OSError) as exc:
                raise UserError(str(exc)) from None
            record = lib.import_analysis(analysis)
            print(f"{path}: {record.shots} shots of {analysis.media.path}")
    except LibraryError as exc:
        raise UserError(str(exc)) from None
    finally:
        lib.close()
    return 0
