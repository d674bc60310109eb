"""OpenTimelineIO (.otio) with every camtag field.

The timeline is built with ``opentimelineio``: a clip per shot with an ``ExternalReference``
(``available_range`` = the file's start timecode and length), ``source_range`` in absolute source
frames, a marker per movement tag (coloured, with the confidence as comment) and the record start
as ``global_start_time``. ``metadata["camtag"]`` on each clip holds the full shot record of the
analysis JSON plus its timecodes; ``metadata["cmx_3600"]["reel"]`` feeds OTIO's EDL writer; the
timeline's ``metadata["camtag"]`` holds the media records.

OTIO converts Python metadata to C++ in Python (``_value_to_any``), about 0.25 ms per shot: 2.5 s
for 10,000 shots. So the file writer builds the clips without metadata, lets OTIO serialise them,
and writes each clip's metadata into that text (compact JSON: the indented form takes twice as
long). The merge is positional with a structural fallback; both are tested to agree.
:func:`build` with ``with_metadata=True`` gives the complete OTIO object for other adapters.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from camtag.analysis_json import media_to_dict, shot_to_dict
from camtag.export import tag_style
from camtag.export.base import ExportError, ExportOptions
from camtag.export.text import unicode_safe
from camtag.export.timeline import EditEvent, EditSequence, shot_name
from camtag.outputs import write_text
from camtag.timebase import format_rate

SCHEMA = "camtag.otio/1"


def _otio():
    try:
        import opentimelineio as otio
    except ImportError:
        raise ExportError("OTIO export needs the opentimelineio package (pip install opentimelineio)") \
            from None
    return otio


def clip_metadata(seq: EditSequence, e: EditEvent) -> dict:
    shot = e.shot.with_(start_frame=e.start, end_frame=e.end) \
        if (e.start, e.end) != (e.shot.start_frame, e.shot.end_frame) else e.shot
    record = shot_to_dict(shot, e.media)
    record.update({
        "media_path": e.media.path, "reel": e.reel, "rate": format_rate(e.media.rate),
        "drop_frame": e.source_drop_frame,
        "rec_in_tc": seq.rec_tc(e.rec_in), "rec_out_tc": seq.rec_tc(e.rec_out),
        "label": tag_style.shot_label(e.shot),
        "trimmed_from": None if shot is e.shot else [e.shot.start_frame, e.shot.end_frame],
    })
    return {"camtag": record, "cmx_3600": {"reel": e.reel}}


def build(sequences: list[EditSequence], name: str = "camtag export", with_metadata: bool = True):
    """The OTIO object (a Timeline, or a SerializableCollection of them) and per-clip metadata.

    With ``with_metadata`` each clip's metadata is set on the OTIO clip (the object is complete,
    e.g. for another OTIO adapter); without it the metadata is only returned, in clip order.
    """
    otio = _otio()
    RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
    blobs: list[dict] = []
    timelines = []
    for seq in sequences:
        rate = float(seq.rate)
        media = {m.path: media_to_dict(m) for m in seq.media}
        timeline = otio.schema.Timeline(
            name=unicode_safe(seq.name), global_start_time=RT(seq.record_start, rate),
            metadata=unicode_safe({"camtag": {"schema": SCHEMA, "rate": format_rate(seq.rate),
                                              "drop_frame": seq.drop_frame,
                                              "record_start_timecode": seq.rec_tc(seq.record_start),
                                              "media": media}}))
        track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
        clips = []
        refs: dict[str, tuple] = {}  # per file: shared reference (written out per clip), rate
        for e in seq.events:
            m = e.media
            if m.path not in refs:
                mrate = float(m.rate)
                refs[m.path] = (otio.schema.ExternalReference(
                    target_url=Path(os.path.abspath(m.path)).as_uri(),
                    available_range=TR(RT(m.start_frame, mrate), RT(m.frames, mrate))), mrate)
            ref, mrate = refs[m.path]
            meta = clip_metadata(seq, e)
            blobs.append(meta)
            clip = otio.schema.Clip(
                name=unicode_safe(shot_name(m, e.shot)), media_reference=ref,
                source_range=TR(RT(e.src_in, mrate), RT(e.frames, mrate)),
                metadata=unicode_safe(meta) if with_metadata else None)
            for tag in tag_style.sorted_tags(e.shot):
                a, b = e.tag_range(tag)
                st = tag_style.style(tag.id)
                clip.markers.append(otio.schema.Marker(
                    name=unicode_safe(st.name), color=st.otio_colour,
                    marked_range=TR(RT(m.start_frame + a, mrate), RT(b - a, mrate)),
                    comment=unicode_safe(f"{tag.id} {float(tag.confidence):.2f} {tag.source}")))
            clips.append(clip)
        track.extend(clips)
        timeline.tracks.append(track)
        timelines.append(timeline)
    if len(timelines) == 1:
        return timelines[0], blobs
    return otio.schema.SerializableCollection(name=name, children=timelines), blobs


_CLIP_OPENING = '"OTIO_SCHEMA":"Clip.2","metadata":{}'


def merge_in_text(text: str, blobs: list[dict]) -> str | None:
    """Put each blob into the n-th clip's empty metadata of OTIO's compact JSON, or None if the
    text does not have exactly one such clip opening per blob (then use :func:`merge_parsed`).
    Quotes inside JSON strings are escaped, so the opening cannot occur inside a name or note."""
    pieces = text.split(_CLIP_OPENING)
    if len(pieces) != len(blobs) + 1:
        return None
    head = _CLIP_OPENING[:-2]
    out = [pieces[0]]
    for blob, piece in zip(blobs, pieces[1:]):
        out += [head, json.dumps(blob, ensure_ascii=False, default=str), piece]
    return "".join(out)


def merge_parsed(text: str, blobs: list[dict]) -> str:
    """The same as :func:`merge_in_text` through the parsed JSON structure (slower, general)."""
    data = json.loads(text)
    timelines = data["children"] if data["OTIO_SCHEMA"].startswith("SerializableCollection") \
        else [data]
    clips = [item for timeline in timelines for track in timeline["tracks"]["children"]
             for item in track["children"] if item["OTIO_SCHEMA"].startswith("Clip.")]
    if len(clips) != len(blobs):  # cannot happen: build() makes exactly one clip per blob
        raise ExportError(f"OTIO export: {len(clips)} clips for {len(blobs)} shots")
    for clip, blob in zip(clips, blobs):
        clip["metadata"].update(blob)
    return json.dumps(data, ensure_ascii=False, default=str)


def otio_text(sequences: list[EditSequence], name: str) -> str:
    """OTIO JSON of :func:`build`, with the clip metadata merged into OTIO's serialised output."""
    otio = _otio()
    obj, blobs = build(sequences, name, with_metadata=False)
    text = otio.adapters.write_to_string(obj, "otio_json", indent=-1)
    return merge_in_text(text, blobs) or merge_parsed(text, blobs)


def write_otio(path: str, sequences: list[EditSequence], options: ExportOptions) -> list[str]:
    return [write_text(path, otio_text(sequences, options.name or "camtag export"))]
