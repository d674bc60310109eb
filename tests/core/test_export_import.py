"""Cut import from CMX3600 EDL, OTIO and FCP7 XML: matching, record-side edits, mismatch reports."""

import json
import os
from fractions import Fraction

import opentimelineio as otio
import pytest

from camtag.export import ExportOptions, export
from camtag.export.cut_import import CutImportError, import_cuts
from camtag.export.read_edl import read_edl
from export_support import make_analysis, make_media

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


@pytest.mark.parametrize("fmt,ext", [("edl", "edl"), ("otio", "otio"), ("fcp7", "xml")])
@pytest.mark.parametrize("rate,df", [(Fraction(24000, 1001), False), (Fraction(30000, 1001), True)])
def test_our_exports_give_back_the_shots(tmp_path, fmt, ext, rate, df):
    media = make_media(rate, df, start_tc="14:22:10;00" if df else "14:22:10:00", frames=3000)
    cuts = [0, 1, 77, 1500, 2999, 3000]
    analysis = make_analysis(media, cuts)
    path = tmp_path / f"edit.{ext}"
    export(analysis, fmt, str(path), ExportOptions(record_start="00:59:59:00"))
    result = import_cuts(str(path), media)
    assert result.side == "source" and result.matched == 5 and result.other_media == 0
    assert [b.frame for b in result.boundaries] == cuts[1:-1]
    assert all(b.type == "cut" and b.source == {"xml": "fcp7"}.get(ext, ext) for b in result.boundaries)
    assert [(s.start_frame, s.end_frame) for s in result.shots] == list(zip(cuts, cuts[1:]))
    assert result.problems == ()


def test_edl_written_by_otio_matches_by_file_name(tmp_path):
    """OTIO's own CMX3600 writer (an independent writer) names media by `* FROM CLIP:` paths."""
    media = make_media(Fraction(25), start_tc="10:00:00:00", frames=1000, path="/shoot/B002C001.mov")
    rate = 25.0
    timeline = otio.schema.Timeline(name="edit")
    track = otio.schema.Track()
    timeline.tracks.append(track)
    for a, b in [(100, 200), (400, 450), (450, 700)]:
        ref = otio.schema.ExternalReference(target_url="/shoot/B002C001.mov")
        track.append(otio.schema.Clip(name=f"take {a}", media_reference=ref,
                                      source_range=TR(RT(media.start_frame + a, rate), RT(b - a, rate))))
    other = otio.schema.ExternalReference(target_url="/shoot/B002C009.mov")
    track.append(otio.schema.Clip(name="other", media_reference=other,
                                  source_range=TR(RT(media.start_frame + 10, rate), RT(20, rate))))
    path = tmp_path / "otio.edl"
    otio.adapters.write_to_file(timeline, str(path), rate=rate)
    result = import_cuts(str(path), media)
    assert result.matched == 3 and result.other_media == 1
    assert [b.frame for b in result.boundaries] == [100, 200, 400, 450, 700]


HAND_EDL = """TITLE: conform test
FCM: DROP FRAME

001  B002C001 V     C        00:10:00:00 00:10:02:00 01:00:00:00 01:00:02:00
* FROM CLIP NAME:  B002C001.mov
002  B002C001 V     C        00:10:05:00 00:10:05:00 01:00:02:00 01:00:02:00
002  B002C001 V     D    030 00:10:20:00 00:10:24:00 01:00:02:00 01:00:06:00
* FROM CLIP NAME:  B002C001.mov
M2   B002C001       045.0                00:10:20:00
003  C007C003 V     C        00:10:00:10 00:10:01:00 01:00:06:00 01:00:06:20
* FROM CLIP NAME:  C007C003.mov
004  BL       V     C        00:00:00:00 00:00:01:00 01:00:06:20 01:00:07:20
005  B002C001 V     C        03:00:00:00 03:00:01:00 01:00:07:20 01:00:08:20
* FROM CLIP NAME:  B002C001.mov
006  B002C001 V     C        00:10:58:00 00:11:10:00 01:00:08:20 01:00:20:20
* FROM CLIP NAME:  B002C001.mov
"""


def test_hand_written_edl_fcm_dissolve_and_mismatches(tmp_path):
    path = tmp_path / "hand.edl"
    path.write_text(HAND_EDL, encoding="ascii")
    rate = Fraction(30000, 1001)
    clips, problems = read_edl(str(path), rate)
    # FCM: DROP FRAME governs labels written with ':' (10 minutes DF = 17982 frames)
    assert clips[0].src_in == 17982 and clips[0].rec_in == 107892
    assert any("speed change on event 2" in p for p in problems)
    media = make_media(rate, True, start_tc="00:10:00;00", frames=1800, path="/x/B002C001.mov")
    result = import_cuts(str(path), media)
    assert result.matched == 3  # events 1, 2 (the dissolve's incoming clip) and 6 (trimmed)
    assert result.other_media == 2  # C007C003 and black
    dissolve = [b for b in result.boundaries if b.type == "dissolve"]
    assert len(dissolve) == 1 and dissolve[0].end_frame - dissolve[0].start_frame == 30
    assert dissolve[0].frame == 20 * 30 - 0  # 00:10:20;00 - 00:10:00;00, no drops in between
    text = "\n".join(result.problems)
    assert "event 5: names B002C001.mov but its source timecode 03:00:00;00" in text
    assert "event 6" in text and "trimmed" in text
    frames = [b.frame for b in result.boundaries]
    assert frames == sorted(frames) and frames[-1] < media.frames
    assert result.shots[-1].end_frame == media.frames


