"""Split and merge from the keyboard leave no stale state: each half has its own poster, tags and a
trace re-read from the stored motion curves ("Over 72 frames" on a 72-frame half), and shot numbers
in order at once; a merge leaves no boundary on the timeline and one trace."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from camtag.motion.classify import read_shot
from camtag.ui.shot_model import COL_INDEX, COL_POSTER


def _numbers(w) -> list[int]:
    return [int(w.model.index(r, COL_INDEX).data()) for r in range(w.model.rowCount())]


def test_split_then_merge_by_keys(analysed_window, qtbot):
    w, p = analysed_window, analysed_window.player
    lib = w.bridge.lib
    rows = w.model.rowCount()
    rec = max(w.clip_records(), key=lambda r: r.shot.end_frame - r.shot.start_frame)
    s = rec.shot
    cut = s.start_frame + (s.end_frame - s.start_frame) // 2
    p.seek(cut)
    qtbot.waitUntil(lambda: w.current_record() is not None and w.current_record().id == rec.id)
    parent = lib.shot(rec.id)
    curves = lib.motion_curves(rec.analysis_id)
    assert parent.shot.traces                               # the analysis wrote one
    QTest.keyClick(w, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: w.model.rowCount() == rows + 1, timeout=3000)
    assert _numbers(w) == list(range(1, rows + 2))          # renumbered at once, no duplicates
    halves = [r for r in w.clip_records() if s.start_frame <= r.shot.start_frame < s.end_frame]
    assert [(h.shot.start_frame, h.shot.end_frame) for h in halves] == \
        [(s.start_frame, cut), (cut, s.end_frame)]
    for half in halves:
        h = half.shot
        assert h.poster and os.path.exists(h.poster) and h.poster != parent.shot.poster
        row = w.model.row_of(half.id)
        assert w.model.index(row, COL_POSTER).data(Qt.ItemDataRole.DecorationRole) is not None
        assert all(g.start_frame >= h.start_frame and g.end_frame <= h.end_frame for g in h.segments)
        want = read_shot(curves.slice(h.start_frame, h.end_frame))   # the half's own reading
        geo = {(t.tag, round(t.confidence, 3)) for t in lib.shot(half.id).tag_records
               if t.source == "geometry"}
        assert geo == {(t.id, round(t.confidence, 3)) for t in want.tags}
        assert h.segments == want.segments
        (trace,) = h.traces                                  # re-read from the stored curves
        assert trace.source == "geometry"
        assert trace.observation.startswith(f"Over {h.end_frame - h.start_frame} frames")
    shown = w.current_record().shot
    assert f"Over {shown.end_frame - shown.start_frame} frames" in w.panel.trace.toPlainText()
    qtbot.waitUntil(lambda: cut in {int(x) for x in w.timeline.boundaries.xData})

    p.seek(s.start_frame + 1)                                # back on the first half: merge
    qtbot.waitUntil(lambda: w.current_record() is not None and w.current_record().id == rec.id)
    QTest.keyClick(w, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.model.rowCount() == rows, timeout=3000)
    assert _numbers(w) == list(range(1, rows + 1))
    merged = lib.shot(rec.id).shot
    assert (merged.start_frame, merged.end_frame) == (s.start_frame, s.end_frame)
    (trace,) = merged.traces                                  # one trace, over the whole shot again
    assert trace.observation.startswith(f"Over {s.end_frame - s.start_frame} frames")
    assert merged.segments == read_shot(curves.slice(s.start_frame, s.end_frame)).segments
    qtbot.waitUntil(lambda: cut not in {int(x) for x in w.timeline.boundaries.xData})

    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)     # undo the merge
    qtbot.waitUntil(lambda: w.model.rowCount() == rows + 1, timeout=3000)
    assert _numbers(w) == list(range(1, rows + 2))
