"""One line per error, never a traceback, from the real CLI: closed pipes, nested queries,
non-UTF-8 file names, SIGTERM in the middle of a write (no temporary file left)."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction

import pytest
from camtag.analysis_json import read_analysis, write_analysis
from camtag.cli import main
from export_support import make_analysis, make_media


def _cli(*args, timeout=120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"}   # strict UTF-8 stdout
    return subprocess.run([sys.executable, "-m", "camtag", *args], capture_output=True,
                          timeout=timeout, check=False, env=env)


@pytest.fixture()
def library(tmp_path):
    from camtag.library import open_library

    url = str(tmp_path / "lib.sqlite")
    with open_library(url) as lib:
        for i in range(40):
            media = make_media(Fraction(25), frames=3000, path=str(tmp_path / f"clip{i:02d}.mov"),
                               start_tc="10:00:00:00")
            lib.import_analysis(make_analysis(media, list(range(0, 3001, 100))))
    return url


def test_search_into_a_closed_pipe_and_nested_queries(library):
    proc = subprocess.Popen([sys.executable, "-m", "camtag", "search", "pan_left or handheld",
                             "--json", "--library", library],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(1) == b"{"          # `| head -c 1`: then the reader goes away
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err
    deep = _cli("search", "(" * 300 + "pan_left" + ")" * 300, "--library", library)
    assert deep.returncode == 1 and b"Traceback" not in deep.stderr
    assert deep.stderr.count(b"\n") == 1 and b"nests deeper" in deep.stderr


def test_non_utf8_file_names_in_export_paths(tmp_path, capsysbinary):
    folder = os.fsencode(str(tmp_path))
    name = os.fsdecode(folder + b"/Sc\xe8ne_\xe9t\xe9.json")        # Latin-1 bytes on disk
    media = make_media(Fraction(25), frames=100, path=os.fsdecode(folder + b"/Sc\xe8ne.mov"))
    write_analysis(name, make_analysis(media, [0, 50, 100]))
    out = os.fsdecode(folder + b"/d\xe9coupe.edl")
    done = _cli("export", name, "-f", "edl", "-o", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == folder + b"/d\xe9coupe.edl"       # printed as the bytes it is
    assert os.path.exists(out) and read_analysis(name).media.path == media.path
    clash = _cli("export", name, "-f", "edl", "-o", name)
    assert clash.returncode == 1 and clash.stderr.count(b"\n") == 1 and b"Traceback" not in clash.stderr


SIGTERM_MID_WRITE = """
import os, signal, sys
from camtag import outputs
real_replace = os.replace
def replace(a, b):
    os.kill(os.getpid(), signal.SIGTERM)     # arrives after every part was prepared
    real_replace(a, b)
os.replace = replace
outputs.write_files([(sys.argv[1] + "/a.edl", b"TITLE: a"), (sys.argv[1] + "/b.edl", b"TITLE: b")])
print("not reached")
"""


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path):
    done = subprocess.run([sys.executable, "-c", SIGTERM_MID_WRITE, str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == -15 and "not reached" not in done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert os.listdir(tmp_path) == []


def test_internal_errors_are_one_line(tmp_path, capsys, monkeypatch):
    import camtag.commands.export as export_command

    def boom(*args, **kwargs):
        raise AttributeError("something nobody expected")

    monkeypatch.setattr(export_command, "export", boom)
    source = tmp_path / "a.json"
    write_analysis(str(source), make_analysis(make_media(Fraction(25), frames=100), [0, 100]))
    monkeypatch.delenv("CAMTAG_DEBUG", raising=False)
    assert main(["export", str(source), "-f", "edl", "-o", str(tmp_path / "o.edl")]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "nobody expected" in err


def test_analyze_with_latin1_names_broken_posters_and_stdout(tmp_path):
    pytest.importorskip("av")
    from badmedia import encode

    folder = os.fsencode(str(tmp_path))
    clip = os.fsdecode(folder + b"/Sc\xe8ne.mp4")
    encode(clip)
    (tmp_path / "afile").write_text("a file where a folder should be")
    out = os.fsdecode(folder + b"/r\xe9sultat.json")
    done = _cli("analyze", clip, "-q", "--detector", "adaptive", "--posters",
                str(tmp_path / "afile"), "-o", out)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert read_analysis(out).media.path == clip              # the name survives, byte for byte
    piped = _cli("analyze", clip, "-q", "--detector", "adaptive", "--no-motion", "-o", "-")
    assert piped.returncode == 0 and piped.stdout.startswith(b"{"), piped.stderr
    nowhere = _cli("analyze", clip, "-q", "-o", str(tmp_path / "afile" / "x.json"))
    assert nowhere.returncode == 1 and nowhere.stderr.count(b"\n") == 1
    assert b"not a folder" in nowhere.stderr or b"Not a directory" in nowhere.stderr
