"""`camtag export`: write shots and their movement tags for an NLE."""

from __future__ import annotations

import os
import sys
import tempfile

from camtag.analysis_json import AnalysisFormatError, read_analysis
from camtag.cli import UserError
from camtag.commands.library import add_library_option, open_for_cli
from camtag.export import ExportError, ExportOptions, available_formats, export
from camtag.export.timeline import Source
from camtag.outputs import OutputError, output_policy, write_bytes

NAME = "export"
HELP = ("Export shots and tags: CMX3600 EDL, Resolve marker EDL, Avid ALE, FCP7 XML, FCPXML, "
        "OTIO, analysis JSON or CSV")


def add_arguments(parser) -> None:
    formats = available_formats()
    parser.add_argument("source", nargs="+", metavar="SOURCE",
                        help="an analysis JSON file, a media file in the library, or a library "
                             "search query such as 'pan_left and not handheld' or "
                             "'collection:\"selects\"' (several are exported together)")
    parser.add_argument("-f", "--format", required=True, choices=list(formats), metavar="FORMAT",
                        help="; ".join(f"{f.name}: {f.description}" for f in formats.values()))
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="output file ('-' for stdout); several sequences, rates or 999+ EDL "
                             "events write numbered files beside it")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing file that is not a camtag output (or an input)")
    parser.add_argument("--record-start", default="01:00:00:00", metavar="TC",
                        help="timeline start timecode (default 01:00:00:00; read in the "
                             "sequence's drop-frame mode)")
    parser.add_argument("--combined", action="store_true",
                        help="one sequence for all media instead of one per media")
    parser.add_argument("--name", default="", help="sequence / title name (default: media name)")
    parser.add_argument("--strict", action="store_true",
                        help="refuse shots that overlap or run past the media end instead of "
                             "trimming them")
    parser.add_argument("--no-locators", action="store_true",
                        help="leave Avid `* LOC:` locators out of the EDL")
    parser.add_argument("--reel-source", choices=("file", "embedded"), default="file",
                        help="reel names from the file name (default) or the file's embedded "
                             "reel/tape name where it has one")
    add_library_option(parser)


class _Sources:
    """Resolves SOURCE arguments; opens the library only if one of them needs it."""

    def __init__(self, library_url: str | None) -> None:
        self.library_url = library_url
        self._lib = None

    def library(self):
        if self._lib is None:
            self._lib = open_for_cli(self.library_url)
        return self._lib

    def close(self) -> None:
        if self._lib is not None:
            self._lib.close()

    def resolve(self, spec: str) -> Source:
        """An analysis JSON file, a media file in the library (its current analysis), or a
        library search query (``'pan_left and not handheld'``, ``'collection:"selects"'``)."""
        if spec.lower().endswith(".json"):
            if not os.path.isfile(spec):
                raise UserError(f"{spec}: " + ("not a regular file" if os.path.exists(spec)
                                               else "no such file"))
            try:
                return read_analysis(spec)
            except AnalysisFormatError as exc:
                raise UserError(str(exc)) from None
        from camtag.library import LibraryError, QueryError

        lib = self.library()
        try:
            if os.path.isfile(spec):
                media = lib.find_media(spec)
                if media is None:
                    raise UserError(f"{spec} is not in the library; add it with `camtag library add` "
                                    "or export its analysis JSON")
                return lib.analysis(media)
            try:
                lib.check_query(spec)
            except QueryError as exc:
                raise UserError(f"{spec!r} is neither a file nor a valid search query: "
                                f"{exc.describe()}") from None
            return lib.search_for_export(spec)
        except LibraryError as exc:
            raise UserError(str(exc)) from None


def run(args) -> int:
    items: list = []
    sources = _Sources(args.library)
    try:
        for spec in args.source:
            source = sources.resolve(spec)
            items.extend(source if isinstance(source, list) else [source])
    finally:
        sources.close()
    options = ExportOptions(record_start=args.record_start, combined=args.combined,
                            name=args.name, strict=args.strict, locators=not args.no_locators,
                            reel_source=args.reel_source)
    media_paths = {m.path for m in _media_of(items)}
    try:
        inputs = [p for p in (*args.source, *media_paths) if os.path.exists(p)]
        with output_policy(args.force, inputs):
            if args.output == "-":
                result = _export_to_stdout(items, args.format, options)
            else:
                result = export(items, args.format, args.output, options)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    except OutputError as exc:
        raise UserError(str(exc)) from None
    except BrokenPipeError:
        raise                      # the reader of `-o -` went away: the CLI ends quietly
    except OSError as exc:
        raise UserError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    for warning in result.warnings:
        print(f"camtag: warning: {warning}", file=sys.stderr)
    for path in result.paths if args.output != "-" else ():
        print(path)
    print(f"exported {result.events} shots in {result.sequences} sequence(s) as {args.format}",
          file=sys.stderr)
    return 0


def _media_of(items: list):
    """The media of each item: an :class:`Analysis` or a library search's (media, shot) pair."""
    from camtag.model import Analysis, MediaInfo

    for item in items:
        media = item.media if isinstance(item, Analysis) else \
            item[0] if isinstance(item, tuple) and item else None
        if isinstance(media, MediaInfo):
            yield media


def _export_to_stdout(items: list, fmt: str, options: ExportOptions):
    """``-o -``: export into a private folder, then stream the one file to stdout."""
    extension = available_formats()[fmt].extension
    with tempfile.TemporaryDirectory(prefix="camtag-export-") as folder:
        result = export(items, fmt, os.path.join(folder, "stdout" + extension), options)
        if len(result.paths) != 1:
            raise UserError(f"this export makes {len(result.paths)} files; give -o a file name "
                            "instead of '-'")
        with open(result.paths[0], "rb") as fh:
            write_bytes("-", fh.read())
    return result
