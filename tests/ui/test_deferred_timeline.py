"""The motion timeline is built after the first paint: the window shows before pyqtgraph is
imported, and what the window told the stand-in (clip, curves, shot lines, I/O marks, playhead)
is on the real timeline once it is built, which then follows keys and mouse clicks."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

FIRST_PAINT = r"""
import sys
from PySide6.QtCore import QEvent, QObject
from camtag.ui.app import build_window, create_application
app = create_application(); w = build_window(None, sys.argv[1])
seen = []

class Paints(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not seen:
            seen.append("pyqtgraph" in sys.modules)
        return False

paints = Paints(); app.installEventFilter(paints)
w.show()
import time
end = time.monotonic() + 60
while not w.timeline_ready() and time.monotonic() < end:
    app.processEvents(); time.sleep(0.01)
print("PAINT", seen[:1], "READY", w.timeline_ready(), type(w.timeline).__name__,
      "pyqtgraph" in sys.modules)
print("LOADED", sorted(m for m in sys.modules if m.startswith(("superqt", "cuda.bindings"))))
import os; os._exit(0)
"""


def test_the_window_paints_before_pyqtgraph_is_imported(tmp_path):
    """The first paint happens without pyqtgraph; the timeline then replaces its stand-in. A
    cold start imports neither superqt nor CUDA Python's bindings (pyqtgraph would load them
    for a widget camtag never uses)."""
    env = dict(os.environ, CAMTAG_CONFIG_DIR=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", FIRST_PAINT, str(tmp_path / "lib.sqlite")],
                         capture_output=True, text=True, env=env, timeout=120)
    lines = {x.split()[0]: x for x in out.stdout.splitlines() if x.split()}
    assert "PAINT" in lines, out.stderr[-800:]
    assert lines["PAINT"] == "PAINT [False] READY True MotionTimeline True"
    assert lines["LOADED"] == "LOADED []"


def test_the_built_timeline_shows_what_it_was_told_and_follows_keys_and_clicks(
        qtbot, config_dir, library_copy, clip):
    from camtag.ui.app import build_window, create_application
    from camtag.ui.timeline_slot import TimelineSlot

    create_application()
    w = build_window(clip, library_copy)           # not shown yet: nothing paints the stand-in
    qtbot.addWidget(w)
    slot, p = w.timeline, w.player
    try:
        qtbot.waitUntil(lambda: w.model.rowCount() > 1 and not w.queue.busy
                        and slot.state.curves is not None, timeout=30000)
        assert isinstance(w.timeline, TimelineSlot)
        p.seek(5)
        p.set_in()
        p.seek(20)
        p.set_out()
        starts = [r.shot.start_frame for r in w.clip_records() if r.shot.start_frame > 0]
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(w.timeline_ready, timeout=10000)
        tl = w.timeline
        assert w.splitter.indexOf(tl) == 1 and w.splitter.indexOf(slot) == -1
        # what the stand-in was told is on screen
        assert len(tl.items["pan"].xData) == len(slot.state.curves.to_arrays(per_second=True)["frame"])
        assert sorted({int(x) for x in tl.boundaries.xData}) == starts
        assert tl.marks.isVisible() and tl.marks.getRegion() == (5, 21)
        assert tl.playhead.value() == p.position == 20
        assert tl.lane.isVisible() and tl.key.isVisible()

        # the built timeline follows the keys and seeks on a click
        QTest.keyClick(w, Qt.Key.Key_Right)
        assert tl.playhead.value() == 21
        QTest.keyClick(w, Qt.Key.Key_O)
        assert tl.marks.getRegion() == (5, 22)
        vb = tl.vb
        vb.setXRange(0, 600, padding=0)
        qtbot.wait(50)
        scene = vb.mapViewToScene(QPointF(300, 0))
        y = int(tl.plot.mapFromScene(vb.sceneBoundingRect().center()).y())
        QTest.mouseClick(tl.plot.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(tl.plot.mapFromScene(scene).x(), y))
        qtbot.waitUntil(lambda: abs(p.position - 300) <= 3, timeout=3000)
        assert tl.playhead.value() == p.position
        QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ShiftModifier)   # zoom to fit
        lo, hi = vb.viewRange()[0]
        assert lo <= 0 and hi >= w.media.frames - 1
    finally:
        w.close()
        qtbot.waitUntil(lambda: not w.queue.busy, timeout=20000)
