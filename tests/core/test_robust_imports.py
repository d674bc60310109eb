"""Imported files are validated: fuzzed analysis JSON, EDL and OTIO files end in a result or in
the module's own clear error type (one line), never in another exception."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camtag.analysis_json import AnalysisFormatError, analysis_to_dict, read_analysis
from camtag.export.cut_import import CutImportError, import_cuts

from export_support import make_analysis, make_media

RATE = Fraction(25)
MEDIA = make_media(RATE, start_tc="01:00:00:00", frames=500, path="/footage/A001C002.mov")
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

EDL = """TITLE: fuzz seed
FCM: NON-DROP FRAME

001  A001C002 V     C        01:00:00:00 01:00:04:00 00:00:00:00 00:00:04:00
* FROM CLIP NAME:  A001C002.mov
002  A001C002 V     C        01:00:04:00 01:00:10:00 00:00:04:00 00:00:10:00
* FROM CLIP NAME:  A001C002.mov
003  A001C002 V     D    012 01:00:10:00 01:00:20:00 00:00:10:00 00:00:20:00
* FROM CLIP NAME:  A001C002.mov
"""

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10)


def _otio_seed() -> str:
    otio = pytest.importorskip("opentimelineio")
    tl = otio.schema.Timeline(name="seed")
    track = otio.schema.Track()
    tl.tracks.append(track)
    for start, dur in ((90000, 100), (90100, 150), (90250, 100)):
        clip = otio.schema.Clip(
            name="A001C002.mov",
            media_reference=otio.schema.ExternalReference(target_url="file:///footage/A001C002.mov"),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, 25),
                                                 otio.opentime.RationalTime(dur, 25)))
        track.append(clip)
    return otio.adapters.write_to_string(tl, "otio_json")


def _paths(d):
    """Every (container, key) spot in a JSON tree."""
    out = []
    stack = [d]
    while stack:
        node = stack.pop()
        keys = node.keys() if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else ()
        for k in keys:
            out.append((node, k))
            stack.append(node[k])
    return out


@st.composite
def mutated_json(draw, seed: dict):
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 4))):
        spots = _paths(doc)
        if not spots:
            break
        node, key = spots[draw(st.integers(0, len(spots) - 1))]
        action = draw(st.sampled_from(["delete", "replace", "negate", "stringify"]))
        if action == "delete":
            del node[key]
        elif action == "replace":
            node[key] = draw(JSON_VALUES)
        elif action == "negate" and isinstance(node[key], (int, float)) and not isinstance(node[key], bool):
            node[key] = -node[key] - 1
        else:
            node[key] = str(node[key])
    return json.dumps(doc, allow_nan=True)


def _text_mutation():
    return st.tuples(st.floats(0, 1), st.integers(0, 3), st.binary(max_size=30))


def _mangle(text: str, mut) -> bytes:
    frac, op, junk = mut
    data = text.encode()
    cut = int(len(data) * frac)
    return [data[:cut], data[:cut] + junk + data[cut:], data[:cut] + junk, junk + data][op]


def _one_line(exc: Exception):
    msg = str(exc)
    assert msg and "\n" not in msg.strip(), repr(msg)


@pytest.fixture(scope="module")
def analysis_seed():
    return analysis_to_dict(make_analysis(MEDIA, [0, 100, 250, 500]))


def test_seed_files_are_accepted(tmp_path, analysis_seed):
    p = tmp_path / "a.json"
    p.write_text(json.dumps(analysis_seed))
    assert len(read_analysis(str(p)).shots) == 3
    for name, text in (("cut.edl", EDL), ("cut.otio", _otio_seed())):
        (tmp_path / name).write_text(text)
        result = import_cuts(str(tmp_path / name), MEDIA)
        assert result is not None


@FUZZ
@given(data=st.data())
def test_fuzzed_analysis_json_is_read_or_rejected_clearly(tmp_path, analysis_seed, data):
    if data.draw(st.booleans()):
        raw = data.draw(mutated_json(analysis_seed)).encode()
    else:
        raw = _mangle(json.dumps(analysis_seed), data.draw(_text_mutation()))
    p = tmp_path / "fuzz.json"
    p.write_bytes(raw)
    try:
        a = read_analysis(str(p))
    except AnalysisFormatError as exc:
        _one_line(exc)
        return
    assert all(0 <= s.start_frame < s.end_frame <= a.media.frames for s in a.shots)


def _check_import(path):
    try:
        import_cuts(str(path), MEDIA)
    except CutImportError as exc:
        _one_line(exc)


EDL_TOKENS = ["001", "002", "999", "AX", "A001C002", "V", "A", "B", "C", "D", "W001", "K", "012",
              "01:00:00:00", "01:00:04:00", "00:00:00:00", "99:99:99:99", "01:00:00;00", "-1",
              "* FROM CLIP NAME:", "FCM: DROP FRAME", "TITLE:", "M2", "\t", "  ", "\n", "é", "\x00"]


@FUZZ
@given(data=st.data())
def test_fuzzed_edl_is_imported_or_rejected_clearly(tmp_path, data):
    if data.draw(st.booleans()):
        raw = _mangle(EDL, data.draw(_text_mutation()))
    else:
        lines = data.draw(st.lists(st.lists(st.sampled_from(EDL_TOKENS), max_size=10), max_size=12))
        raw = "\n".join(" ".join(ln) for ln in lines).encode()
    p = tmp_path / "fuzz.edl"
    p.write_bytes(raw)
    _check_import(p)


@FUZZ
@given(data=st.data())
def test_fuzzed_otio_is_imported_or_rejected_clearly(tmp_path, data):
    seed = _otio_seed()
    if data.draw(st.booleans()):
        raw = data.draw(mutated_json(json.loads(seed))).encode()
    else:
        raw = _mangle(seed, data.draw(_text_mutation()))
    p = tmp_path / "fuzz.otio"
    p.write_bytes(raw)
    _check_import(p)
