"""OTIO (read by opentimelineio), analysis JSON, CSV and ALE (read back two ways)."""

import csv
import json
from fractions import Fraction

import opentimelineio as otio
import pytest

from camtag.analysis_json import read_analysis, shot_to_dict
from camtag.export import ExportOptions, build_sequences, export, otio_file
from camtag.export.ale import CUSTOM_COLUMNS
from camtag.export.tag_style import primary_tag, shot_label, style
from camtag.model import Segment, Tag, Trace
from export_support import RATE_CASES, make_analysis, make_media, read_text, tc_to_frames


def plain(value):
    """OTIO's AnyDictionary / AnyVector as plain dicts and lists."""
    if hasattr(value, "items"):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (str, bytes)):
        return value
    if hasattr(value, "__iter__"):
        return [plain(v) for v in value]
    return value


def rich_analysis(rate=Fraction(24000, 1001), df=False, **media_kw):
    media = make_media(rate, df, start_tc="14:22:10;00" if df else "14:22:10:00", **media_kw)
    analysis = make_analysis(media, [0, 48, 120, 300])
    first = analysis.shots[0].with_(
        tags=(Tag("pan_left", 0.9, "fusion", "flow dx=-3.1", 10, 30), Tag("handheld", 0.72)),
        segments=(Segment(0, 30, ("pan_left",), 0.9),),
        traces=(Trace("left drift", "consistent flow", "B", "vlm", "raw text"),),
        evidence={"dx": -3.1}, note='editor: "keep", ünïcode')
    return analysis.__class__(media, (first, *analysis.shots[1:]), "adaptive", "geometry")


@pytest.mark.parametrize("case", [RATE_CASES[0], RATE_CASES[3]], ids=["23.976", "29.97DF"])
def test_otio_keeps_all_metadata(tmp_path, case):
    rate, df, rate_str = case
    analysis = rich_analysis(rate, df)
    media = analysis.media
    out = tmp_path / "cut.otio"
    export(analysis, "otio", str(out), ExportOptions(record_start="00:59:50:00"))
    timeline = otio.adapters.read_from_file(str(out))
    assert timeline.global_start_time.value == tc_to_frames(
        "00:59:50;00" if df else "00:59:50:00", rate_str, df)
    meta = timeline.metadata["camtag"]
    assert meta["drop_frame"] is df and meta["media"][media.path]["start_frame"] == media.start_frame
    clips = list(timeline.find_clips())
    assert len(clips) == 3
    for clip, shot in zip(clips, analysis.shots):
        assert clip.source_range.start_time.value == media.start_frame + shot.start_frame
        assert clip.source_range.duration.value == shot.frames
        assert clip.media_reference.available_range.start_time.value == media.start_frame
        assert clip.media_reference.available_range.duration.value == media.frames
        record = plain(clip.metadata["camtag"])
        expected = shot_to_dict(shot, media)
        for key in ("index", "start_frame", "end_frame", "tags", "segments", "traces", "note",
                    "evidence", "start_timecode"):
            assert record[key] == expected[key], key
        assert tc_to_frames(record["rec_in_tc"], rate_str, df) == timeline.global_start_time.value + \
            clip.range_in_parent().start_time.value
        assert clip.metadata["cmx_3600"]["reel"] == "A001C002"
    pan = clips[0].markers[0]
    assert (pan.name, pan.color, pan.comment) == ("Pan Left", style("pan_left").otio_colour,
                                                  "pan_left 0.90 fusion")
    assert pan.marked_range.start_time.value == media.start_frame + 10
    assert pan.marked_range.duration.value == 20


def test_otio_several_media_make_a_collection(tmp_path):
    a = make_analysis(make_media(Fraction(25), path="/m/a.mov"), [0, 10, 20])
    b = make_analysis(make_media(Fraction(50), path="/m/b.mov"), [0, 5])
    out = tmp_path / "all.otio"
    export([a, b], "otio", str(out))
    coll = otio.adapters.read_from_file(str(out))
    assert isinstance(coll, otio.schema.SerializableCollection)
    assert [t.name for t in coll] == ["a", "b"]
    assert [len(list(t.find_clips())) for t in coll] == [2, 1]
    assert list(coll[1].find_clips())[0].source_range.start_time.rate == 50


def test_analysis_json_reads_back(tmp_path):
    analysis = rich_analysis()
    long_shot = analysis.shots[-1].with_(end_frame=analysis.media.frames + 50)
    analysis = analysis.__class__(analysis.media, (*analysis.shots[:-1], long_shot),
                                  analysis.detector, analysis.engine)
    out = tmp_path / "a.json"
    result = export(analysis, "json", str(out))
    assert any("past the media end" in w for w in result.warnings)
    back = read_analysis(str(out))
    assert back.media == analysis.media and back.detector == "adaptive"
    assert back.shots[:-1] == analysis.shots[:-1]
    assert back.shots[-1].end_frame == analysis.media.frames


