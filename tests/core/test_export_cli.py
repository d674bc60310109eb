"""`camtag export` and `camtag import-cuts` end to end through camtag.cli.main."""

from fractions import Fraction

import pycmx

from camtag.analysis_json import read_analysis, write_analysis
from camtag.cli import main
from export_support import make_analysis, make_media, tc_to_frames


def test_export_then_import_cuts(tmp_path, capsys):
    media = make_media(Fraction(24000, 1001), frames=600)
    source = tmp_path / "a.json"
    write_analysis(str(source), make_analysis(media, [0, 100, 250, 600]))
    out = tmp_path / "cut.edl"
    assert main(["export", str(source), "--format", "edl", "-o", str(out),
                 "--record-start", "10:00:00:00"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    events = list(pycmx.parse_cmx3600(open(out)).events)
    assert tc_to_frames(events[0].edits[0].record_in, "23.976", False) == 10 * 3600 * 24

    imported = tmp_path / "imported.json"
    assert main(["import-cuts", str(out), "--media", str(source), "-o", str(imported)]) == 0
    back = read_analysis(str(imported))
    assert [(s.start_frame, s.end_frame) for s in back.shots] == [(0, 100), (100, 250), (250, 600)]
    assert back.detector == "imported:edl" and back.media == media


def test_user_errors_are_one_line(tmp_path, capsys):
    media = make_media(Fraction(30000, 1001), True, start_tc="01:00:00;00")
    source = tmp_path / "a.json"
    write_analysis(str(source), make_analysis(media, [0, 10]))
    assert main(["export", str(source), "-f", "edl", "-o", str(tmp_path / "x.edl"),
                 "--record-start", "00:01:00:00"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "record start" in err and "does not exist" in err
    assert main(["export", str(tmp_path / "missing.json"), "-f", "otio", "-o", "x.otio"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["import-cuts", str(tmp_path / "none.edl"), "--media", str(source),
                 "-o", str(tmp_path / "o.json")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "x.edl").exists() and not (tmp_path / "o.json").exists()


def test_export_from_the_library_by_media_file_and_by_query(tmp_path, capsys):
    from camtag.library import open_library

    library = str(tmp_path / "lib.sqlite")
    paths = []
    with open_library(library) as lib:
        for name, tc in (("A001C001.mov", "10:00:00:00"), ("A001C002.mov", "11:00:00:00")):
            path = tmp_path / name
            path.write_bytes(b"not really video")
            paths.append(str(path))
            media = make_media(Fraction(25), start_tc=tc, frames=300, path=str(path))
            lib.import_analysis(make_analysis(media, [0, 100, 200, 300]))
    # make_shots tags shot i with TAG_IDS[i]: shot 0 pan_left, 1 pan_right, 2 tilt_up
    out = tmp_path / "pans.edl"
    assert main(["export", "pan_left or tilt_up", "-f", "edl", "-o", str(out), "--combined",
                 "--library", library]) == 0
    events = list(pycmx.parse_cmx3600(open(out)).events)
    assert [e.edits[0].source for e in events] == ["A001C001", "A001C001", "A001C002", "A001C002"]
    assert [tc_to_frames(e.edits[0].source_in, "25", False) for e in events] == [
        900000, 900200, 990000, 990200]
    whole = tmp_path / "whole.csv"
    assert main(["export", paths[1], "-f", "csv-frames", "-o", str(whole), "--library", library]) == 0
    assert whole.read_text().count("\n") == 3
    capsys.readouterr()
    assert main(["export", "pan_left and (", "-f", "edl", "-o", str(out), "--library", library]) == 1
    assert "neither a file nor a valid search query" in capsys.readouterr().err
    assert main(["export", "zoom_out", "-f", "edl", "-o", str(out), "--library", library]) == 1
    assert "nothing to export" in capsys.readouterr().err
