"""What gets exported: selections, trimming/refusing bad shots, reels, names, atomic files."""

import os
import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio
import pycmx
import pytest

from camtag.export import ExportError, ExportOptions, available_formats, build_sequences, export
from camtag.export.base import write_text_atomic
from camtag.export.reels import reel_name
from camtag.model import Shot, Tag
from export_support import EDL_LINE, make_analysis, make_media, read_text

BAD_NAME = 'Düsseldorf\t"night" take \'3\' — ' + "very long " * 40 + "東京.mov"


def test_empty_selection_is_refused_for_every_format(tmp_path):
    media = make_media(Fraction(25))
    for fmt in available_formats():
        with pytest.raises(ExportError, match="nothing to export"):
            export([], fmt, str(tmp_path / f"x.{fmt}"))
        with pytest.raises(ExportError, match="nothing to export"):
            export(make_analysis(media, [0]), fmt, str(tmp_path / f"x.{fmt}"))
    assert os.listdir(tmp_path) == []


def test_overlaps_and_shots_past_the_end_are_trimmed_or_refused(tmp_path):
    media = make_media(Fraction(24), frames=300)
    shots = (Shot(0, 0, 100), Shot(1, 80, 150), Shot(2, 120, 140), Shot(3, 250, 400))  # shots 1-4
    analysis = make_analysis(media, [0, 1]).__class__(media, shots)
    sequences, warnings = build_sequences(analysis)
    (seq,) = sequences
    assert [(e.start, e.end) for e in seq.events] == [(0, 100), (100, 150), (250, 300)]
    assert len(warnings) == 3
    assert any("shot 2" in w and "overlap" in w and w.endswith("trimmed") for w in warnings)
    assert any("shot 3" in w and "left out" in w for w in warnings)
    assert any("shot 4" in w and "past the media end (300)" in w for w in warnings)
    # record time stays gap-free and exact after trimming
    assert [e.rec_in - seq.record_start for e in seq.events] == [0, 100, 150]
    with pytest.raises(ExportError, match=r"shot 2: .*overlap.*\(and 2 more\)"):
        export(analysis, "edl", str(tmp_path / "x.edl"), ExportOptions(strict=True))
    assert not (tmp_path / "x.edl").exists()


def test_search_results_keep_their_order_in_a_combined_sequence():
    a = make_analysis(make_media(Fraction(25), path="/m/a.mov"), [0, 10, 20, 30])
    b = make_analysis(make_media(Fraction(25), path="/m/b.mov"), [0, 7, 9])
    hits = [(b.media, b.shots[1]), (a.media, a.shots[2]), (a.media, a.shots[0]),
            (b.media, b.shots[1])]  # a duplicate hit
    (seq,), warnings = build_sequences(hits, ExportOptions(combined=True, name="pans"))
    assert seq.name == "pans"
    assert [(e.media.path, e.shot.index) for e in seq.events] == [
        ("/m/b.mov", 1), ("/m/a.mov", 2), ("/m/a.mov", 0)]
    assert any("selected twice" in w for w in warnings)
    per_media, _ = build_sequences(hits)
    assert [[e.shot.index for e in s.events] for s in per_media] == [[1], [0, 2]]


def test_combined_needs_one_rate_and_24_hours_is_the_limit(tmp_path):
    a = make_analysis(make_media(Fraction(25), path="/m/a.mov"), [0, 10])
    b = make_analysis(make_media(Fraction(24), path="/m/b.mov"), [0, 10])
    with pytest.raises(ExportError, match="one frame rate"):
        build_sequences([a, b], ExportOptions(combined=True))
    with pytest.raises(ExportError, match="24:00:00:00"):
        build_sequences(a, ExportOptions(record_start="23:59:59:20"))
    with pytest.raises(ExportError, match="record start"):
        build_sequences(a, ExportOptions(record_start="1 hour"))


def test_vfr_media_warns_and_uses_constant_rate():
    media = make_media(Fraction(30000, 1001), vfr=True)
    (seq,), warnings = build_sequences(make_analysis(media, [0, 30]))
    assert any("variable frame rate" in w and "29.970" in w for w in warnings)
    assert seq.events[0].src_tc(seq.events[0].src_out) == media.timecode(30)


