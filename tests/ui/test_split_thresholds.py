"""A split re-reads each half with the motion thresholds the analysis ran with (its stored
motion_settings), not the engine's defaults."""

from __future__ import annotations

import json
import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from camtag.motion.classify import read_shot
from camtag.motion.engine import EngineSettings

STRICT = {"thresholds": {"move_speed": 0.2, "move_total": 0.6, "zoom_speed": 0.2,
                         "zoom_total": 0.6, "roll_speed": 20.0, "roll_total": 40.0}}


def _geo(lib, shot_id):
    return {(t.tag, round(t.confidence, 3)) for t in lib.shot(shot_id).tag_records
            if t.source == "geometry"}


def test_split_rereads_with_the_analysis_thresholds(make_window, library_copy, clip, qtbot):
    with sqlite3.connect(library_copy) as db:            # the analysis ran with strict thresholds
        for aid, raw in db.execute("SELECT id, settings FROM analyses").fetchall():
            settings = json.loads(raw or "{}")
            settings["motion_settings"] = STRICT
            db.execute("UPDATE analyses SET settings = ? WHERE id = ?", (json.dumps(settings), aid))
    w = make_window(library_copy, clip)
    qtbot.waitUntil(lambda: w.model.rowCount() > 1 and w.player.shown_index == 0
                    and not w.queue.busy, timeout=30000)
    lib = w.bridge.lib
    rec = max(w.clip_records(), key=lambda r: r.shot.end_frame - r.shot.start_frame)
    s = rec.shot
    cut = s.start_frame + (s.end_frame - s.start_frame) // 2
    curves = lib.motion_curves(rec.analysis_id)
    strict = EngineSettings.from_dict(STRICT).thresholds
    spans = [(s.start_frame, cut), (cut, s.end_frame)]
    want = [read_shot(curves.slice(a, b), strict) for a, b in spans]
    default = [read_shot(curves.slice(a, b)) for a, b in spans]
    assert [r.tags for r in want] != [r.tags for r in default]   # the thresholds matter here

    w.player.seek(cut)
    qtbot.waitUntil(lambda: w.current_record() is not None and w.current_record().id == rec.id)
    QTest.keyClick(w, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len([r for r in w.clip_records()
                                 if s.start_frame <= r.shot.start_frame < s.end_frame]) == 2,
                    timeout=3000)
    halves = [r for r in w.clip_records() if s.start_frame <= r.shot.start_frame < s.end_frame]
    for half, reading in zip(halves, want):
        assert _geo(lib, half.id) == {(t.id, round(t.confidence, 3)) for t in reading.tags}
        assert lib.shot(half.id).shot.segments == reading.segments
