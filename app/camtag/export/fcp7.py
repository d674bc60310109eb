"""FCP7 XML (xmeml version 4) for Premiere Pro and Resolve.

Each sequence has one video track with a clipitem per shot (logging info and master comments
carry the tags) and a sequence marker per shot with the movement as name and the tags as comment.
Written by hand rather than through OTIO's ``fcp_xml`` adapter: that adapter needs three patches
(DF display, clip-marker frame space, comments; see interchange.md §6.3) and takes ~18 s for
10,000 shots. Clipitem in/out are media-relative frames; the file's start timecode is in its
``<timecode>`` element; markers are sequence-relative; drop-frame shows as ``DF``.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from camtag.export import tag_style
from camtag.export.base import ExportOptions
from camtag.export.text import one_line, xml_text
from camtag.export.timeline import EditEvent, EditSequence, shot_name, shot_number
from camtag.outputs import write_text
from camtag.timebase import nominal_fps


def file_url(path: str) -> str:
    """``file://localhost/…`` URL of an absolute, percent-encoded path (FCP7's form)."""
    uri = Path(os.path.abspath(path)).as_uri()
    return "file://localhost/" + uri[len("file:///"):]


def rate_xml(rate: Fraction) -> str:
    ntsc = "TRUE" if rate.denominator == 1001 else "FALSE"
    return f"<rate><timebase>{nominal_fps(rate)}</timebase><ntsc>{ntsc}</ntsc></rate>"


def timecode_xml(frame: int, label: str, rate: Fraction, drop_frame: bool, reel: str = "") -> str:
    reel_xml = f"<reel><name>{xml_text(reel)}</name></reel>" if reel else ""
    return (f"<timecode>{rate_xml(rate)}<string>{label}</string><frame>{frame}</frame>"
            f"<displayformat>{'DF' if drop_frame else 'NDF'}</displayformat>{reel_xml}</timecode>")


def _file_xml(e: EditEvent, file_id: str) -> str:
    m = e.media
    return (f'<file id="{file_id}"><name>{xml_text(os.path.basename(m.path))}</name>'
            f"<pathurl>{xml_text(file_url(m.path))}</pathurl>{rate_xml(m.rate)}"
            f"<duration>{m.frames}</duration>"
            f"{timecode_xml(m.start_frame, e.src_tc(m.start_frame), m.rate, e.source_drop_frame, e.reel)}"
            f"<media><video><samplecharacteristics>{rate_xml(m.rate)}<width>{m.width}</width>"
            f"<height>{m.height}</height></samplecharacteristics></video></media></file>")


def _clipitem_xml(seq: EditSequence, e: EditEvent, file_ids: dict[str, str], n: int) -> str:
    shot, m = e.shot, e.media
    if m.path in file_ids:
        file_xml = f'<file id="{file_ids[m.path]}"/>'
    else:
        file_ids[m.path] = f"file-{len(file_ids) + 1}"
        file_xml = _file_xml(e, file_ids[m.path])
    label = tag_style.shot_label(shot)
    primary = tag_style.primary_tag(shot)
    start = e.rec_in - seq.record_start
    sources = ", ".join(sorted({t.source for t in shot.tags}))
    return (f'<clipitem id="clipitem-{n}"><name>{xml_text(one_line(shot_name(m, shot)))}</name>'
            f"<enabled>TRUE</enabled><duration>{m.frames}</duration>{rate_xml(m.rate)}"
            f"<start>{start}</start><end>{start + e.frames}</end><in>{e.start}</in><out>{e.end}</out>"
            f"{file_xml}"
            f"<logginginfo><description>{xml_text(label)}</description><scene></scene>"
            f"<shottake>{shot_number(shot)}</shottake><lognote>{xml_text(shot.note)}</lognote></logginginfo>"
            f"<comments><mastercomment1>{xml_text(tag_style.style(primary.id).name if primary else '')}"
            f"</mastercomment1><mastercomment2>{xml_text(tag_style.tags_with_confidence(shot))}"
            f"</mastercomment2><mastercomment3>{xml_text(shot.note)}</mastercomment3>"
            f"<mastercomment4>{xml_text(f'camtag: {sources}' if sources else '')}</mastercomment4>"
            f"</comments></clipitem>")


def _marker_xml(seq: EditSequence, e: EditEvent) -> str:
    shot = e.shot
    name = tag_style.shot_label(shot) or f"Shot {shot_number(shot)}"
    comment = f"shot {shot_number(shot)}"
    if shot.tags:
        comment += ": " + tag_style.tags_with_confidence(shot)
    if shot.note:
        comment += " - " + shot.note
    start = e.rec_in - seq.record_start
    return (f"<marker><name>{xml_text(name)}</name><comment>{xml_text(comment)}</comment>"
            f"<in>{start}</in><out>{start + e.frames}</out></marker>")


def sequence_xml(seq: EditSequence, number: int, file_ids: dict[str, str], first_clip: int) -> str:
    first = seq.media[0]
    parts = [f'<sequence id="sequence-{number}"><name>{xml_text(seq.name)}</name>'
             f"<duration>{seq.duration}</duration>{rate_xml(seq.rate)}"
             f"{timecode_xml(seq.record_start, seq.rec_tc(seq.record_start), seq.rate, seq.drop_frame)}"
             f"<in>-1</in><out>-1</out><media><video><format><samplecharacteristics>"
             f"{rate_xml(seq.rate)}<width>{first.width}</width><height>{first.height}</height>"
             f"<pixelaspectratio>square</pixelaspectratio></samplecharacteristics></format><track>"]
    parts += [_clipitem_xml(seq, e, file_ids, first_clip + i) for i, e in enumerate(seq.events)]
    parts.append("</track></video></media>")
    parts += [_marker_xml(seq, e) for e in seq.events]
    parts.append("</sequence>")
    return "\n".join(parts)


def xmeml_text(sequences: list[EditSequence], project_name: str) -> str:
    file_ids: dict[str, str] = {}
    bodies, clip_no = [], 1
    for i, seq in enumerate(sequences, 1):
        bodies.append(sequence_xml(seq, i, file_ids, clip_no))
        clip_no += len(seq.events)
    body = "\n".join(bodies)
    if len(sequences) > 1:
        body = (f"<project><name>{xml_text(project_name)}</name><children>\n{body}\n"
                "</children></project>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n<!-- camtag -->\n'
            f'<xmeml version="4">\n{body}\n</xmeml>\n')


def write_fcp7(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    name = options.name or "camtag export"
    return [write_text(path, xmeml_text(sequences, name))]