def test_reel_names():
    assert reel_name("/x/A001C002_230614_R1AB.mov") == "A001C002"
    assert reel_name("/x/clip1.mov") == "CLIP1"
    assert reel_name("/x/ax.mov") != "AX" and len(reel_name("/x/ax.mov")) == 8
    long_a, long_b = reel_name("/x/interview_take1.mov"), reel_name("/x/interview_take2.mov")
    assert long_a != long_b and long_a.startswith("INTE") and len(long_a) == 8
    assert reel_name(BAD_NAME) == reel_name(BAD_NAME) and reel_name(BAD_NAME).isalnum()


@pytest.mark.parametrize("fmt", ["edl", "resolve-markers", "ale", "fcp7", "fcpxml", "otio", "json",
                                 "csv", "csv-frames"])
def test_bad_names_and_notes_never_break_a_file(tmp_path, fmt):
    media = make_media(Fraction(24000, 1001), path="/media/" + BAD_NAME)
    analysis = make_analysis(media, [0, 5, 10], note_for=lambda i: BAD_NAME + "\r\nline 2|x")
    result = export(analysis, fmt, str(tmp_path / "out"), ExportOptions(name=BAD_NAME))
    (path,) = result.paths
    text = read_text(path)
    if fmt in ("edl", "resolve-markers", "ale"):
        assert text.isascii()
    if fmt in ("edl", "resolve-markers"):
        assert "\t" not in text
        assert all(len(line) <= 256 for line in text.split("\r\n")), "lines stay bounded"
    if fmt in ("edl", "resolve-markers"):
        events = list(pycmx.parse_cmx3600(open(path, encoding="ascii")).events)
        assert len(events) == 2
        assert all(EDL_LINE.match(line) for line in text.split("\r\n") if line[:3].isdigit())
    if fmt == "ale":
        rows = text.split("Data\r\n")[1].strip("\r\n").split("\r\n")
        assert [len(r.split("\t")) for r in rows] == [13, 13]
        assert all(len(v) <= 250 for r in rows for v in r.split("\t"))
    if fmt in ("fcp7", "fcpxml"):
        ET.parse(path)  # well-formed despite quotes, tabs, CR/LF and non-ASCII
    if fmt in ("fcp7", "otio"):
        timeline = otio.adapters.read_from_file(path, adapter_name="fcp_xml" if fmt == "fcp7"
                                                else "otio_json")
        clips = list(timeline.find_clips())
        assert len(clips) == 2 and clips[0].name.startswith("Düsseldorf")
        assert os.path.basename(clips[0].media_reference.target_url).endswith("%E6%9D%B1%E4%BA%AC.mov")


def test_writes_are_atomic(tmp_path):
    target = tmp_path / "cuts.edl"
    target.write_text("previous export")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(str(target), "half written ... ünïcode", encoding="ascii")
    assert target.read_text() == "previous export"
    assert os.listdir(tmp_path) == ["cuts.edl"]  # no temporary file left behind
    media = make_media(Fraction(25))
    export(make_analysis(media, [0, 10, 20]), "edl", str(target))
    assert read_text(target).startswith("TITLE:") and os.listdir(tmp_path) == ["cuts.edl"]


def test_tag_ranges_outside_the_shot_fall_back_to_the_shot():
    media = make_media(Fraction(25))
    shot = Shot(0, 100, 200, tags=(Tag("zoom_in", 0.8, start_frame=150, end_frame=400),
                                   Tag("pan_left", 0.7, start_frame=0, end_frame=50)))
    (seq,), _ = build_sequences([(media, shot)])
    e = seq.events[0]
    assert e.tag_range(shot.tags[0]) == (150, 200)
    assert e.tag_range(shot.tags[1]) == (100, 200)


def test_source_timecode_past_midnight_is_flagged():
    media = make_media(Fraction(25), start_tc="23:59:59:00", frames=100)
    (seq,), warnings = build_sequences(make_analysis(media, [0, 50, 100]))
    assert any("passes midnight" in w for w in warnings)
    assert seq.events[1].src_tc(seq.events[1].src_in) == "00:00:01:00"  # 23:59:59:00 + 50 frames


def test_clashing_reels_are_made_unique():
    a = make_analysis(make_media(Fraction(25), path="/card1/A001C002_take.mov"), [0, 10])
    b = make_analysis(make_media(Fraction(25), path="/card2/A001C002_proxy.mov"), [0, 10])
    sequences, warnings = build_sequences([a, b])
    reels = [s.events[0].reel for s in sequences]
    assert reels[0] == "A001C002" and reels[1] != reels[0] and len(reels[1]) == 8
    assert any("clashes with A001C002_take.mov" in w for w in warnings)
