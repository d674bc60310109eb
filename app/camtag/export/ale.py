"""Avid Log Exchange (ALE): one row per shot with camtag's custom bin columns.

Tab-delimited ASCII in three sections (Heading, Column, Data). Start/End are source timecode of
the file (End exclusive), drop-frame rows written with ';'. Custom column names are at most 14
characters and spelled the same in every export. Values never contain tabs or newlines. One ALE
holds one frame rate, so media at several rates give one file per rate.
"""

from __future__ import annotations

import os
from fractions import Fraction

from camtag.export import tag_style
from camtag.export.base import ExportOptions, numbered_paths
from camtag.export.text import ascii_line
from camtag.export.timeline import EditEvent, EditSequence, shot_name, shot_number
from camtag.outputs import encode_text, write_files

STANDARD_COLUMNS = ("Name", "Tracks", "Start", "End", "Tape", "Source File", "Comments")
CUSTOM_COLUMNS = ("Camera Move", "Move Conf", "Move Tags", "Move Source", "Shot Notes", "Shot Number")
VALUE_LIMIT = 250


def fps_label(rate: Fraction) -> str:
    """FPS heading value: 23.976, 24, 25, 29.97, 30, 50, 59.94 … (never a long float)."""
    if rate.denominator == 1:
        return str(rate.numerator)
    text = f"{float(rate):.3f}".rstrip("0").rstrip(".")
    return text


HD_RATES = (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
            Fraction(50), Fraction(60000, 1001), Fraction(60))


def video_format(sizes: set[tuple[int, int]], rate: Fraction) -> str:
    """The heading's VIDEO_FORMAT, only when frame size and rate really are that format: 1080
    (1920x1080 or 1440x1080 anamorphic), 720 (1280x720), PAL (720x576 or 720x608 at 25/50),
    NTSC (720x480/486 at 29.97/59.94); anything else, or mixed sizes, is CUSTOM."""
    if len(sizes) != 1:
        return "CUSTOM"
    size = next(iter(sizes))
    if size in ((1920, 1080), (1440, 1080)) and rate in HD_RATES:
        return "1080"
    if size == (1280, 720) and rate in HD_RATES:
        return "720"
    if size in ((720, 576), (720, 608)) and rate in (25, 50):
        return "PAL"
    if size in ((720, 480), (720, 486)) and rate in (Fraction(30000, 1001), Fraction(60000, 1001)):
        return "NTSC"
    return "CUSTOM"


def row(e: EditEvent) -> list[str]:
    shot, media = e.shot, e.media
    primary = tag_style.primary_tag(shot)
    base = os.path.basename(media.path)
    values = [
        shot_name(media, shot),
        "VA1A2" if media.has_audio else "V",
        e.src_tc(e.src_in), e.src_tc(e.src_out),
        e.reel, base,
        tag_style.shot_label(shot),
        tag_style.style(primary.id).name if primary else "",
        f"{float(primary.confidence):.2f}" if primary else "",
        ",".join(t.id for t in tag_style.sorted_tags(shot)),
        ",".join(sorted({t.source for t in shot.tags})),
        shot.note,
        str(shot_number(shot)),
    ]
    return [ascii_line(v, VALUE_LIMIT) for v in values]


def ale_text(events: list[EditEvent], rate: Fraction, sizes: set[tuple[int, int]]) -> str:
    lines = ["Heading", "FIELD_DELIM\tTABS", f"VIDEO_FORMAT\t{video_format(sizes, rate)}",
             "AUDIO_FORMAT\t48khz", f"FPS\t{fps_label(rate)}", "",
             "Column", "\t".join(STANDARD_COLUMNS + CUSTOM_COLUMNS), "",
             "Data"]
    lines += ["\t".join(row(e)) for e in events]
    return "\n".join(lines) + "\n"


def write_ale(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    by_rate: dict[Fraction, list[EditEvent]] = {}
    for seq in sequences:
        for e in seq.events:
            by_rate.setdefault(e.media.rate, []).append(e)
    labels = [f"{fps_label(r)}fps" for r in by_rate]
    files = []
    for (rate, events), out in zip(by_rate.items(), numbered_paths(path, labels)):
        sizes = {(e.media.width, e.media.height) for e in events}
        files.append((out, encode_text(ale_text(events, rate, sizes), newline="\r\n")))
    return write_files(files)
