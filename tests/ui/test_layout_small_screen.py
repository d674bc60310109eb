"""A 1280×720 screen holds the whole window whatever the clip's name (the clip info line gives way,
keeping rate, DF/NDF and start timecode); reel names are never elided; grid cards show in point
and length; spare width on a wide screen goes to clip names."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from camtag.ui.shot_delegates import card_label
from camtag.ui.shot_model import COL_CLIP, COL_REEL


def test_window_fits_1280x720_and_columns_read_whole(analysed_window, qtbot):
    w = analysed_window
    assert w.minimumSizeHint().width() <= 1280 and w.minimumSizeHint().height() <= 720
    w.resize(1280, 720)
    qtbot.waitUntil(lambda: w.width() == 1280)
    info = w.player_widget.info
    assert info.width() < QFontMetrics(info.font()).horizontalAdvance(info.text())  # it is long...
    shown = info.shown_text()                     # ...and shortened where it matters least
    assert "25 fps" in shown and "NDF" in shown and "start 00:00:00:00" in shown
    assert info.toolTip() == info.text()

    table = w.browser.table
    fm = table.fontMetrics()
    assert table.columnWidth(COL_REEL) >= fm.horizontalAdvance("MW00MW00") + 12
    reel = w.model.index(0, COL_REEL).data()
    assert fm.horizontalAdvance(reel) < table.columnWidth(COL_REEL) - 8

    w.resize(1900, 1000)                           # a wide screen: the clip name reads whole
    qtbot.waitUntil(lambda: table.columnWidth(COL_CLIP) > 150, timeout=3000)
    name = w.model.index(0, COL_CLIP).data()
    assert fm.horizontalAdvance(name) < table.columnWidth(COL_CLIP) - 8
    w.resize(1280, 720)                            # and gives the room back
    qtbot.waitUntil(lambda: table.columnWidth(COL_CLIP) == 150, timeout=3000)


def test_card_label_puts_in_point_and_length_first():
    assert card_label(3, "00:00:06:20", "00:00:05:06  (5.24 s)", "A001.mov") == \
        "#3  00:00:06:20  5.24 s  A001.mov"
    assert card_label(1, "10", "12 f", "x.mp4") == "#1  10  12 f  x.mp4"
