"""CSV cut lists in LosslessCut's layout: ``start,end,label`` rows without a header.

``csv`` gives seconds from the start of the media (exact frame times, 6 decimals); ``csv-frames``
gives 0-based frame numbers with an exclusive end. One file per media (times are media-relative).
Labels are the movement names and the note, on one line; the csv module quotes commas and quotes.
"""

from __future__ import annotations

import csv
import io
import os
from fractions import Fraction

from camtag.export import tag_style
from camtag.export.base import ExportOptions, numbered_paths
from camtag.export.text import one_line
from camtag.export.timeline import EditEvent, EditSequence, shot_number
from camtag.outputs import encode_text, write_files

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _seconds(frame: int, rate: Fraction) -> str:
    return f"{float(Fraction(frame) / rate):.6f}"


def label(e: EditEvent) -> str:
    parts = [tag_style.shot_label(e.shot), one_line(e.shot.note)]
    return safe_cell(" - ".join(p for p in parts if p) or f"shot {shot_number(e.shot)}")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula: one starting with = + - @ (or a tab or CR)
    gets a leading apostrophe (the OWASP CSV-injection advice)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(events: list[EditEvent], frames: bool) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for e in sorted(events, key=lambda e: e.start):
        if frames:
            writer.writerow([e.start, e.end, label(e)])
        else:
            rate = e.media.rate
            writer.writerow([_seconds(e.start, rate), _seconds(e.end, rate), label(e)])
    return buf.getvalue()


def _write(path: str, sequences: list[EditSequence], frames: bool) -> list[str]:
    by_media: dict[str, list[EditEvent]] = {}
    for seq in sequences:
        for e in seq.events:
            by_media.setdefault(e.media.path, []).append(e)
    labels = [os.path.splitext(os.path.basename(p))[0] for p in by_media]
    return write_files([(out, encode_text(csv_text(events, frames)))
                        for events, out in zip(by_media.values(), numbered_paths(path, labels))])


def write_csv(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    return _write(path, sequences, frames=False)


def write_csv_frames(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    return _write(path, sequences, frames=True)