def test_csv_seconds_and_frames(tmp_path):
    analysis = rich_analysis(Fraction(30000, 1001), True)
    export(analysis, "csv", str(tmp_path / "s.csv"))
    export(analysis, "csv-frames", str(tmp_path / "f.csv"))
    seconds = list(csv.reader(open(tmp_path / "s.csv", encoding="utf-8", newline="")))
    frames = list(csv.reader(open(tmp_path / "f.csv", encoding="utf-8", newline="")))
    assert len(seconds) == len(frames) == 3
    for s_row, f_row, shot in zip(seconds, frames, analysis.shots):
        assert (int(f_row[0]), int(f_row[1])) == (shot.start_frame, shot.end_frame)
        assert abs(float(s_row[0]) - shot.start_frame * 1001 / 30000) < 1e-6
        assert abs(float(s_row[1]) - shot.end_frame * 1001 / 30000) < 1e-6
        assert s_row[2] == f_row[2] and s_row[2].startswith(shot_label(shot))
    assert frames[0][2] == f'Pan Left, {style("handheld").name} - editor: "keep", ünïcode'


def parse_ale(path):
    text = read_text(path)
    lines = text.split("\r\n")
    assert lines[0] == "Heading"
    col = lines.index("Column")
    data = lines.index("Data")
    assert lines[col - 1] == lines[data - 1] == ""  # each keyword follows a blank line
    assert "\n" not in "".join(lines)  # CRLF throughout, no stray newlines inside values
    heading = dict(line.split("\t") for line in lines[1:col] if line)
    columns = lines[col + 1].split("\t")
    rows = [line.split("\t") for line in lines[data + 1:] if line]
    assert all(len(r) == len(columns) for r in rows)
    return heading, columns, [dict(zip(columns, r)) for r in rows]


@pytest.mark.parametrize("case,fps", [(RATE_CASES[0], "23.976"), (RATE_CASES[3], "29.97"),
                                      (RATE_CASES[2], "25"), (RATE_CASES[7], "59.94")])
def test_ale_reads_back(tmp_path, case, fps):
    rate, df, rate_str = case
    analysis = rich_analysis(rate, df, has_audio=True)
    out = tmp_path / "bin.ale"
    export(analysis, "ale", str(out))
    heading, columns, rows = parse_ale(out)
    assert heading == {"FIELD_DELIM": "TABS", "VIDEO_FORMAT": "1080", "AUDIO_FORMAT": "48khz",
                       "FPS": fps}
    assert {"Name", "Tracks", "Start", "End", "Tape", "Source File"} <= set(columns)
    assert all(len(c) <= 14 for c in CUSTOM_COLUMNS) and set(CUSTOM_COLUMNS) <= set(columns)
    assert len(columns) <= 64
    media = analysis.media
    for row, shot in zip(rows, analysis.shots):
        assert tc_to_frames(row["Start"], rate_str, df) == media.start_frame + shot.start_frame
        assert tc_to_frames(row["End"], rate_str, df) == media.start_frame + shot.end_frame
        assert row["Tape"] == "A001C002" and row["Tracks"] == "VA1A2"
        assert row["Camera Move"] == style(primary_tag(shot).id).name
        assert all(v.isascii() for v in row.values())
    assert rows[0]["Shot Notes"] == 'editor: "keep", unicode'
    assert rows[0]["Move Conf"] == "0.90"
    # OTIO's ALE adapter reads the same clips and columns
    clips = list(otio.adapters.read_from_file(str(out)).find_clips())
    assert [c.source_range.start_time.value for c in clips] == \
        [media.start_frame + s.start_frame for s in analysis.shots]
    assert [c.source_range.duration.value for c in clips] == [s.frames for s in analysis.shots]
    assert clips[0].metadata["ALE"]["Camera Move"] == "Pan Left"


def test_ale_splits_by_rate(tmp_path):
    a = make_analysis(make_media(Fraction(25), path="/m/a.mov"), [0, 10])
    b = make_analysis(make_media(Fraction(24000, 1001), path="/m/b.mov"), [0, 10])
    c = make_analysis(make_media(Fraction(25), path="/m/c.mov"), [0, 10])
    result = export([a, b, c], "ale", str(tmp_path / "bin.ale"))
    assert [p.rsplit("/", 1)[1] for p in result.paths] == ["bin_25fps.ale", "bin_23.976fps.ale"]
    assert len(parse_ale(result.paths[0])[2]) == 2


def test_otio_fast_metadata_merge_equals_building_it_with_otio():
    sequences, _ = build_sequences(rich_analysis(Fraction(30000, 1001), True))
    obj, blobs = otio_file.build(sequences, "x", with_metadata=False)
    text = otio.adapters.write_to_string(obj, "otio_json", indent=-1)
    fast = otio_file.merge_in_text(text, blobs)
    assert fast is not None
    assert json.loads(fast) == json.loads(otio_file.merge_parsed(text, blobs))
    complete, _ = otio_file.build(sequences, "x", with_metadata=True)
    assert json.loads(otio.adapters.write_to_string(complete, "otio_json")) == json.loads(fast)
    assert otio_file.merge_in_text(text.replace('"Clip.2"', '"Clip.3"'), blobs) is None
