"""I/O marks on the viewer's scrubber, and one meaning for the mark keys everywhere: I/O (and the
[ ] buttons) set the marks, [ ] and Shift+I/O go to them; tooltips and the cheat sheet say so."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolButton

from camtag.ui.cheat_sheet import cheat_sheet_html
from camtag.ui.player_widget import MARK_COLOR


def _gold(color: QColor) -> bool:
    return color.red() > 150 and color.green() > 150 and color.blue() < 150


def _column(slider, x) -> bool:
    """Whether the drawn mark colour is in pixel column ``x`` of the slider."""
    img = slider.grab().toImage()
    return any(_gold(img.pixelColor(x, y)) for y in range(img.height()))


def test_marks_drawn_on_scrubber_and_keys_agree(analysed_window, qtbot):
    w, p = analysed_window, analysed_window.player
    slider = w.player_widget.slider
    w.activateWindow()
    assert slider.mark_span() is None
    frames = p.frames
    a, b = frames // 4, frames // 2
    p.seek(a)
    QTest.keyClick(w, Qt.Key.Key_I)
    p.seek(b)
    QTest.keyClick(w, Qt.Key.Key_O)
    assert (p.mark_in, p.mark_out) == (a, b)
    x0, x1 = slider.mark_span()
    assert x0 == slider.x_of(a) and x1 == slider.x_of(b) and x1 - x0 > 20
    assert _column(slider, (x0 + x1) // 2)                  # the band is painted in the range...
    left = slider.x_of(0) + 2
    assert left < x0 - 4 and not _column(slider, left)      # ...and nowhere before mark in
    assert QColor(MARK_COLOR).isValid()

    p.seek(frames - 1)
    QTest.keyClick(w, Qt.Key.Key_BracketLeft)               # [ goes to mark in
    assert p.position == a
    QTest.keyClick(w, Qt.Key.Key_BracketRight)              # ] goes to mark out
    assert p.position == b
    QTest.keyClick(w, Qt.Key.Key_I, Qt.KeyboardModifier.ShiftModifier)
    assert p.position == a and p.mark_in == a               # Shift+I goes there, sets nothing

    # the [ button sets mark in, as I does; its tooltip names the key
    buttons = {b.defaultAction().objectName(): b for b in w.player_widget.findChildren(QToolButton)
               if b.defaultAction() is not None}
    p.seek(a + 3)
    qtbot.mouseClick(buttons["mark.in"], Qt.MouseButton.LeftButton)
    assert p.mark_in == a + 3 and slider.mark_span()[0] == slider.x_of(a + 3)
    assert buttons["mark.in"].toolTip().endswith("(I)")
    assert w.binder["mark.go_in"].toolTip().endswith("([, Shift+I)")

    html = cheat_sheet_html(w.binder.keys)
    assert "[  Shift+I</td><td>Go to mark in" in html
    assert "]  Shift+O</td><td>Go to mark out" in html

    QTest.keyClick(w, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)     # clear marks: the band goes
    assert slider.mark_span() is None and not _column(slider, (x0 + x1) // 2)
