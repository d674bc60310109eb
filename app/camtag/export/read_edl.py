"""Reading a CMX3600 EDL's events for cut import.

Hand-written because OTIO's reader takes drop-frame only from the ';' separator (ignoring
``FCM:``), rejects some real-world headers and has no source-file field (interchange.md §6.1).
Lenient about layout: event fields are split on whitespace (so 8-, 32- and 128-character reels
all work), the last four fields are the timecodes, and ``FCM:`` lines switch the drop-frame mode
of the source timecodes that follow. Record timecode uses the first ``FCM:``.
"""

from __future__ import annotations

import os
import re
from fractions import Fraction

from camtag import inputs, timebase
from camtag.export.cut_events import EditedClip

MAX_EDL_BYTES = 64 * 1024 * 1024   # 999 events take ~200 KB; a long Premiere list a few MB
_EVENT = re.compile(r"^\s*(\d{1,6})\s+(.*)$")
_TC = re.compile(r"^\d{1,2}:\d{2}:\d{2}[:;.,]\d{2,3}$")
_NOTE = re.compile(r"^\*\s*(FROM CLIP NAME|SOURCE FILE|FROM CLIP|FROM FILE)\s*:\s*(.*)$", re.I)


def _frames(tc: str, rate: Fraction, drop_frame: bool) -> int:
    drop = drop_frame or ";" in tc or "," in tc
    if drop and not timebase.drop_frame_allowed(rate):
        drop = False
    return timebase.timecode_to_frames(tc, rate, drop)


def read_edl(path: str, rate: Fraction) -> tuple[list[EditedClip], list[str]]:
    """Events of the EDL at ``path`` with timecodes read at ``rate``; plus problems found."""
    try:
        data = inputs.read_limited(path, MAX_EDL_BYTES, "EDL")
    except inputs.InputError as exc:
        raise FileNotFoundError(str(exc)) from None
    lines = data.decode("utf-8", errors="replace").splitlines()
    events: list[EditedClip] = []
    problems: list[str] = []
    record_df = source_df = None
    current: dict | None = None

    def close() -> None:
        if current is not None:
            events.append(EditedClip(**current))

    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        upper = line.upper()
        if upper.startswith("FCM:"):
            df = "NON" not in upper and "DROP" in upper
            source_df = df
            record_df = df if record_df is None else record_df
            continue
        note = _NOTE.match(line)
        if note and current is not None:
            key, value = note.group(1).upper(), note.group(2).strip()
            if key == "FROM CLIP NAME":
                current["clip_name"] = value
            elif not current["source_file"]:
                current["source_file"] = os.path.basename(value.replace("file://", "").rstrip("/"))
            continue
        match = _EVENT.match(line)
        if not match:
            if line.upper().startswith("M2 ") and current is not None:
                problems.append(f"line {lineno}: speed change on event {current['number']} ignored")
            continue
        fields = match.group(2).split()
        if len(fields) < 7 or not all(_TC.match(f) for f in fields[-4:]):
            continue  # a title-less line that only looks like an event; not an edit
        mid = fields[:-4]
        trans_frames = 0
        if len(mid) >= 4 and mid[-1].isdigit() and len(mid[-1]) <= 4:
            trans_frames, mid = int(mid[-1]), mid[:-1]
        transition, mid = mid[-1].upper(), mid[:-1]
        reel = " ".join(mid[:-1]) if len(mid) > 1 else mid[0]
        try:
            src_in, src_out = (_frames(tc, rate, bool(source_df)) for tc in fields[-4:-2])
            rec_in, rec_out = (_frames(tc, rate, bool(record_df)) for tc in fields[-2:])
        except timebase.TimecodeError as exc:
            problems.append(f"line {lineno}: {exc}; event skipped")
            continue
        close()
        current = dict(number=int(match.group(1)), reel=reel, clip_name="", source_file="",
                       src_in=src_in, src_out=src_out, rec_in=rec_in, rec_out=rec_out,
                       transition="dissolve" if transition.startswith("D") else "cut",
                       transition_frames=trans_frames)
    close()
    return events, problems
