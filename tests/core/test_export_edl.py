"""CMX3600 cut EDL and Resolve marker EDL, read back by pycmx, OTIO's cmx_3600 reader and `timecode`."""

import os
import re
from fractions import Fraction

import opentimelineio as otio
import pycmx
import pytest

from camtag import timebase
from camtag.export import ExportOptions, export
from camtag.export.tag_style import AVID_COLOURS, RESOLVE_COLOURS, primary_tag, style
from camtag.model import Analysis
from export_support import (EDL_LINE, RATE_CASES, RATE_IDS, make_analysis, make_media, read_text,
                            tc_to_frames)

LOC = re.compile(r"^\* LOC: (\S{11}) (\S+)\s+(.*)$")
MARKER = re.compile(r"^(.*) \|C:ResolveColor(\w+) \|M:(.*) \|D:(\d+)$")


def _pycmx(path):
    with open(path, encoding="ascii") as fh:  # also proves the file is pure ASCII
        return pycmx.parse_cmx3600(fh)


@pytest.mark.parametrize("case", RATE_CASES, ids=RATE_IDS)
def test_cut_edl_reads_back_exactly(tmp_path, case):
    rate, df, rate_str = case
    media = make_media(rate, df, start_tc="14:22:10;00" if df else "14:22:10:00")
    cuts = [0, 1, 48, 301, 302, 2500, 4999]
    analysis = make_analysis(media, cuts, note_for=lambda i: "check focus" if i == 2 else "")
    out = tmp_path / "cuts.edl"
    result = export(analysis, "edl", str(out))
    assert result.paths == (str(out),) and result.warnings == ()
    text = read_text(out)
    assert text.startswith("TITLE: A001C002_230614_R1AB\r\n")
    assert text.splitlines()[1] == ("FCM: DROP FRAME" if df else "FCM: NON-DROP FRAME")

    edl = _pycmx(out)
    assert edl.format == "3600" and edl.title == "A001C002_230614_R1AB"
    events = list(edl.events)
    assert [e.number for e in events] == list(range(1, len(cuts)))
    rec = tc_to_frames("01:00:00;00" if df else "01:00:00:00", rate_str, df)
    for ev, shot in zip(events, analysis.shots):
        (edit,) = ev.edits
        assert edit.source == "A001C002" and edit.channels.video and edit.transition.cut
        assert edit.clip_name == "A001C002_230614_R1AB.mov"
        assert edit.source_file == "A001C002_230614_R1AB.mov"
        assert tc_to_frames(edit.source_in, rate_str, df) == media.start_frame + shot.start_frame
        assert tc_to_frames(edit.source_out, rate_str, df) == media.start_frame + shot.end_frame
        assert tc_to_frames(edit.record_in, rate_str, df) == rec
        rec += shot.frames
        assert tc_to_frames(edit.record_out, rate_str, df) == rec  # exclusive out
        remarks = [s.text for s in ev.statements if type(s).__name__ == "StmtRemark"]
        assert any(r.startswith(f"COMMENT: SHOT {shot.index + 1} MOVEMENT: {shot.tags[0].id} 0.")
                   for r in remarks), remarks
    assert not [s for s in edl.unrecognized_statements if getattr(s, "content", "x").strip()]

    timeline = otio.adapters.read_from_file(str(out), rate=float(rate))
    clips = list(timeline.find_clips())
    assert len(clips) == len(analysis.shots)
    for clip, shot in zip(clips, analysis.shots):
        assert clip.name == "A001C002_230614_R1AB.mov"
        assert clip.metadata["cmx_3600"]["reel"] == "A001C002"
        assert clip.source_range.start_time.value == media.start_frame + shot.start_frame
        assert clip.source_range.duration.value == shot.frames


def test_locators_sit_on_record_time_with_avid_colours(tmp_path):
    media = make_media(Fraction(24000, 1001))
    analysis = make_analysis(media, [0, 100, 250, 400])
    out = tmp_path / "avid.edl"
    export(analysis, "edl", str(out), ExportOptions(record_start="10:00:00:00"))
    locs = [LOC.match(line) for line in read_text(out).splitlines() if line.startswith("* LOC:")]
    assert len(locs) == 3
    rec = tc_to_frames("10:00:00:00", "23.976", False)
    for loc, shot in zip(locs, analysis.shots):
        assert tc_to_frames(loc.group(1), "23.976", False) == rec
        assert loc.group(2) in AVID_COLOURS
        assert loc.group(2) == style(primary_tag(shot).id).avid_colour
        assert loc.group(3).startswith(style(primary_tag(shot).id).name)
        rec += shot.frames
    # OTIO reads NDF locators as clip markers
    clips = list(otio.adapters.read_from_file(str(out), rate=24000 / 1001).find_clips())
    assert [len(c.markers) for c in clips] == [1, 1, 1]
    export(analysis, "edl", str(out), ExportOptions(locators=False))
    assert "* LOC:" not in read_text(out)


