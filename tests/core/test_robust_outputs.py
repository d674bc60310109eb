"""The one output policy (camtag.outputs): every writer refuses to destroy inputs and foreign
files, writes through stdout, pipes, devices and symlinks, keeps modes, leaves no temporary file
and keeps an analysis whose final write failed. Hostile targets are generated here."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import pytest
from camtag.analysis_json import read_analysis, write_analysis
from camtag.cli import main
from camtag.export import ExportOptions, export
from camtag.model import Shot, Tag, Trace
from camtag.outputs import (
    OutputError,
    OutputPolicy,
    check_output,
    is_camtag_output,
    output_policy,
    write_text,
)
from export_support import make_analysis, make_media
from hypothesis import given, settings
from hypothesis import strategies as st

FORMATS = ("edl", "resolve-markers", "ale", "fcp7", "fcpxml", "otio", "json", "csv", "csv-frames")
EXT = {"edl": ".edl", "resolve-markers": ".edl", "ale": ".ale", "fcp7": ".xml", "fcpxml": ".fcpxml",
       "otio": ".otio", "json": ".json", "csv": ".csv", "csv-frames": ".csv"}


def _source(tmp_path, frames=300, cuts=(0, 100, 200, 300), **media):
    path = tmp_path / "a.json"
    write_analysis(str(path), make_analysis(make_media(Fraction(25), frames=frames, **media), list(cuts)))
    return path


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _strays(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.endswith(".part")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_refuses_a_foreign_file_and_its_input(tmp_path, capsys, fmt):
    source = _source(tmp_path)
    original = source.read_bytes()
    clip = tmp_path / f"clip{EXT[fmt]}"
    clip.write_bytes(b"\x1aE\xdf\xa3 camera original, not a camtag output")
    assert main(["export", str(source), "-f", fmt, "-o", str(clip)]) == 1
    assert "not a camtag output" in _one_line_error(capsys)
    assert clip.read_bytes().startswith(b"\x1aE\xdf\xa3")
    assert main(["export", str(source), "-f", fmt, "-o", str(source)]) == 1
    assert "input" in _one_line_error(capsys) and source.read_bytes() == original
    # its own earlier output is replaced without asking; --force replaces a foreign file
    out = tmp_path / f"out{EXT[fmt]}"
    assert main(["export", str(source), "-f", fmt, "-o", str(out)]) == 0
    first = out.read_bytes()
    assert is_camtag_output(first[:4096]), first[:200]
    assert main(["export", str(source), "-f", fmt, "-o", str(out)]) == 0 and out.read_bytes() == first
    assert main(["export", str(source), "-f", fmt, "-o", str(clip), "--force"]) == 0
    assert clip.read_bytes() == first and not _strays(tmp_path)


def test_analyze_and_import_cuts_refuse_before_any_work(tmp_path, capsys):
    clip = tmp_path / "clip.webm"
    clip.write_bytes(b"\x1aE\xdf\xa3 webm")
    assert main(["analyze", str(clip), "-o", str(clip)]) == 1
    assert "input" in _one_line_error(capsys) and clip.read_bytes() == b"\x1aE\xdf\xa3 webm"
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    assert main(["analyze", str(clip), "-o", str(notes)]) == 1
    assert "not a camtag output" in _one_line_error(capsys)
    source = _source(tmp_path)
    edl = tmp_path / "cut.edl"
    assert main(["export", str(source), "-f", "edl", "-o", str(edl)]) == 0
    capsys.readouterr()
    assert main(["import-cuts", str(edl), "--media", str(source), "-o", str(edl)]) == 1
    assert "input" in _one_line_error(capsys) and edl.read_text().startswith("TITLE:")
    assert main(["import-cuts", str(edl), "--media", str(source), "-o", str(notes)]) == 1
    assert notes.read_text() == '{"my": "notes"}'


def test_modes_are_kept_and_new_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        new = write_text(str(tmp_path / "new.edl"), "TITLE: x\nFCM: NON-DROP FRAME\n")
        assert stat.S_IMODE(os.stat(new).st_mode) == 0o644
        os.umask(0o002)
        assert stat.S_IMODE(os.stat(write_text(str(tmp_path / "g.edl"), "x")).st_mode) == 0o664
    finally:
        os.umask(old)
    shared = tmp_path / "shared.edl"
    shared.write_text("TITLE: old\nFCM: NON-DROP FRAME\n")
    os.chmod(shared, 0o664)
    export(make_analysis(make_media(Fraction(25), frames=100), [0, 50, 100]), "edl", str(shared))
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o664
    assert shared.read_text().startswith("TITLE:") and "old" not in shared.read_text()


def test_symlinks_fifos_and_devices_are_written_through(tmp_path):
    analysis = make_analysis(make_media(Fraction(25), frames=100), [0, 50, 100])
    real = tmp_path / "real.edl"
    real.write_text("TITLE: before\nFCM: NON-DROP FRAME\n")
    link = tmp_path / "link.edl"
    link.symlink_to(real)
    export(analysis, "edl", str(link))
    assert link.is_symlink() and "before" not in real.read_text()
    assert real.read_text().startswith("TITLE:")

    fifo = tmp_path / "pipe.edl"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    with output_policy():
        export(analysis, "edl", str(fifo))
    reader.join(10)
    assert got and got[0].startswith(b"TITLE:") and stat.S_ISFIFO(os.stat(fifo).st_mode)

    with output_policy():
        assert export(analysis, "csv", "/dev/null").paths == ("/dev/null",)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not _strays(tmp_path)


def test_stdout_and_a_closed_pipe(tmp_path):
    source = _source(tmp_path, frames=9990, cuts=range(0, 9991, 10))  # 999 events: one file
    cmd = [sys.executable, "-m", "camtag", "export", str(source), "-f", "edl", "-o", "-"]
    done = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.startswith(b"TITLE:") and b"Traceback" not in done.stderr
    assert done.stdout.count(b"\r\n001  ") == 1 and len(done.stdout) > 100_000
    # `camtag export ... -o - | true`: the reader is gone before camtag writes; it ends quietly
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(120)
    assert b"Traceback" not in err and b"error" not in err.lower() and b"pipe" not in err.lower(), err


def test_a_split_edl_is_all_or_nothing(tmp_path):
    analysis = make_analysis(make_media(Fraction(25), frames=100), list(range(0, 101, 10)))
    out = tmp_path / "cuts.edl"
    options = ExportOptions(max_events=4)
    paths = export(analysis, "edl", str(out), options).paths
    assert len(paths) == 3 and b"part 1 of 3" in Path(paths[0]).read_bytes().split(b"\r\n")[0]
    before = [Path(p).read_bytes() for p in paths]
    os.unlink(paths[2])
    os.mkdir(paths[2])                    # the last part cannot be written
    with pytest.raises(OSError):
        export(make_analysis(make_media(Fraction(25), frames=100, path="/f/B.mov"),
                             list(range(0, 101, 10))), "edl", str(out), options)
    assert [Path(p).read_bytes() for p in paths[:2]] == before[:2]   # nothing half-replaced
    assert not _strays(tmp_path)


def test_a_failed_final_write_keeps_the_analysis(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "afile").write_text("x")
    analysis = make_analysis(make_media(Fraction(25), frames=100), [0, 50, 100])
    with pytest.raises(OutputError) as info:
        write_analysis(str(tmp_path / "afile" / "out.json"), analysis)
    message = str(info.value)
    assert "\n" not in message and "kept in " in message
    kept = message.split("kept in ")[1]
    assert kept.startswith(str(tmp_path / "cache")) and read_analysis(kept).shots == analysis.shots
    # a foreign file that appeared at the output during the run is not replaced; the result is kept
    (tmp_path / "late.json").write_text("someone else's file")
    with output_policy(), pytest.raises(OutputError, match="not a camtag output.*kept in"):
        write_analysis(str(tmp_path / "late.json"), analysis)
    assert (tmp_path / "late.json").read_text() == "someone else's file"


def test_surrogates_and_odd_text_never_break_a_writer(tmp_path):
    latin1_name = os.fsdecode(b"/share/Sc\xe8ne_\xe9t\xe9.mov")       # surrogate escapes
    media = make_media(Fraction(25), frames=100, path=latin1_name)
    shots = (Shot(0, 0, 50, tags=(Tag("pan_left", 0.9, reason="bad \ud800 reply"),),
                  traces=(Trace("obs \udfff", "think \ud800", "B", "camreasoner"),),
                  note="=HYPERLINK(\"http://x\")\x00\ud800"),
             Shot(1, 50, 100, note="@SUM(A1) \t tab"))
    analysis = make_analysis(media, [0, 50, 100])
    analysis = type(analysis)(media=media, shots=shots)
    for fmt in FORMATS:
        out = tmp_path / f"x{EXT[fmt]}"
        export(analysis, fmt, str(out))
        data = out.read_bytes()
        data.decode("utf-8")              # valid UTF-8 whatever went in
    back = read_analysis(str(tmp_path / "x.json"))
    assert back.media.path == latin1_name and back.shots[0].traces[0].reasoning == "think \ud800"
    cells = [line.split(",", 2)[2] for line in (tmp_path / "x.csv").read_text().splitlines()]
    assert all(not c.lstrip('"').startswith(("=", "+", "-", "@")) for c in cells), cells


@pytest.mark.parametrize("size,rate,expected", [
    ((1920, 1080), Fraction(24000, 1001), "1080"), ((1280, 720), Fraction(50), "720"),
    ((720, 576), Fraction(25), "PAL"), ((720, 486), Fraction(30000, 1001), "NTSC"),
    ((640, 272), Fraction(25), "CUSTOM"), ((960, 540), Fraction(30000, 1001), "CUSTOM"),
    ((720, 576), Fraction(30000, 1001), "CUSTOM"), ((3840, 2160), Fraction(24), "CUSTOM")])
def test_ale_video_format_is_honest(tmp_path, size, rate, expected):
    media = make_media(rate, frames=100, start_tc="01:00:00:00", width=size[0], height=size[1])
    out = tmp_path / "bin.ale"
    export(make_analysis(media, [0, 50, 100]), "ale", str(out))
    assert f"VIDEO_FORMAT\t{expected}\r\n".encode() in out.read_bytes()


def test_policy_checks_without_a_file_system_change(tmp_path):
    odd = tmp_path / "odd.txt"
    odd.write_text("1,2,three\n")                  # a LosslessCut-style CSV: camtag's layout
    check_output(str(odd), OutputPolicy())
    odd.write_text("name,start\nx,1\n")
    with pytest.raises(OutputError):
        check_output(str(odd), OutputPolicy())
    check_output(str(odd), OutputPolicy(force=True))
    with pytest.raises(OutputError):
        check_output(str(tmp_path), OutputPolicy())
    with pytest.raises(OutputError):
        check_output(str(tmp_path / "a\x00b"), OutputPolicy())
    (tmp_path / "empty.edl").write_bytes(b"")
    check_output(str(tmp_path / "empty.edl"), OutputPolicy())


def test_posters_never_abort_the_analysis(tmp_path):
    pytest.importorskip("cv2")
    import numpy as np
    from camtag.media.decode import AnalysisFrame
    from camtag.media.posters import PosterWriter

    blocker = tmp_path / "posters"
    blocker.write_text("a file where the poster folder should be")
    writer = PosterWriter(str(blocker))
    assert "posters disabled" in writer.problem
    writer.consume(AnalysisFrame(0, 0, Fraction(0), thumb=np.zeros((8, 8, 3), np.uint8)))
    assert writer.poster_for(Shot(0, 0, 10)) is None
    writer.finish()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_through_links_pipes_devices_and_bad_folders(tmp_path, capsys, fmt):
    source = _source(tmp_path)
    plain = tmp_path / f"plain{EXT[fmt]}"
    assert main(["export", str(source), "-f", fmt, "-o", str(plain)]) == 0
    expected = plain.read_bytes()
    real, link = tmp_path / f"real{EXT[fmt]}", tmp_path / f"link{EXT[fmt]}"
    real.write_bytes(b"")
    link.symlink_to(real)
    fifo = tmp_path / f"fifo{EXT[fmt]}"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    for target in (link, fifo, "/dev/null"):
        assert main(["export", str(source), "-f", fmt, "-o", str(target)]) == 0
    reader.join(10)
    assert link.is_symlink() and real.read_bytes() == expected
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got == [expected]
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    capsys.readouterr()
    assert main(["export", str(source), "-f", fmt, "-o", str(plain / "x")]) == 1
    assert "cannot write" in _one_line_error(capsys) and not _strays(tmp_path)


ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40) | st.builds(
    lambda raw: raw.decode("utf-8", "surrogateescape"), st.binary(max_size=40))


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_text_from_outside_is_safe_for_every_format(text):
    import xml.etree.ElementTree as ET

    from camtag.export.csv_file import safe_cell
    from camtag.export.text import ascii_line, one_line, unicode_safe, xml_text
    from camtag.outputs import encode_text

    encode_text(text).decode("utf-8")                        # never raises, always valid UTF-8
    encode_text(text, newline="\r\n").decode("utf-8")
    assert ascii_line(text).isascii() and "\t" not in ascii_line(text) and "\n" not in one_line(text)
    ET.fromstring(f'<a b="{xml_text(text)}">{xml_text(text)}</a>'.encode())   # well-formed
    unicode_safe({"k": [text]})["k"][0].encode("utf-8")
    assert not safe_cell(one_line(text)).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_next_write_sweeps_parts_of_a_killed_writer(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".camtag-cuts.edl.{dead}.123.part"
    live = tmp_path / f".camtag-cuts.edl.{os.getppid()}.456.part"     # a running process
    other = tmp_path / f".camtag-other.edl.{dead}.789.part"
    for p in (stale, live, other):
        p.write_text("half")
    write_text(str(tmp_path / "cuts.edl"), "TITLE: x\nFCM: NON-DROP FRAME\n")
    assert not stale.exists() and live.exists() and other.exists()