def test_programme_file_matches_on_record_time(tmp_path):
    """A flattened export of the edit: its timecode is the timeline's, not any source's."""
    sources = [make_media(Fraction(25), start_tc=f"0{i}:00:00:00", path=f"/m/cam{i}.mov")
               for i in (1, 2)]
    a = make_analysis(sources[0], [0, 50, 125])
    b = make_analysis(sources[1], [10, 60])
    path = tmp_path / "edit.edl"
    export([a, b], "edl", str(path), ExportOptions(combined=True, record_start="10:00:00:00"))
    programme = make_media(Fraction(25), start_tc="10:00:00:00", frames=175, path="/m/flat.mov")
    result = import_cuts(str(path), programme)
    assert result.side == "record" and result.matched == 3
    assert [b.frame for b in result.boundaries] == [50, 125]
    assert "edited programme" in result.problems[0]
    with pytest.raises(CutImportError, match=r"no event of the edit matches flat.mov \(10:00:00:00"):
        import_cuts(str(path), programme, side="source")


def test_otio_at_another_rate_is_rescaled_and_reported(tmp_path):
    media = make_media(Fraction(50), start_tc="01:00:00:00", frames=1000, path="/m/fast.mov")
    timeline = otio.schema.Timeline()
    track = otio.schema.Track()
    timeline.tracks.append(track)
    ref = otio.schema.ExternalReference(target_url="file:///m/fast.mov")
    for a, b in [(0, 100), (100, 250)]:  # at 25 fps
        track.append(otio.schema.Clip(name="c", media_reference=ref,
                                      source_range=TR(RT(90000 + a, 25), RT(b - a, 25))))
    path = tmp_path / "half.otio"
    otio.adapters.write_to_file(timeline, str(path))
    result = import_cuts(str(path), media)
    assert [b.frame for b in result.boundaries] == [200, 500]
    assert any("25.000 fps" in p and "rescaled" in p for p in result.problems)


def test_unreadable_or_unsupported_edits_fail_clearly(tmp_path):
    media = make_media(Fraction(25))
    bad = tmp_path / "bad.otio"
    bad.write_text("{ not json")
    with pytest.raises(CutImportError, match="not a readable OTIO file"):
        import_cuts(str(bad), media)
    (tmp_path / "x.aaf").write_text("")
    with pytest.raises(CutImportError, match="reads .edl, .otio and FCP7 .xml"):
        import_cuts(str(tmp_path / "x.aaf"), media)
    empty = tmp_path / "empty.edl"
    empty.write_text("TITLE: nothing\nFCM: NON-DROP FRAME\n")
    with pytest.raises(CutImportError, match="no events"):
        import_cuts(str(empty), media)


from media_paths import SHOTS_DIR as _SHOTS
MEDIA = str(_SHOTS)


@pytest.mark.skipif(not os.path.isdir(MEDIA), reason="shared test media not present")
def test_cli_import_cuts_on_a_real_file(tmp_path, capsys):
    """Ground-truth cuts of a real clip, written as an EDL by OTIO, stand in for detection."""
    from camtag.analysis_json import read_analysis
    from camtag.cli import main
    from camtag.media.probe import probe

    name = "pyscenedetect_issue-195-aspect-ratio.mp4"
    truth = json.load(open(f"{MEDIA}/cuts.json"))["videos"][name]
    cuts = [t["start"] for t in truth["transitions"]]
    media = probe(f"{MEDIA}/{name}")
    rate = float(media.rate)
    timeline = otio.schema.Timeline(name="truth")
    track = otio.schema.Track()
    timeline.tracks.append(track)
    edges = [0, *cuts, media.frames]
    for a, b in zip(edges, edges[1:]):
        track.append(otio.schema.Clip(
            name=name, media_reference=otio.schema.ExternalReference(target_url=f"{MEDIA}/{name}"),
            source_range=TR(RT(media.start_frame + a, rate), RT(b - a, rate))))
    edl = tmp_path / "truth.edl"
    otio.adapters.write_to_file(timeline, str(edl), rate=rate)
    out = tmp_path / "shots.json"
    assert main(["import-cuts", str(edl), "--media", f"{MEDIA}/{name}", "-o", str(out)]) == 0
    shots = read_analysis(str(out)).shots
    assert [s.start_frame for s in shots[1:]] == cuts
    assert shots[-1].end_frame == media.frames == truth["n_frames"]


@pytest.mark.skipif(not os.path.isdir(MEDIA), reason="shared test media not present")
def test_vfr_file_exports_with_a_warning(tmp_path):
    from camtag.media.probe import probe

    media = probe(f"{MEDIA}/pyscenedetect_goldeneye-vfr-drop3.mp4")
    assert media.vfr
    analysis = make_analysis(media, [0, 60, 140, media.frames])
    result = export(analysis, "edl", str(tmp_path / "vfr.edl"))
    assert any("variable frame rate" in w for w in result.warnings)
    assert import_cuts(result.paths[0], media).boundaries[0].frame == 60
