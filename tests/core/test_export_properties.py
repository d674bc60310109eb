"""Property test: random shot lists, rates, start and record timecodes through every format, read
back by independent readers (pycmx, OTIO's cmx_3600 / fcp_xml / otio_json / ale, `timecode`,
ElementTree). Target: zero reader errors and zero frame drift."""

import csv
import os
import tempfile
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pycmx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camtag import timebase
from camtag.export import ExportOptions, export
from camtag.export.cut_import import import_cuts
from camtag.model import Analysis, Shot, Tag
from export_support import RATE_CASES, TAG_IDS, check_fcpxml, fcp_time, make_media, tc_to_frames


def _day(rate: Fraction, df: bool) -> int:
    fps = timebase.nominal_fps(rate)
    return (fps * 600 - 9 * 2 * (fps // 30)) * 144 if df else fps * 86400


@st.composite
def exports(draw):
    rate, df, rate_str = draw(st.sampled_from(RATE_CASES))
    day = _day(rate, df)
    lengths = draw(st.lists(st.integers(1, 300), min_size=1, max_size=25))
    gaps = draw(st.lists(st.integers(0, 40), min_size=len(lengths), max_size=len(lengths)))
    shots, cursor = [], draw(st.integers(0, 20))
    for i, (n, gap) in enumerate(zip(lengths, gaps)):
        cursor += gap
        tags = tuple(Tag(t, draw(st.floats(0.05, 1.0))) for t in
                     draw(st.lists(st.sampled_from(TAG_IDS), max_size=3, unique=True)))
        shots.append(Shot(index=i, start_frame=cursor, end_frame=cursor + n, tags=tags))
        cursor += n
    frames = cursor + draw(st.integers(0, 30))
    start_frame = draw(st.integers(0, day - frames - 1))
    record_start = draw(st.integers(0, day - cursor - 1))
    media = make_media(rate, df, start_tc=None, frames=frames, path="/media/A003C011_clip.mov")
    media = replace(media, start_frame=start_frame,
                    start_timecode=timebase.frames_to_timecode(start_frame, rate, df))
    options = ExportOptions(record_start=timebase.frames_to_timecode(record_start, rate, df),
                            max_events=draw(st.sampled_from([999, 7])))
    return Analysis(media, tuple(shots)), options, rate_str


def _check_edl(paths, analysis, rate_str, df, record_start):
    media, rec, shots = analysis.media, record_start, iter(analysis.shots)
    for path in paths:
        edl = pycmx.parse_cmx3600(open(path, encoding="ascii"))
        assert edl.format == "3600"
        timeline = otio.adapters.read_from_file(path, rate=float(media.rate))
        for ev, clip in zip(edl.events, timeline.find_clips(), strict=True):
            shot, edit = next(shots), ev.edits[0]
            src = media.start_frame + shot.start_frame
            assert tc_to_frames(edit.source_in, rate_str, df) == src
            assert tc_to_frames(edit.source_out, rate_str, df) == src + shot.frames
            assert tc_to_frames(edit.record_in, rate_str, df) == rec
            assert tc_to_frames(edit.record_out, rate_str, df) == rec + shot.frames
            assert clip.source_range.start_time.value == src
            assert clip.source_range.duration.value == shot.frames
            rec += shot.frames
    assert next(shots, None) is None


@settings(max_examples=int(os.environ.get("CAMTAG_EXPORT_EXAMPLES", 30)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports())
def test_every_format_reads_back_without_drift(case):
    analysis, options, rate_str = case
    media, rate, df = analysis.media, analysis.media.rate, analysis.media.drop_frame
    record_start = timebase.timecode_to_frames(options.record_start, rate, df)
    shots = analysis.shots
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        edl = export(analysis, "edl", str(out / "cut.edl"), options)
        assert edl.warnings == ()
        _check_edl(edl.paths, analysis, rate_str, df, record_start)

        result = import_cuts(edl.paths[0], media)
        first_part = shots[:options.max_events]
        expected = sorted({f for s in first_part for f in (s.start_frame, s.end_frame)
                           if 0 < f < media.frames})
        assert [b.frame for b in result.boundaries] == expected

        markers = export(analysis, "resolve-markers", str(out / "m.edl"), options)
        marker_events = [e for p in markers.paths
                         for e in pycmx.parse_cmx3600(open(p, encoding="ascii")).events]
        assert len(marker_events) == len(shots)
        rec = record_start
        for ev, shot in zip(marker_events, shots):
            assert tc_to_frames(ev.edits[0].record_in, rate_str, df) == rec
            rec += shot.frames

        export(analysis, "fcp7", str(out / "p.xml"), options)
        timeline = otio.adapters.read_from_file(str(out / "p.xml"), adapter_name="fcp_xml")
        assert timeline.global_start_time.value == record_start
        for clip, shot in zip(timeline.find_clips(), shots, strict=True):
            assert clip.source_range.start_time.value == media.start_frame + shot.start_frame
            assert clip.source_range.duration.value == shot.frames

        export(analysis, "otio", str(out / "t.otio"), options)
        timeline = otio.adapters.read_from_file(str(out / "t.otio"))
        assert timeline.global_start_time.value == record_start
        for clip, shot in zip(timeline.find_clips(), shots, strict=True):
            assert clip.source_range.start_time.value == media.start_frame + shot.start_frame
            assert clip.metadata["camtag"]["end_frame"] == shot.end_frame

        export(analysis, "fcpxml", str(out / "f.fcpxml"), options)
        root = check_fcpxml(out / "f.fcpxml")
        assert fcp_time(root.find(".//sequence").get("tcStart")) * rate == record_start
        for clip, shot in zip(root.iter("asset-clip"), shots, strict=True):
            assert fcp_time(clip.get("start")) * rate == media.start_frame + shot.start_frame

        export(analysis, "ale", str(out / "b.ale"), options)
        for clip, shot in zip(otio.adapters.read_from_file(str(out / "b.ale")).find_clips(), shots,
                              strict=True):
            assert clip.source_range.start_time.value == media.start_frame + shot.start_frame
            assert clip.source_range.duration.value == shot.frames

        export(analysis, "csv-frames", str(out / "c.csv"), options)
        rows = list(csv.reader(open(out / "c.csv", encoding="utf-8", newline="")))
        assert [(int(a), int(b)) for a, b, _ in rows] == [(s.start_frame, s.end_frame) for s in shots]
