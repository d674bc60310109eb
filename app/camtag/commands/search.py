"""`camtag search QUERY`: find shots in the library by movement, tags, notes and traces."""

from __future__ import annotations

import json

from camtag.cli import UserError
from camtag.commands.library import add_library_option, open_for_cli

NAME = "search"
HELP = ("Search the shot library: 'pan_left and not handheld', 'tilt_up duration>2s', "
        "'confidence>0.8', 'media:\"A001*\"', '\"push in\"'")


def add_arguments(parser) -> None:
    parser.add_argument("query", nargs="+", help="the query (several words are joined)")
    add_library_option(parser)
    parser.add_argument("--json", action="store_true", help="print the shots as JSON")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="at most N shots")
    parser.add_argument("--count", action="store_true", help="print only the number of matches")


def _tc(info, frame: int) -> str:
    return info.timecode(frame) if info is not None else str(frame)


def run(args) -> int:
    from camtag.library import LibraryError, QueryError

    query = " ".join(args.query)
    lib = open_for_cli(args.library, create=False)
    try:
        if args.count:
            print(lib.count(query))
            return 0
        total = lib.count(query)
        records = lib.search(query, limit=args.limit)
        infos = {m.id: m.info for m in lib.media()}
    except QueryError as exc:
        raise UserError(f"bad query: {exc.describe()}") from None
    except LibraryError as exc:
        raise UserError(str(exc)) from None
    finally:
        lib.close()
    if args.json:
        print(json.dumps({"query": query, "count": total,
                          "shots": [_shot_json(r, infos.get(r.media_id)) for r in records]}, indent=1))
        return 0
    for r in records:
        info = infos.get(r.media_id)
        seconds = f"{r.shot.frames / float(info.rate):.1f}s" if info is not None else f"{r.shot.frames}f"
        tags = ", ".join(f"{t.tag} {t.confidence:.2f}" + ("" if t.state == "proposed" else f" [{t.state}]")
                         for t in r.tag_records)
        note = f"  | {r.shot.note.splitlines()[0]}" if r.shot.note else ""
        print(f"{r.media_path}  #{r.index + 1}  {_tc(info, r.start_frame)}-{_tc(info, r.end_frame)}"
              f"  {seconds}  {tags}{note}")
    shown = f" (showing {len(records)})" if len(records) < total else ""
    print(f"{total} shot(s) match{shown}")
    return 0


def _shot_json(r, info) -> dict:
    return {"id": r.id, "media": r.media_path, "index": r.index, "start_frame": r.start_frame,
            "end_frame": r.end_frame, "start_timecode": _tc(info, r.start_frame),
            "end_timecode": _tc(info, r.end_frame),
            "duration_s": round(r.shot.frames / float(info.rate), 3) if info is not None else None,
            "tags": [{"id": t.tag, "confidence": round(t.confidence, 4), "source": t.source,
                      "state": t.state} for t in r.tag_records],
            "note": r.shot.note}
