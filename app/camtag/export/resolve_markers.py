"""DaVinci Resolve timeline-marker EDL (Timelines > Import > Timeline Markers from EDL).

One marker per shot at its record in: a one-frame event whose source and record timecodes are
the timeline position, followed by a plain line ``<note> |C:ResolveColor<X> |M:<name> |D:<frames>``.
The colour is fixed per movement class (the shot's primary movement). Markers sit on record time,
so the record start must match the Resolve timeline's start timecode (default 01:00:00:00).
"""

from __future__ import annotations

from camtag.export import tag_style
from camtag.export.base import ExportOptions, numbered_paths, part_paths
from camtag.export.edl import chunks, event_line, fcm_line, title_line
from camtag.export.text import ascii_line
from camtag.export.timeline import EditEvent, EditSequence, shot_number
from camtag.outputs import encode_text, write_files

NAME_LIMIT = 60
NOTE_LIMIT = 140


def _clean(text: str, limit: int) -> str:
    # '|' starts a field in the marker line
    return ascii_line(text.replace("|", "/"), limit)


def marker_lines(seq: EditSequence, e: EditEvent, number: int) -> list[str]:
    primary = tag_style.primary_tag(e.shot)
    colour = tag_style.style(primary.id).resolve_colour if primary else "Cream"
    name = _clean(tag_style.shot_label(e.shot) or f"Shot {shot_number(e.shot)}", NAME_LIMIT)
    note_parts = [f"shot {shot_number(e.shot)}"]
    if e.shot.tags:
        note_parts.append(tag_style.tags_with_confidence(e.shot))
    if e.shot.note:
        note_parts.append(e.shot.note)
    note = _clean(" - ".join(note_parts), NOTE_LIMIT)
    tc_in, tc_out = seq.rec_tc(e.rec_in), seq.rec_tc(e.rec_in + 1)
    return [event_line(number, "001", tc_in, tc_out, tc_in, tc_out),
            f"{note} |C:ResolveColor{colour} |M:{name} |D:{e.frames}"]


def write_resolve_markers(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    files = []
    for seq, seq_path in zip(sequences, numbered_paths(path, [s.name for s in sequences])):
        parts = chunks(seq.events, options.max_events)
        for i, (events, part_path) in enumerate(zip(parts, part_paths(seq_path, len(parts)))):
            lines = [title_line(seq.name, i + 1, len(parts)), fcm_line(seq.drop_frame), ""]
            for number, e in enumerate(events, 1):
                lines += marker_lines(seq, e, number) + [""]
            files.append((part_path, encode_text("\n".join(lines), newline="\r\n")))
    return write_files(files)  # all parts or none
