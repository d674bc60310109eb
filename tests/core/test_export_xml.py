"""FCP7 XML (read back by OTIO's fcp_xml adapter) and FCPXML (well-formed, structure checks)."""

import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio
import pytest

from camtag.export import ExportOptions, export
from camtag.export.tag_style import shot_label, style
from camtag.model import Tag
from export_support import (RATE_CASES, RATE_IDS, check_fcpxml, fcp_time, make_analysis,
                            make_media, tc_to_frames)

TRICKY = 'Ünïcode "quoted" <tag> & tab\there\nnewline ' + "x" * 300


@pytest.mark.parametrize("case", RATE_CASES, ids=RATE_IDS)
def test_fcpxml_structure_and_exact_times(tmp_path, case):
    rate, df, rate_str = case
    media = make_media(rate, df, start_tc="14:22:10;00" if df else "14:22:10:00", has_audio=True)
    tagged = lambda i: (Tag("pan_left", 0.9, "geometry", "", 12, 40), Tag("handheld", 0.6))  # noqa: E731
    analysis = make_analysis(media, [0, 1, 48, 301, 4999], tags_for=tagged)
    out = tmp_path / "cut.fcpxml"
    export(analysis, "fcpxml", str(out))
    root = check_fcpxml(out)
    seq = root.find(".//sequence")
    assert fcp_time(seq.get("tcStart")) * rate == tc_to_frames(
        "01:00:00;00" if df else "01:00:00:00", rate_str, df)
    assert seq.get("tcFormat") == ("DF" if df else "NDF")
    clips = seq.find("spine").findall("asset-clip")
    for clip, shot in zip(clips, analysis.shots):
        assert fcp_time(clip.get("start")) * rate == media.start_frame + shot.start_frame
        assert fcp_time(clip.get("duration")) * rate == shot.frames
        keywords = {k.get("value"): k for k in clip.findall("keyword")}
        assert set(keywords) == {style("pan_left").name, style("handheld").name}
        pan = keywords[style("pan_left").name]
        first = max(shot.start_frame, 12)
        if first < min(shot.end_frame, 40):  # the tag's own range, clipped to the shot
            assert fcp_time(pan.get("start")) * rate == media.start_frame + first
            assert fcp_time(pan.get("duration")) * rate == min(shot.end_frame, 40) - first
        assert clip.find("marker").get("value") == shot_label(shot)


def test_fcpxml_several_media_and_tricky_text(tmp_path):
    a = make_analysis(make_media(Fraction(25), path="/m/één.mov"), [0, 50, 90],
                      note_for=lambda i: TRICKY)
    b = make_analysis(make_media(Fraction(24000, 1001), path="/m/b&b <2>.mov", width=3840,
                                 height=2160), [5, 30])
    out = tmp_path / "two.fcpxml"
    export([a, b], "fcpxml", str(out), ExportOptions(name='Rough "cut"'))
    root = check_fcpxml(out)
    assert [p.get("name") for p in root.iter("project")] == ['Rough "cut" één', 'Rough "cut" b&b <2>']
    assert root.find(".//event").get("name") == 'Rough "cut"'
    assert TRICKY.replace("\t", " ").replace("\n", " ").split(" x")[0] in \
        root.find(".//asset-clip/note").text
    with pytest.raises(Exception):  # a combined sequence cannot mix 25 and 23.976
        export([a, b], "fcpxml", str(out), ExportOptions(combined=True))


@pytest.mark.parametrize("case", [RATE_CASES[0], RATE_CASES[3], RATE_CASES[4], RATE_CASES[7]],
                         ids=["23.976", "29.97DF", "29.97NDF", "59.94DF"])
def test_fcp7_xml_reads_back_in_otio(tmp_path, case):
    rate, df, rate_str = case
    media = make_media(rate, df, start_tc="14:22:10;00" if df else "14:22:10:00")
    analysis = make_analysis(media, [0, 24, 25, 700, 4000],
                             note_for=lambda i: TRICKY if i == 1 else "")
    out = tmp_path / "premiere.xml"
    export(analysis, "fcp7", str(out), ExportOptions(record_start="00:59:50:00"))
    root = ET.parse(out).getroot()
    assert root.tag == "xmeml" and root.get("version") == "4"
    tc = root.find("sequence/timecode")
    assert tc.find("displayformat").text == ("DF" if df else "NDF")
    rec0 = tc_to_frames("00:59:50;00" if df else "00:59:50:00", rate_str, df)
    assert int(tc.find("frame").text) == rec0 == tc_to_frames(tc.find("string").text, rate_str, df)
    ftc = root.find(".//file/timecode")
    assert tc_to_frames(ftc.find("string").text, rate_str, df) == media.start_frame

    timeline = otio.adapters.read_from_file(str(out), adapter_name="fcp_xml")
    assert timeline.global_start_time.value == rec0
    clips = list(timeline.find_clips())
    assert len(clips) == 4
    for clip, shot in zip(clips, analysis.shots):
        assert clip.source_range.start_time.value == media.start_frame + shot.start_frame
        assert clip.source_range.duration.value == shot.frames
        assert clip.media_reference.available_range.start_time.value == media.start_frame
        assert clip.media_reference.target_url.endswith("/footage/A001C002_230614_R1AB.mov")
        assert clip.range_in_parent().start_time.value == shot.start_frame
    markers = list(timeline.tracks.markers)
    assert [m.name for m in markers] == [shot_label(s) for s in analysis.shots]
    assert [m.marked_range.start_time.value for m in markers] == [0, 24, 25, 700]
    assert [m.marked_range.duration.value for m in markers] == [s.frames for s in analysis.shots]
    assert TRICKY[:20] in markers[1].metadata["fcp_xml"]["comment"]
    assert markers[0].metadata["fcp_xml"]["comment"].startswith("shot 1: pan_left 0.90")
    info = root.find(".//clipitem/logginginfo")
    assert info.find("description").text == shot_label(analysis.shots[0])
    assert root.find(".//clipitem/comments/mastercomment1").text == \
        style(analysis.shots[0].tags[0].id).name


def test_fcp7_several_sequences_share_file_definitions(tmp_path):
    media = make_media(Fraction(25), path="/m/a.mov")
    other = make_media(Fraction(25), path="/m/b.mov", start_tc="02:00:00:00")
    out = tmp_path / "bin.xml"
    export([make_analysis(media, [0, 10, 20]), make_analysis(other, [0, 5])], "fcp7", str(out))
    root = ET.parse(out).getroot()
    assert root.find("project/children") is not None
    assert len(root.findall(".//file[pathurl]")) == 2  # each file defined once, then referenced
    coll = otio.adapters.read_from_file(str(out), adapter_name="fcp_xml")
    timelines = list(coll.find_children(descended_from_type=otio.schema.Timeline))
    assert [len(list(t.find_clips())) for t in timelines] == [2, 1]
    second = list(timelines[1].find_clips())[0]
    assert second.source_range.start_time.value == other.start_frame
