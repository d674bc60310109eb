"""`camtag import-cuts`: take an existing edit's cuts as a media file's shots."""

from __future__ import annotations

import os
import sys

from camtag.analysis_json import AnalysisFormatError, read_analysis, write_analysis
from camtag.cli import UserError
from camtag.export.cut_import import CutImportError, import_cuts
from camtag.model import Analysis, MediaInfo
from camtag.outputs import OutputError, OutputPolicy, check_output, output_policy

NAME = "import-cuts"
HELP = "Use the cuts of a CMX3600 EDL, OTIO or FCP7 XML edit as a media file's shots"


def add_arguments(parser) -> None:
    parser.add_argument("edit", metavar="EDIT", help="the edit: .edl, .otio or FCP7 .xml")
    parser.add_argument("--media", required=True, metavar="MEDIA",
                        help="the media file, or its analysis JSON")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="analysis JSON to write with the imported shots (untagged); '-' for "
                             "stdout")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing file that is not a camtag output (or an input)")
    parser.add_argument("--side", choices=("auto", "source", "record"), default="auto",
                        help="match the edit's source timecode (the file is a source), its record "
                             "timecode (the file is the edited programme), or try both (auto)")
    parser.add_argument("--match", choices=("auto", "name", "tc"), default="auto",
                        help="auto: clip name / source file / reel when the edit has them, else "
                             "timecode; name: require a name match; tc: timecode only")


def _media(spec: str) -> MediaInfo:
    if spec.lower().endswith(".json"):
        try:
            return read_analysis(spec).media
        except AnalysisFormatError as exc:
            raise UserError(str(exc)) from None
    from camtag.media.probe import probe  # MediaError is reported by the CLI
    return probe(spec)


def run(args) -> int:
    policy = OutputPolicy(args.force, (args.edit, args.media))
    try:
        check_output(args.output, policy)
    except OutputError as exc:
        raise UserError(str(exc)) from None
    media = _media(args.media)
    try:
        result = import_cuts(args.edit, media, side=args.side, match=args.match)
    except CutImportError as exc:
        raise UserError(str(exc)) from None
    for problem in result.problems:
        print(f"camtag: warning: {problem}", file=sys.stderr)
    source = os.path.splitext(args.edit)[1].lstrip(".").lower()
    analysis = Analysis(media=media, shots=result.shots, detector=f"imported:{source}",
                        settings={"edit": os.path.basename(args.edit), "side": result.side,
                                  "match": args.match},
                        warnings=result.problems)
    try:
        with output_policy(args.force, (args.edit, args.media, media.path)):
            write_analysis(args.output, analysis)
    except OutputError as exc:
        raise UserError(str(exc)) from None
    except BrokenPipeError:
        raise                      # the reader of `-o -` went away: the CLI ends quietly
    except OSError as exc:
        raise UserError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if args.output != "-":
        print(args.output)
    print(f"{len(result.shots)} shots from {result.matched} matching events "
          f"({result.side} timecode); {result.other_media} events reference other media",
          file=sys.stderr)
    return 0