def test_split_past_999_events_with_continuous_record_time(tmp_path):
    media = make_media(Fraction(25), frames=2 * 2100)
    analysis = make_analysis(media, list(range(0, 4201, 2)))
    out = tmp_path / "long.edl"
    result = export(analysis, "edl", str(out))
    assert [os.path.basename(p) for p in result.paths] == ["long_part1.edl", "long_part2.edl",
                                                           "long_part3.edl"]
    rec = tc_to_frames("01:00:00:00", "25", False)
    total = 0
    for i, path in enumerate(result.paths, 1):
        edl = _pycmx(path)
        assert edl.title.endswith(f"part {i} of 3")
        events = list(edl.events)
        assert len(events) <= 999 and events[0].number == 1
        for ev in events:
            assert tc_to_frames(ev.edits[0].record_in, "25", False) == rec
            rec += 2
            total += 1
    assert total == 2100


def test_combined_sequence_switches_fcm_per_source(tmp_path):
    df_media = make_media(Fraction(30000, 1001), True, "10:00:00;00", path="/f/cam_a.mov")
    ndf_media = make_media(Fraction(30000, 1001), False, "20:00:00:00", path="/f/cam_b.mov")
    a = make_analysis(df_media, [0, 60, 120])
    b = make_analysis(ndf_media, [10, 70])
    out = tmp_path / "both.edl"
    result = export([a, b], "edl", str(out), ExportOptions(combined=True))
    assert len(result.paths) == 1
    lines = read_text(out).splitlines()
    assert lines[1] == "FCM: DROP FRAME"
    assert "FCM: NON-DROP FRAME" in lines
    events = [EDL_LINE.match(x) for x in lines if EDL_LINE.match(x)]
    assert [e.group(2) for e in events] == ["CAMA", "CAMA", "CAMB"]
    expected = [(df_media, True, 0), (df_media, True, 60), (ndf_media, False, 10)]
    rec = 107892
    for ev, (media, df, start) in zip(events, expected):
        assert tc_to_frames(ev.group(5), "29.97", df) == media.start_frame + start
        assert tc_to_frames(ev.group(7), "29.97", True) == rec
        rec += 60
    assert len(list(_pycmx(out).events)) == 3


@pytest.mark.parametrize("case", [RATE_CASES[0], RATE_CASES[3], RATE_CASES[7]], ids=lambda c: str(c[0]))
def test_resolve_marker_edl(tmp_path, case):
    rate, df, rate_str = case
    media = make_media(rate, df, start_tc="", frames=3000)
    analysis = make_analysis(media, [0, 120, 121, 900, 3000],
                             note_for=lambda i: 'a "quoted" | piped\tnote' if i == 1 else "")
    out = tmp_path / "markers.edl"
    export(analysis, "resolve-markers", str(out))
    lines = read_text(out).split("\r\n")
    markers = [MARKER.match(x) for x in lines if "|C:" in x]
    assert len(markers) == len(analysis.shots) and all(markers)
    events = list(_pycmx(out).events)
    assert len(events) == len(analysis.shots)
    rec = tc_to_frames("01:00:00;00" if df else "01:00:00:00", rate_str, df)
    for m, ev, shot in zip(markers, events, analysis.shots):
        edit = ev.edits[0]
        assert tc_to_frames(edit.record_in, rate_str, df) == rec
        assert tc_to_frames(edit.record_out, rate_str, df) == rec + 1
        assert edit.source_in == edit.record_in
        assert m.group(2) in RESOLVE_COLOURS and m.group(2) == style(primary_tag(shot).id).resolve_colour
        assert int(m.group(4)) == shot.frames
        assert "|" not in m.group(1) and "|" not in m.group(3)
        rec += shot.frames
    assert len(list(otio.adapters.read_from_file(str(out), rate=float(rate)).find_clips())) == 4


def test_untagged_shots_still_make_valid_lists(tmp_path):
    media = make_media(Fraction(24))
    analysis = make_analysis(media, [0, 10, 20], tags_for=lambda i: ())
    export(analysis, "edl", str(tmp_path / "a.edl"))
    export(analysis, "resolve-markers", str(tmp_path / "b.edl"))
    assert "|M:Shot 1 |D:10" in read_text(tmp_path / "b.edl")
    assert "* LOC:" not in read_text(tmp_path / "a.edl")
    assert len(list(_pycmx(tmp_path / "a.edl").events)) == 2


def test_reel_and_sequence_names_per_media(tmp_path):
    a = make_analysis(make_media(Fraction(25), path="/x/interview take 1 (final).mov"), [0, 50])
    b = make_analysis(make_media(Fraction(25), path="/x/interview take 2 (final).mov"), [0, 50])
    result = export([a, b], "edl", str(tmp_path / "cuts.edl"))
    assert len(result.paths) == 2
    reels = [list(_pycmx(p).events)[0].edits[0].source for p in result.paths]
    assert reels[0] != reels[1] and all(len(r) == 8 and r.isalnum() for r in reels)
    assert isinstance(a, Analysis)
    assert timebase.nominal_fps(a.media.rate) == 25
