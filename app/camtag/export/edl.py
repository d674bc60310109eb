"""CMX3600 cut EDL, with clip names, source files, tags as comments and Avid `* LOC:` locators.

Event lines use the fixed 8-character-reel column layout; out points are exclusive; source
timecode runs from each file's own start timecode in that source's drop-frame mode (an ``FCM:``
line is repeated before an event whose source mode differs); record timecode starts at the record
start. Past 999 events the list is split into several files whose record time continues.
"""

from __future__ import annotations

import os

from camtag.export import tag_style
from camtag.export.base import ExportOptions, numbered_paths, part_paths
from camtag.export.text import ascii_line
from camtag.export.timeline import EditEvent, EditSequence, shot_number
from camtag.outputs import encode_text, write_files

CLIP_NAME_LIMIT = 128
COMMENT_LIMIT = 72


def fcm_line(drop_frame: bool) -> str:
    return "FCM: DROP FRAME" if drop_frame else "FCM: NON-DROP FRAME"


def event_line(number: int, reel: str, src_in: str, src_out: str, rec_in: str, rec_out: str,
               channels: str = "V", transition: str = "C") -> str:
    """One event line in CMX3600 columns (reel 6-13, channels 15-18, source in at 30)."""
    return (f"{number:03d}  {reel:<8} {channels:<4}  {transition:<4}     "
            f"{src_in} {src_out} {rec_in} {rec_out}")


def title_line(name: str, part: int, parts: int) -> str:
    suffix = f" part {part} of {parts}" if parts > 1 else ""
    return "TITLE: " + ascii_line(name, 60 - len(suffix)) + suffix


def chunks(events: tuple[EditEvent, ...], size: int) -> list[tuple[EditEvent, ...]]:
    size = max(1, min(size, 999))
    return [events[i:i + size] for i in range(0, len(events), size)] or [()]


def _comment_lines(text: str) -> list[str]:
    """`* COMMENT:` lines of bounded width (wrapping long text, at most 4 lines)."""
    text = ascii_line(text)
    lines = []
    while text and len(lines) < 4:
        piece = text[:COMMENT_LIMIT]
        if len(text) > COMMENT_LIMIT and " " in piece:
            piece = piece[:piece.rindex(" ")]
        lines.append("* COMMENT: " + piece.strip())
        text = text[len(piece):].strip()
    return lines


def locator_line(seq: EditSequence, e: EditEvent) -> str:
    """Avid locator at the event's record in (locators live on record time)."""
    primary = tag_style.primary_tag(e.shot)
    colour = tag_style.style(primary.id).avid_colour if primary else "WHITE"
    text = ascii_line(tag_style.shot_label(e.shot) or f"shot {shot_number(e.shot)}", 60)
    return f"* LOC: {seq.rec_tc(e.rec_in)} {colour:<7} {text}".rstrip()


def event_block(seq: EditSequence, e: EditEvent, number: int, options: ExportOptions,
                clip_names: dict[str, str]) -> list[str]:
    base = clip_names.get(e.media.path)
    if base is None:
        base = clip_names[e.media.path] = ascii_line(os.path.basename(e.media.path), CLIP_NAME_LIMIT)
    lines = [
        event_line(number, e.reel, e.src_tc(e.src_in), e.src_tc(e.src_out),
                   seq.rec_tc(e.rec_in), seq.rec_tc(e.rec_out)),
        f"* FROM CLIP NAME:  {base}",
        f"* SOURCE FILE: {base}",
    ]
    if options.locators and e.shot.tags:
        lines.append(locator_line(seq, e))
    summary = f"SHOT {shot_number(e.shot)}"
    if e.shot.tags:
        summary += " MOVEMENT: " + tag_style.tags_with_confidence(e.shot)
    lines += _comment_lines(summary)
    if e.shot.note:
        lines += _comment_lines("NOTE: " + e.shot.note)
    return lines


def cut_edl_text(seq: EditSequence, events: tuple[EditEvent, ...], part: int, parts: int,
                 options: ExportOptions) -> str:
    lines = [title_line(seq.name, part, parts), fcm_line(seq.drop_frame), ""]
    source_df = seq.drop_frame
    clip_names: dict[str, str] = {}
    for number, e in enumerate(events, 1):
        if e.source_drop_frame != source_df:
            source_df = e.source_drop_frame
            lines += [fcm_line(source_df), ""]
        lines += event_block(seq, e, number, options, clip_names)
        lines.append("")
    return "\n".join(lines)


def write_edl(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    files = []
    for seq, seq_path in zip(sequences, numbered_paths(path, [s.name for s in sequences])):
        parts = chunks(seq.events, options.max_events)
        for i, (events, part_path) in enumerate(zip(parts, part_paths(seq_path, len(parts)))):
            text = cut_edl_text(seq, events, i + 1, len(parts), options)
            files.append((part_path, encode_text(text, newline="\r\n")))
    return write_files(files)  # all parts or none: a split list is never left half-replaced
