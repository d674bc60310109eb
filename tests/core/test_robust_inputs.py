"""The one input policy (camtag.inputs): a hostile corpus per reader, generated here (nesting,
bombs, huge numbers, wrong types, NUL, special files), each case ending in a result or one line,
never a traceback, hang or crash; property tests on the validators; bounded peak memory."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import zipfile
import zlib
from contextlib import contextmanager
from fractions import Fraction

import pytest
from camtag import inputs, timebase
from camtag.analysis_json import (
    AnalysisFormatError,
    analysis_to_dict,
    read_analysis,
    write_analysis,
)
from camtag.cli import main
from camtag.export.read_otio import EditReadError, check_xml, otio_json_text
from camtag.library.query import QueryError, parse
from export_support import make_analysis, make_media
from hypothesis import given, settings
from hypothesis import strategies as st

HUGE = ["1e999999999", "10" * 40, "1/0", "-1e30", "nan", "inf", "1e-999999999", "٣", " "]


@contextmanager
def deadline(seconds: float = 10):
    """Fail (instead of hanging the suite) when the block takes longer than ``seconds``."""
    def expired(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _base() -> dict:
    media = make_media(Fraction(25), frames=300, path="/footage/A.mov")
    return analysis_to_dict(make_analysis(media, [0, 100, 200, 300]))


def _set(d: dict, path: str, value) -> dict:
    *head, last = path.split(".")
    node = d
    for key in head:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return d


ANALYSIS_CASES = {
    **{f"rate {v}": ("media.rate", v) for v in HUGE},
    "frames 10^30": ("media.frames", 10 ** 30),
    "frames float": ("media.frames", 300.5),
    "frames text": ("media.frames", "300"),
    "duration 1e999999999": ("media.duration", "1e999999999"),
    "time_base huge": ("media.time_base", "1/" + "9" * 4000),
    "sar bool": ("media.sar", True),
    "NUL in path": ("media.path", "/footage/A\x00.mov"),
    "path a list": ("media.path", ["x"]),
    "width negative": ("media.width", -1),
    "shot end 10^30": ("shots.0.end_frame", 10 ** 30),
    "shots a dict": ("shots", {"0": 1}),
    "tag id an int": ("shots.0.tags.0.id", 5),
    "tag conf text": ("shots.0.tags.0.confidence", "0.9"),
    "note a list": ("shots.1.note", [1, 2]),
    "start_time huge": ("shots.0.start_time", "1e999999999"),
    "segments nested": ("shots.0.segments", [[[]]]),
    "warnings mixed": ("warnings", ["ok", 3]),
}


@pytest.mark.parametrize("name", list(ANALYSIS_CASES))
def test_hostile_analysis_json_is_one_line(tmp_path, capsys, name):
    key, value = ANALYSIS_CASES[name]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_set(_base(), key, value)))
    with deadline():
        with pytest.raises(AnalysisFormatError) as info:
            read_analysis(str(path))
        assert "\n" not in str(info.value) and str(path) in str(info.value)
        assert main(["export", str(path), "-f", "edl", "-o", str(tmp_path / "o.edl")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o.edl").exists()


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999999999"])
def test_non_finite_confidences_are_refused(tmp_path, raw):
    text = json.dumps(_set(_base(), "shots.0.tags.0.confidence", 12345.5)).replace("12345.5", raw)
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(AnalysisFormatError, match="confidence"):
        read_analysis(str(path))


@pytest.mark.parametrize("data", [b"[" * 100_000 + b"]" * 100_000,
                                  (b'{"schema": "camtag.analysis/1", "settings": '
                                   + b"[" * 5000 + b"]" * 5000 + b"}"),
                                  b'{"schema": "camtag.analysis/1", "x": "\xe9\xff"}',
                                  b"9" * 5000, b"", b"\x00" * 100])
def test_nesting_and_garbage_are_one_line(tmp_path, data):
    path = tmp_path / "x.json"
    path.write_bytes(data)
    with deadline(), pytest.raises(AnalysisFormatError) as info:
        read_analysis(str(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "a.json"
    os.mkfifo(fifo)
    with deadline(5):
        with pytest.raises(AnalysisFormatError, match="regular file"):
            read_analysis(str(fifo))
        with pytest.raises(AnalysisFormatError, match="regular file"):
            read_analysis("/dev/zero")
        from camtag.ui.settings import AppSettings, load_settings
        settings, note = load_settings(str(fifo))
    assert settings == AppSettings() and "regular file" in note


def _bomb(expanded: int) -> bytes:
    """A zlib stream of ``expanded`` zero bytes, built from repeated full-flush blocks (fast)."""
    chunk = 16 << 20
    c = zlib.compressobj(9)
    head = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    return head + block * (expanded // chunk - 1) + c.flush()   # (its checksum is not that of
    # the whole stream: a reader that inflated it all would say so; a bounded one never gets there)


@pytest.mark.parametrize("frames", [300_000, 10 ** 9])   # 3h20 at 25 fps; a lie of 10^9 frames
def test_a_zlib_bomb_in_motion_curves_is_refused_in_bounded_memory(tmp_path, frames):
    pytest.importorskip("numpy")
    import base64

    from camtag.motion.curves import ENCODING, FORMAT

    d = _base()
    bomb = base64.b64encode(_bomb(2 << 30)).decode()
    d["media"]["frames"] = frames
    d["motion"] = {"format": FORMAT, "frames": frames, "rate": "25/1", "encoding": ENCODING,
                   "raw": {"pan": bomb}, "breaks": []}
    path = tmp_path / "bomb.json"
    path.write_text(json.dumps(d))
    assert path.stat().st_size < 4_000_000
    # VmHWM is this process's own peak; ru_maxrss would carry the parent's peak over exec
    script = ("import sys\nfrom camtag.analysis_json import read_analysis\n"
              "try:\n    read_analysis(sys.argv[1])\nexcept ValueError as exc:\n    print(exc)\n"
              "print(next(ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM')))\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    message, peak_kb = done.stdout.strip().splitlines()
    assert "expands past" in message and "motion.raw.pan" in message, done.stdout
    assert int(peak_kb) < 200 * 1024, f"peak {int(peak_kb) // 1024} MB"


def test_inflate_bounds_what_it_returns():
    assert inputs.inflate(zlib.compress(b"x" * 1000), 1000, "w") == b"x" * 1000
    with pytest.raises(inputs.InputError, match="expands past"):
        inputs.inflate(zlib.compress(b"x" * 1001), 1000, "w")
    with pytest.raises(inputs.InputError, match="corrupt"):
        inputs.inflate(b"not zlib", 1000, "w")


def _write_otio_deep(path, depth: int) -> None:
    path.write_text('{"OTIO_SCHEMA": "Timeline.1", "metadata": ' + "[" * depth + "]" * depth + "}")


def test_deep_otio_never_reaches_the_cpp_reader(tmp_path):
    pytest.importorskip("opentimelineio")
    deep = tmp_path / "deep.otio"
    _write_otio_deep(deep, 50_000)
    source = tmp_path / "a.json"
    write_analysis(str(source), make_analysis(make_media(Fraction(25), frames=100), [0, 100]))
    done = subprocess.run([sys.executable, "-m", "camtag", "import-cuts", str(deep), "--media",
                           str(source), "-o", str(tmp_path / "o.json")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done        # not -11 (SIGSEGV)
    assert done.stderr.count("\n") == 1 and "nested" in done.stderr and "Traceback" not in done.stderr


def test_otioz_members_are_checked_before_extracting(tmp_path):
    bundle = tmp_path / "big.otioz"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("content.otio", bytes(20_000_000))
    assert bundle.stat().st_size < 100_000
    with pytest.raises(EditReadError, match="expands"):
        otio_json_text(str(bundle))
    (tmp_path / "junk.otioz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(EditReadError):
        otio_json_text(str(tmp_path / "junk.otioz"))
    small = tmp_path / "ok.otioz"
    with zipfile.ZipFile(small, "w") as zf:
        zf.writestr("content.otio", '{"OTIO_SCHEMA": "Timeline.1"}')
    assert otio_json_text(str(small)).startswith("{")


@pytest.mark.parametrize("xml,why", [
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
     + "<xmeml>&b;</xmeml>", "entity"),
    ("<xmeml>" + "<a>" * 10_000 + "</a>" * 10_000 + "</xmeml>", "nested"),
    ("<xmeml><unclosed></xmeml>", "well-formed")])
def test_fcp7_xml_is_checked_by_a_streaming_pass(tmp_path, xml, why):
    path = tmp_path / "edit.xml"
    path.write_text(xml)
    with deadline(), pytest.raises(EditReadError, match=why):
        check_xml(str(path))


def test_edl_reader_survives_huge_numbers_and_a_fifo(tmp_path, capsys):
    source = tmp_path / "a.json"
    write_analysis(str(source), make_analysis(make_media(Fraction(25), frames=100), [0, 100]))
    edl = tmp_path / "x.edl"
    edl.write_text("TITLE: x\nFCM: NON-DROP FRAME\n\n"
                   f"001  AX V C {'9' * 5000} 14:22:10:00 14:22:11:00 01:00:00:00 01:00:01:00\n"
                   "002  AX V C 99:99:99:99 99:99:99:99 01:00:00:00 01:00:01:00\n")
    fifo = tmp_path / "f.edl"
    os.mkfifo(fifo)
    with deadline():
        for edit in (edl, fifo):
            assert main(["import-cuts", str(edit), "--media", str(source),
                         "-o", str(tmp_path / "o.json")]) == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "Traceback" not in err
            assert edit != fifo or "not a regular file" in err


def test_nested_queries_get_a_depth_limit():
    with deadline():
        for query in ("(" * 300 + "pan_left" + ")" * 300, "not " * 2000 + "pan_left"):
            with pytest.raises(QueryError, match="nests deeper"):
                parse(query)
    assert parse("(" * 20 + "pan_left" + ")" * 20) is not None


def test_deep_settings_fall_back_to_defaults(tmp_path):
    from camtag.ui.settings import AppSettings, load_settings

    path = tmp_path / "app.json"
    path.write_text("[" * 50_000 + "]" * 50_000)
    settings, note = load_settings(str(path))
    assert settings == AppSettings() and "nested" in note and "\n" not in note


# ---- properties of the validators ----------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=30)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=120, deadline=None)
@given(JSON)
def test_json_depth_counts_exactly(value):
    text = json.dumps(value)
    assert inputs.json_depth(text) == _depth(value)
    assert inputs.json_depth(text.encode()) == _depth(value)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80) | st.sampled_from(HUGE + ["24000/1001", "29.97", "2.5e1", "-0.5"]))
def test_fraction_text_is_bounded_and_never_hangs(text):
    try:
        value = inputs.fraction(text, "field")
    except inputs.InputError as exc:
        assert str(exc).startswith("field:") and "\n" not in str(exc)
    else:
        assert abs(value) <= inputs.MAX_ABS and value.denominator <= 10 ** 18


@settings(max_examples=300, deadline=None)
@given(JSON | st.integers(min_value=-(10 ** 40), max_value=10 ** 40))
def test_number_validators_accept_only_finite_values_in_range(value):
    for check in (lambda v: inputs.integer(v, "f", -100, 100), lambda v: inputs.number(v, "f", 0, 1)):
        try:
            out = check(value)
        except inputs.InputError:
            continue
        assert not isinstance(value, bool) and math.isfinite(out)
        assert -100 <= out <= 100


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(), st.floats(), st.text(max_size=30), st.fractions()))
def test_parse_rate_is_positive_bounded_or_one_line(value):
    try:
        rate = timebase.parse_rate(value)
    except timebase.TimecodeError as exc:
        assert "\n" not in str(exc)
    else:
        assert 0 < rate <= timebase.MAX_RATE


OTIO_NUMBERS = """
import json, sys
import opentimelineio as otio
from fractions import Fraction
from camtag.export.cut_import import CutImportError, import_cuts
sys.path.insert(0, sys.argv[2])
from export_support import make_media
tl = otio.schema.Timeline(name="seed")
track = otio.schema.Track()
tl.tracks.append(track)
for start in (90000, 90100):
    track.append(otio.schema.Clip(name="A.mov", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(start, 25), otio.opentime.RationalTime(100, 25))))
seed = otio.adapters.write_to_string(tl, "otio_json")
media = make_media(Fraction(25), start_tc="01:00:00:00", frames=500, path="/f/A.mov")
for n, bad in enumerate(["1e999999999", "-1e999999999", "1" + "0" * 30, "NaN", "Infinity",
                         "1e308", "-0.0", "0"]):
    for key in ('"rate": 25.0', '"value": 90000.0', '"value": 100.0'):
        path = f"{sys.argv[1]}/n{n}.otio"
        open(path, "w").write(seed.replace(key, key.split(":")[0] + ": " + bad, 1))
        try:
            import_cuts(path, media)
            print("ok")
        except CutImportError as exc:
            assert "\\n" not in str(exc)
            print("refused")
"""


def test_otio_with_huge_and_odd_numbers_ends_in_a_result_or_one_line(tmp_path):
    pytest.importorskip("opentimelineio")
    here = os.path.dirname(__file__)
    done = subprocess.run([sys.executable, "-c", OTIO_NUMBERS, str(tmp_path), here],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(done.stdout.split()) == 24 and "refused" in done.stdout
