"""FCPXML 1.9 for Final Cut Pro (10.4.9 and later).

One project per sequence in one event. Each shot is an ``asset-clip`` on the spine carrying a
``keyword`` range per movement tag (FCP's native searchable tags), a ``marker`` at the shot start
and a ``note``. All times are exact rationals on the frame grid (``frameDuration`` 1001/24000s,
1/25s, 1001/30000s …); spine offsets count from the sequence's ``tcStart``; clip-local times
(start, keyword, marker) are in the asset's time, which begins at the file's start timecode.
Written by hand: OTIO's fcpx adapter is wrong at NTSC rates (interchange.md §6.2).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from camtag.export import tag_style
from camtag.export.base import ExportOptions
from camtag.export.text import one_line, xml_text
from camtag.export.timeline import EditEvent, EditSequence, shot_name, shot_number
from camtag.model import MediaInfo
from camtag.outputs import write_text

VERSION = "1.9"


def fcp_time(frames: int, rate: Fraction) -> str:
    """``frames`` frames as an FCPXML rational time: '3600s', '1001/24000s', '86486400/24000s'.

    Integer arithmetic only (``frames * den / num`` seconds): exact and fast."""
    numerator = frames * rate.denominator
    if numerator % rate.numerator == 0:
        return f"{numerator // rate.numerator}s"
    return f"{numerator}/{rate.numerator}s"


def tc_format(drop_frame: bool) -> str:
    return "DF" if drop_frame else "NDF"


class _Resources:
    """Format and asset resources, numbered r1, r2 … in order of first use."""

    def __init__(self) -> None:
        self.formats: dict[tuple, str] = {}
        self.assets: dict[str, str] = {}
        self.lines: list[str] = []

    def _next_id(self) -> str:
        return f"r{len(self.formats) + len(self.assets) + 1}"

    def format_id(self, rate: Fraction, width: int, height: int) -> str:
        key = (rate, width, height)
        if key not in self.formats:
            self.formats[key] = rid = self._next_id()
            self.lines.append(f'<format id="{rid}" frameDuration="{fcp_time(1, rate)}" '
                              f'width="{width}" height="{height}"/>')
        return self.formats[key]

    def asset_id(self, m: MediaInfo) -> str:
        if m.path not in self.assets:
            fmt = self.format_id(m.rate, m.width, m.height)
            self.assets[m.path] = rid = self._next_id()
            stem = os.path.splitext(os.path.basename(m.path))[0]
            audio = (' hasAudio="1" audioSources="1" audioChannels="2" audioRate="48000"'
                     if m.has_audio else "")
            src = Path(os.path.abspath(m.path)).as_uri()
            self.lines.append(
                f'<asset id="{rid}" name="{xml_text(one_line(stem))}" start="{fcp_time(m.start_frame, m.rate)}" '
                f'duration="{fcp_time(m.frames, m.rate)}" hasVideo="1" videoSources="1" format="{fmt}"'
                f'{audio} src="{xml_text(src)}"/>')
        return self.assets[m.path]


def clip_xml(seq: EditSequence, e: EditEvent, res: _Resources) -> str:
    m, shot, rate = e.media, e.shot, e.media.rate
    ref = res.asset_id(m)
    label = tag_style.shot_label(shot)
    out = [f'<asset-clip ref="{ref}" offset="{fcp_time(e.rec_in, seq.rate)}" '
           f'name="{xml_text(one_line(shot_name(m, shot)))}" '
           f'start="{fcp_time(e.src_in, rate)}" duration="{fcp_time(e.frames, rate)}" '
           f'tcFormat="{tc_format(e.source_drop_frame)}">']
    note = "; ".join(x for x in (tag_style.tags_with_confidence(shot), one_line(shot.note)) if x)
    if note:
        out.append(f"<note>{xml_text(note)}</note>")
    marker_note = f"shot {shot_number(shot)}" + (f": {note}" if note else "")
    out.append(f'<marker start="{fcp_time(e.src_in, rate)}" duration="{fcp_time(1, rate)}" '
               f'value="{xml_text(label or f"Shot {shot_number(shot)}")}" note="{xml_text(marker_note)}"/>')
    for tag in tag_style.sorted_tags(shot):
        a, b = e.tag_range(tag)
        value = re.sub(r"\s*,\s*", " ", tag_style.style(tag.id).name)  # FCP splits keywords on commas
        out.append(f'<keyword start="{fcp_time(m.start_frame + a, rate)}" '
                   f'duration="{fcp_time(b - a, rate)}" value="{xml_text(value)}" '
                   f'note="{xml_text(f"{tag.id} {float(tag.confidence):.2f} {tag.source}")}"/>')
    out.append(f'<metadata><md key="com.apple.proapps.studio.reel" value="{e.reel}"/></metadata>')
    out.append("</asset-clip>")
    return "\n".join(out)


def project_xml(seq: EditSequence, res: _Resources) -> str:
    first = seq.media[0]
    fmt = res.format_id(seq.rate, first.width, first.height)
    clips = [clip_xml(seq, e, res) for e in seq.events]
    return (f'<project name="{xml_text(one_line(seq.name))}">\n'
            f'<sequence format="{fmt}" duration="{fcp_time(seq.duration, seq.rate)}" '
            f'tcStart="{fcp_time(seq.record_start, seq.rate)}" tcFormat="{tc_format(seq.drop_frame)}">\n'
            "<spine>\n" + "\n".join(clips) + "\n</spine>\n</sequence>\n</project>")


def fcpxml_text(sequences: list[EditSequence], event_name: str) -> str:
    res = _Resources()
    names: set[str] = set()
    projects = []
    for seq in sequences:
        name = seq.name
        n = 2
        while name in names:  # project names must be unique within an event
            name, n = f"{seq.name} {n}", n + 1
        names.add(name)
        projects.append(project_xml(replace(seq, name=name), res))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n<!-- camtag -->\n'
            f'<fcpxml version="{VERSION}">\n<resources>\n' + "\n".join(res.lines) +
            f'\n</resources>\n<library>\n<event name="{xml_text(one_line(event_name))}">\n' +
            "\n".join(projects) + "\n</event>\n</library>\n</fcpxml>\n")


def write_fcpxml(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    return [write_text(path, fcpxml_text(sequences, options.name or "camtag export"))]
