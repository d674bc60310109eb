"""Shared builders and independent readers for the export tests (tests/core/test_export_*.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction

from timecode import Timecode

from camtag import timebase
from camtag.model import Analysis, MediaInfo, Shot, Tag

# (rate, drop-frame, rate string for the `timecode` package)
RATE_CASES = [
    (Fraction(24000, 1001), False, "23.976"),
    (Fraction(24), False, "24"),
    (Fraction(25), False, "25"),
    (Fraction(30000, 1001), True, "29.97"),
    (Fraction(30000, 1001), False, "29.97"),
    (Fraction(30), False, "30"),
    (Fraction(50), False, "50"),
    (Fraction(60000, 1001), True, "59.94"),
]
RATE_IDS = [f"{r}{'DF' if df else ''}" for r, df, _ in RATE_CASES]
TAG_IDS = ["pan_left", "pan_right", "tilt_up", "zoom_in", "dolly_out", "truck_left", "roll_cw",
           "handheld", "static", "track_side", "arc_ccw", "crane_up"]
EDL_LINE = re.compile(r"^(\d{3,4})  (\S{1,8})\s+(\S+)\s+(\S+)\s+(\S{11}) (\S{11}) (\S{11}) (\S{11})$")


def tc_to_frames(tc: str, rate_str: str, drop_frame: bool) -> int:
    """0-based absolute frame count of a label, by the `timecode` package (independent of ours)."""
    return Timecode(rate_str, tc, force_non_drop_frame=not drop_frame).frame_number


def frames_to_tc(frames: int, rate_str: str, drop_frame: bool) -> str:
    return str(Timecode(rate_str, frames=frames + 1, force_non_drop_frame=not drop_frame))


def make_media(rate: Fraction, drop_frame: bool = False, start_tc: str = "14:22:10:00",
               frames: int = 5000, path: str = "/footage/A001C002_230614_R1AB.mov",
               **extra) -> MediaInfo:
    start = timebase.timecode_to_frames(start_tc, rate, drop_frame) if start_tc else 0
    return MediaInfo(path=path, container="mov", codec="prores", width=extra.pop("width", 1920),
                     height=extra.pop("height", 1080), rate=rate, frames=frames,
                     duration=Fraction(frames) / rate, start_timecode=start_tc,
                     start_frame=start, drop_frame=drop_frame, **extra)


def make_shots(cuts: list[int], tags_for=None, note_for=None) -> tuple[Shot, ...]:
    """Contiguous shots between successive ``cuts`` (first = start, last = end exclusive)."""
    shots = []
    for i, (a, b) in enumerate(zip(cuts, cuts[1:])):
        tags = tags_for(i) if tags_for else (Tag(TAG_IDS[i % len(TAG_IDS)], 0.9 - 0.01 * (i % 50)),
                                             Tag("handheld", 0.55))
        shots.append(Shot(index=i, start_frame=a, end_frame=b, tags=tags,
                          note=note_for(i) if note_for else ""))
    return tuple(shots)


def make_analysis(media: MediaInfo, cuts: list[int], **kw) -> Analysis:
    return Analysis(media=media, shots=make_shots(cuts, **kw), detector="test", engine="geometry")


def read_text(path) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def fcp_time(value: str) -> Fraction:
    assert value.endswith("s"), value
    return Fraction(value[:-1])


def check_fcpxml(path) -> ET.Element:
    """Structure rules Final Cut relies on; returns the root. Fails with the first broken rule."""
    root = ET.parse(path).getroot()
    assert root.tag == "fcpxml"
    assert tuple(int(x) for x in root.get("version").split(".")) >= (1, 9)
    resources = root.find("resources")
    ids = {el.get("id"): el for el in resources}
    assert len(ids) == len(resources), "resource ids must be unique"
    durations = {k: fcp_time(el.get("frameDuration")) for k, el in ids.items() if el.tag == "format"}

    def on_grid(value: str, fd: Fraction) -> Fraction:
        t = fcp_time(value)
        assert (t / fd).denominator == 1, f"{value} is off the {fd} frame grid"
        return t

    for asset in (el for el in resources if el.tag == "asset"):
        fd = durations[asset.get("format")]
        on_grid(asset.get("start"), fd)
        on_grid(asset.get("duration"), fd)
        assert asset.get("src").startswith("file:///")
    projects = list(root.iter("project"))
    assert len({p.get("name") for p in projects}) == len(projects)
    for project in projects:
        seq = project.find("sequence")
        fd = durations[seq.get("format")]
        tc_start = on_grid(seq.get("tcStart"), fd)
        assert seq.get("tcFormat") in ("DF", "NDF")
        cursor = tc_start
        for clip in seq.find("spine"):
            assert clip.tag == "asset-clip"
            asset = ids[clip.get("ref")]
            afd = durations[asset.get("format")]
            assert on_grid(clip.get("offset"), fd) == cursor, "spine must be gap-free and ordered"
            start, dur = on_grid(clip.get("start"), afd), on_grid(clip.get("duration"), afd)
            a_start, a_dur = fcp_time(asset.get("start")), fcp_time(asset.get("duration"))
            assert a_start <= start and start + dur <= a_start + a_dur, "clip outside its media"
            kinds = [child.tag for child in clip]
            assert kinds.count("note") <= 1 and (not kinds or "note" not in kinds[1:])
            assert "metadata" not in kinds[:-1]
            for item in clip:
                if item.tag in ("keyword", "marker"):
                    s, d = on_grid(item.get("start"), afd), on_grid(item.get("duration"), afd)
                    assert start <= s and s + d <= start + dur and d > 0
                    assert item.get("value")
            cursor += dur
        assert fcp_time(seq.get("duration")) == cursor - tc_start
    return root
