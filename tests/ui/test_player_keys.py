"""Keyboard transport: arrows, Shift+arrows, Up/Down, Home/End, J/K/L, I/O, and exact frames."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from camtag.ui.shot_model import COL_IN


def _key(window, key, modifier=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(window, key, modifier)


def _frame_array(image) -> np.ndarray:
    image = image.convertToFormat(image.Format.Format_RGB888)
    w, h = image.width(), image.height()
    buf = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return buf.reshape(h, image.bytesPerLine())[:, :w * 3].reshape(h, w, 3).copy()


def _truth(path: str, index: int, size) -> np.ndarray:
    """Frame ``index`` by plain sequential decoding (no seeking), converted like the player."""
    import av

    with av.open(path) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i == index:
                return frame.reformat(width=size[0], height=size[1], format="rgb24",
                                      interpolation="BILINEAR").to_ndarray()
    raise AssertionError(f"clip has no frame {index}")


def test_arrows_shots_home_end_and_exact_frames(analysed_window, qtbot, clip):
    w, p = analysed_window, analysed_window.player
    starts = [r.shot.start_frame for r in w.model.records()]
    assert p.position == 0
    _key(w, Qt.Key.Key_Right)
    _key(w, Qt.Key.Key_Right)
    assert p.position == 2
    _key(w, Qt.Key.Key_Left)
    assert p.position == 1
    _key(w, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert p.position == 1 + 25                        # one second at 25 fps
    _key(w, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert p.position == 1
    _key(w, Qt.Key.Key_Period)                         # '.' is the alternate frame step
    assert p.position == 2

    _key(w, Qt.Key.Key_Down)
    assert p.position == starts[1]
    assert w.browser.current_record().shot.start_frame == starts[1]   # the shot is selected
    _key(w, Qt.Key.Key_Down)
    assert p.position == starts[2]
    _key(w, Qt.Key.Key_Up)
    assert p.position == starts[1]
    _key(w, Qt.Key.Key_End)
    assert p.position == p.frames - 1
    _key(w, Qt.Key.Key_Up)
    assert p.position == starts[-1]
    _key(w, Qt.Key.Key_Home)
    assert p.position == 0

    # paused on a mid-GOP frame reached backwards: the picture is exactly that frame
    _key(w, Qt.Key.Key_Down)
    _key(w, Qt.Key.Key_Down)
    _key(w, Qt.Key.Key_Left)
    _key(w, Qt.Key.Key_Left)
    target = starts[2] - 2
    assert p.position == target
    qtbot.waitUntil(lambda: w.player_widget.view.index == target, timeout=5000)
    shown = _frame_array(w.player_widget.view.image)
    assert np.array_equal(shown, _truth(clip, target, (shown.shape[1], shown.shape[0])))
    assert w.player_widget.timecode.text() == w.media.timecode(target)
    assert w.timeline.playhead.value() == target


def test_jkl_shuttle_and_marks(analysed_window, qtbot):
    w, p = analysed_window, analysed_window.player
    _key(w, Qt.Key.Key_L)
    assert p.speed == 1.0
    qtbot.waitUntil(lambda: p.position >= 5, timeout=5000)
    _key(w, Qt.Key.Key_L)
    assert p.speed == 2.0                             # repeat speeds up
    _key(w, Qt.Key.Key_L)
    assert p.speed == 4.0
    _key(w, Qt.Key.Key_K)
    assert p.speed == 0.0 and not p.playing
    stopped = p.position
    qtbot.wait(150)
    assert p.position == stopped                      # K really stopped
    qtbot.waitUntil(lambda: w.player_widget.view.index == stopped, timeout=5000)

    _key(w, Qt.Key.Key_J)
    assert p.speed == -1.0                            # reverse at 1x after K
    qtbot.waitUntil(lambda: p.position <= stopped - 3, timeout=5000)
    _key(w, Qt.Key.Key_J)
    assert p.speed == -2.0
    _key(w, Qt.Key.Key_L)
    assert p.speed == 1.0                             # the other direction restarts at 1x
    _key(w, Qt.Key.Key_Space)
    assert not p.playing
    here = p.position

    # hold K and tap L / J: one frame each way
    QTest.keyPress(w, Qt.Key.Key_K)
    _key(w, Qt.Key.Key_L)
    assert p.position == here + 1 and not p.playing
    _key(w, Qt.Key.Key_J)
    _key(w, Qt.Key.Key_J)
    assert p.position == here - 1 and not p.playing
    QTest.keyRelease(w, Qt.Key.Key_K)
    _key(w, Qt.Key.Key_L)
    assert p.speed == 1.0                             # K released: L plays again
    _key(w, Qt.Key.Key_K)

    _key(w, Qt.Key.Key_Home)
    _key(w, Qt.Key.Key_Right)
    _key(w, Qt.Key.Key_I)
    _key(w, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    _key(w, Qt.Key.Key_O)
    assert (p.mark_in, p.mark_out) == (1, 26)
    assert "IN 00:00:00:01" in w.player_widget.marks.text()
    assert w.timeline.marks.isVisible() and w.timeline.marks.getRegion() == (1, 27)


def test_timeline_click_and_browser_click_seek(analysed_window, qtbot):
    from PySide6.QtCore import QPoint

    w, p = analysed_window, analysed_window.player
    vb = w.timeline.vb
    vb.setXRange(0, 600, padding=0)
    qtbot.wait(50)
    scene_pt = vb.mapViewToScene(__import__("PySide6.QtCore", fromlist=["QPointF"]).QPointF(300, 0))
    view_pt = w.timeline.plot.mapFromScene(scene_pt)
    rect = vb.sceneBoundingRect()
    view_pt = QPoint(view_pt.x(), int(w.timeline.plot.mapFromScene(rect.center()).y()))
    QTest.mouseClick(w.timeline.plot.viewport(), Qt.MouseButton.LeftButton, pos=view_pt)
    qtbot.waitUntil(lambda: abs(p.position - 300) <= 3, timeout=3000)

    # clicking a row in the browser seeks to that shot's first frame
    table = w.browser.table
    row = 3
    rect = table.visualRect(w.browser.proxy.index(row, COL_IN))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    rec = w.browser.proxy.index(row, 0).data(Qt.ItemDataRole.UserRole + 1)
    assert p.position == rec.shot.start_frame
    qtbot.waitUntil(lambda: w.player_widget.view.index == rec.shot.start_frame, timeout=5000)
    assert w.panel.record.id == rec.id


def test_drop_frame_timecode_uses_semicolon(qtbot):
    from fractions import Fraction

    from camtag.model import MediaInfo
    from camtag.timebase import timecode_to_frames
    from camtag.ui.player import PlayerController

    rate = Fraction(30000, 1001)
    start = timecode_to_frames("01:00:00;00", rate)
    media = MediaInfo(path="/x.mov", container="mov", codec="h264", width=1920, height=1080,
                      rate=rate, frames=100000, duration=Fraction(100000) / rate,
                      start_timecode="01:00:00;00", start_frame=start, drop_frame=True)
    player = PlayerController()
    player.media = media
    assert player.time_text(0) == "01:00:00;00"
    assert player.time_text(1800) == "01:01:00;02"           # frames ;00 and ;01 are dropped
    assert player.time_text(17982) == "01:10:00;00"          # ...except every tenth minute
    assert player.time_text(1800, "frames") == "1800"
    player.close()
