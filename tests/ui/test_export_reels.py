"""Reel names from the file's embedded reel/tape name: the export dialog offers the choice; a clip
whose timecode track carries ``reel_name`` exports with that reel (read back by pycmx), a clip
without one keeps the file-name rule, and the file-name choice ignores the embedded name."""

from __future__ import annotations

import av
import numpy as np
import pycmx
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from camtag.export.reels import clean_reel, embedded_reel, reel_name
from camtag.export.timeline import ShotRef
from camtag.media.probe import probe
from camtag.model import Shot
from camtag.ui.export_dialog import ExportDialog


def _clip(path, reel: str | None) -> str:
    """A 10-frame QuickTime clip with a timecode track (its reel_name when ``reel``)."""
    out = av.open(str(path), "w", format="mov")
    s = out.add_stream("mpeg4", rate=25)
    s.width, s.height, s.pix_fmt = 64, 36, "yuv420p"
    s.metadata["timecode"] = "01:00:00:00"
    if reel is not None:
        s.metadata["reel_name"] = reel            # ffmpeg writes it into the tmcd track
    for i in range(10):
        frame = av.VideoFrame.from_ndarray(np.full((36, 64, 3), i * 20, np.uint8), format="rgb24")
        for p in s.encode(frame):
            out.mux(p)
    for p in s.encode():
        out.mux(p)
    out.close()
    return str(path)


def _reels(path) -> list[str]:
    with open(path) as f:
        return [ev.edits[0].source for ev in pycmx.parse_cmx3600(f).events]


def test_clean_reel():
    assert clean_reel("A001C002_230614") == "A001C002"
    assert clean_reel(" tape 7-b ") == "TAPE7B"
    assert clean_reel("verylongreelname99") == "VERYLONG"
    assert clean_reel("---") is None and clean_reel("BLACK") is None


def test_export_dialog_offers_embedded_reel_names(tmp_path, qtbot):
    tagged = _clip(tmp_path / "interview_day2_take3.mov", "A001")
    plain = _clip(tmp_path / "broll_sunset_long_name.mov", None)
    assert embedded_reel(tagged) == "A001" and embedded_reel(plain) is None
    refs = [ShotRef(probe(p), Shot(0, 0, 10)) for p in (tagged, plain)]
    dialog = ExportDialog({"media": lambda: refs, "results": lambda: refs,
                           "selection": lambda: refs}, str(tmp_path), "out")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.select_format("edl")
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.combined, Qt.MouseButton.LeftButton,   # one EDL for both clips
                     pos=QPoint(8, dialog.combined.height() // 2))
    assert dialog.combined.isChecked()
    assert [dialog.reels.itemData(i) for i in range(dialog.reels.count())] == ["file", "embedded"]

    def export(name):
        dialog.path.setText(str(tmp_path / name))
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10000)
        assert dialog.result.text().startswith("✓"), dialog.result.text()
        return _reels(tmp_path / name)

    by_name = export("by_name.edl")                   # the default: the file-name rule
    assert by_name == [reel_name(tagged), reel_name(plain)] and "A001" not in by_name
    dialog.reels.setFocus()
    QTest.keyClick(dialog.reels, Qt.Key.Key_Down)     # → embedded reel names
    assert dialog.reels.currentData() == "embedded"
    assert export("embedded.edl") == ["A001", reel_name(plain)]


def test_export_dialog_remembers_the_reel_name_source(analysed_window, qtbot, tmp_path, config_dir):
    import json

    from camtag.ui.settings import AppSettings

    w = analysed_window
    dialog = w.show_export()
    qtbot.addWidget(dialog)
    assert dialog.reels.currentData() == "file"               # the default, the first time
    dialog.select_format("edl")
    qtbot.waitExposed(dialog)
    dialog.activateWindow()                                   # the keys go to the dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    dialog.reels.setFocus()
    QTest.keyClick(dialog.reels, Qt.Key.Key_Down)             # → embedded reel names
    assert dialog.reels.currentData() == "embedded"
    dialog.path.setText(str(tmp_path / "cuts.edl"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.reveal_button.isVisible(), timeout=10000)
    saved = json.loads(open(f"{config_dir}/app.json").read())
    assert saved["last_reel_source"] == "embedded"
    again = w.show_export()                                   # the next export starts there
    qtbot.addWidget(again)
    assert again.reels.currentData() == "embedded"
    assert w.model.reel_source == "embedded"                  # and the Reel column follows it
    # a hand-edited settings file with an unknown source falls back to the default
    assert AppSettings.from_dict({"last_reel_source": "tape"}).last_reel_source == ""


def test_reel_column_shows_embedded_names_read_off_the_gui_thread(tmp_path, qtbot, monkeypatch):
    import threading

    from camtag.library import ShotRecord
    from camtag.ui import shot_model
    from camtag.ui.shot_model import COL_REEL, ShotTableModel

    tagged = _clip(tmp_path / "interview_day2_take3.mov", "A001")
    plain = _clip(tmp_path / "broll_sunset_long_name.mov", None)
    threads: list = []

    def reading(path):
        threads.append(threading.current_thread())
        return embedded_reel(path)

    monkeypatch.setattr(shot_model, "embedded_reel", reading)
    model = ShotTableModel(lambda _mid: None, lambda _t: "#808080")
    model.set_records([ShotRecord(i + 1, i + 1, 1, p, Shot(0, 0, 10))
                       for i, p in enumerate((tagged, plain))])

    def reels():            # in the order (tagged, plain), whatever order the rows sort in
        by_path = {model.record(r).media_path: model.index(r, COL_REEL).data()
                   for r in range(model.rowCount())}
        return [by_path[tagged], by_path[plain]]

    assert reels() == [reel_name(tagged), reel_name(plain)]          # the file-name rule
    assert threads == []
    model.set_reel_source("embedded")
    assert reels() == [reel_name(tagged), reel_name(plain)]          # asked for, not yet read
    with qtbot.waitSignal(model.dataChanged, timeout=10000):
        pass
    assert reels() == ["A001", reel_name(plain)]                     # plain keeps its rule
    assert len(threads) == 2 and threading.main_thread() not in threads   # once per clip
    reels()
    assert len(threads) == 2                                         # cached: no more reads
    model.set_reel_source("file")
    assert reels() == [reel_name(tagged), reel_name(plain)]
