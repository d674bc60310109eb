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
from camtag.export.base import ExportOptions, numbered_paths, write_text_atomic
from camtag.export.text import ascii_line
from camtag.export.timeline import EditEvent, EditSequence, shot_name, shot_number

STANDARD_COLUMNS = ("Name", "Tracks", "Start", "End", "Tape", "Source File", "Comments")
CUSTOM_COLUMNS = ("Camera Move", "Move Conf", "Move Tags", "Move Source", "Shot Notes", "Shot Number")
VALUE_LIMIT = 250


def fps_label(rate: Fraction) -> str:
    """FPS heading value: 23.976, 24, 25, 29.97, 30, 50, 59.94 … (never a long float)."""
    if rate.denominator == 1:
        return str(rate.numerator)
    text = f"{float(rate):.3f}".rstrip("0").rstrip(".")
    return text


def video_format(height: int, rate: Fraction) -> str:
    if height >= 1080:
        return "1080"
    if height >= 720:
        return "720"
    return "PAL" if round(rate) in (25, 50) else "NTSC"


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


def ale_text(events: list[EditEvent], rate: Fraction, height: int) -> str:
    lines = ["Heading", "FIELD_DELIM\tTABS", f"VIDEO_FORMAT\t{video_format(height, rate)}",
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
    written = []
    for (rate, events), out in zip(by_rate.items(), numbered_paths(path, labels)):
        height = max(e.media.height for e in events)
        written.append(write_text_atomic(out, ale_text(events, rate, height), newline="\r\n"))
    return written
