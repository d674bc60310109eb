"""Reading clips from OTIO files and FCP7 XML (through OpenTimelineIO) for cut import.

``.otio`` needs only ``opentimelineio``; FCP7 XML needs its ``fcp_xml`` adapter
(``pip install otio-fcp-adapter``). The adapter reads clipitem in/out plus the file's start
timecode as absolute source frames, which is what cut import matches on.
"""

from __future__ import annotations

import os
from fractions import Fraction
from urllib.parse import unquote, urlparse

from camtag import inputs, timebase
from camtag.export.cut_events import EditedClip


class EditReadError(ValueError):
    """An edit file that cannot be read; the message is one line."""


def _otio():
    try:
        import opentimelineio as otio
    except ImportError:
        raise EditReadError("reading OTIO needs opentimelineio (pip install opentimelineio)") from None
    return otio


def _basename(url: str) -> str:
    if not url:
        return ""
    path = unquote(urlparse(url).path) if "://" in url else url
    return os.path.basename(path.replace("\\", "/").rstrip("/"))


def _rate(value: float) -> Fraction:
    return timebase.parse_rate(float(value))


def clips_from_otio(obj) -> list[EditedClip]:
    """Every clip on the video tracks of every timeline in ``obj``, in track order."""
    otio = _otio()
    timelines = [obj] if isinstance(obj, otio.schema.Timeline) else \
        list(obj.find_children(descended_from_type=otio.schema.Timeline)) \
        if hasattr(obj, "find_children") else []
    out: list[EditedClip] = []
    for timeline in timelines:
        start = timeline.global_start_time
        for track in timeline.video_tracks():
            for clip in track.find_clips(shallow_search=True):
                try:
                    sr = clip.source_range or clip.available_range()
                except otio.exceptions.OTIOError:
                    raise EditReadError(f"clip {clip.name!r} has no source range and its media "
                                        "reference no available range") from None
                rate = sr.start_time.rate
                rec = clip.range_in_parent()
                offset = start.rescaled_to(rate).value if start is not None else 0
                ref = clip.media_reference
                url = getattr(ref, "target_url", "") or ""
                reel = ""
                for key in ("cmx_3600", "camtag"):
                    meta = clip.metadata.get(key)
                    if meta is not None and "reel" in meta:
                        reel = str(meta["reel"])
                        break
                out.append(EditedClip(
                    number=len(out) + 1, reel=reel, clip_name=clip.name or "",
                    source_file=_basename(url),
                    src_in=round(sr.start_time.value), src_out=round(sr.end_time_exclusive().value),
                    rec_in=round(rec.start_time.rescaled_to(rate).value + offset),
                    rec_out=round(rec.end_time_exclusive().rescaled_to(rate).value + offset),
                    rate=_rate(rate)))
    return out


MAX_EDIT_BYTES = 256 * 1024 * 1024
MAX_OTIO_DEPTH = 200     # real timelines nest ~20 levels; OTIO's C++ reader crashes near 50,000
MAX_XML_DEPTH = 200


def otio_json_text(path: str) -> str:
    """The OTIO JSON of a ``.otio`` file or of a ``.otioz`` bundle's ``content.otio``, checked for
    size, zip bombs and nesting depth before OTIO's C++ reader sees a byte of it."""
    try:
        if path.lower().endswith(".otioz"):
            data = inputs.read_zip_member(path, ("content.otio",), MAX_EDIT_BYTES, "OTIOZ bundle")
        else:
            data = inputs.read_limited(path, MAX_EDIT_BYTES, "OTIO file")
        inputs.check_json_text(data, os.path.basename(path), MAX_OTIO_DEPTH)
    except inputs.InputError as exc:
        raise EditReadError(str(exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EditReadError(f"{os.path.basename(path)}: not a UTF-8 OTIO file") from None


def check_xml(path: str) -> str:
    """FCP7 XML text after a streaming (non-recursive) pass: bounded size and element depth, and
    no entity declarations (no entity expansion, no external entities)."""
    from xml.parsers import expat

    try:
        data = inputs.read_limited(path, MAX_EDIT_BYTES, "FCP7 XML file")
    except inputs.InputError as exc:
        raise EditReadError(str(exc)) from None
    name = os.path.basename(path)
    depth = [0]

    def start(tag, attrs) -> None:
        depth[0] += 1
        if depth[0] > MAX_XML_DEPTH:
            raise EditReadError(f"{name}: XML nested deeper than {MAX_XML_DEPTH} elements")

    def end(tag) -> None:
        depth[0] -= 1

    def entity(*args) -> None:
        raise EditReadError(f"{name}: XML entity declarations are not accepted")

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise EditReadError(f"{name}: not well-formed XML ({exc})") from None
    return data.decode("utf-8", errors="replace")


def read_otio(path: str) -> list[EditedClip]:
    otio = _otio()
    text = otio_json_text(path)
    try:
        obj = otio.adapters.read_from_string(text, "otio_json")
    except Exception as exc:  # OTIO raises many types for malformed files
        raise EditReadError(f"{os.path.basename(path)}: not a readable OTIO file ({exc})") from None
    try:
        return clips_from_otio(obj)
    except otio.exceptions.OTIOError as exc:    # e.g. ranges that cannot be computed
        raise EditReadError(f"{os.path.basename(path)}: inconsistent OTIO timeline ({exc})") from None


def read_fcp7_xml(path: str) -> list[EditedClip]:
    otio = _otio()
    if "fcp_xml" not in otio.adapters.available_adapter_names():
        raise EditReadError("reading FCP7 XML needs otio-fcp-adapter (pip install otio-fcp-adapter)")
    text = check_xml(path)
    try:
        obj = otio.adapters.read_from_string(text, adapter_name="fcp_xml")
    except Exception as exc:  # the adapter raises many types for malformed files
        raise EditReadError(f"{os.path.basename(path)}: not a readable FCP7 XML file ({exc})") from None
    return clips_from_otio(obj)
