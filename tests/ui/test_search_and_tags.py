"""Search filters the browser (errors shown at the spot, keys typed there never fire shortcuts),
smart collections, and keyboard tag edits that undo and redo through the library."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest



def _settle(w, qtbot) -> None:
    """Wait until the editor ops asked for so far have run (they run off the GUI thread)."""
    qtbot.waitUntil(lambda: w.ops.runner.idle, timeout=5000)

def _type(widget, text: str) -> None:
    for ch in text:
        QTest.keyClick(widget, ch)


def test_search_filters_and_typing_never_fires_shortcuts(analysed_window, qtbot):
    w, p = analysed_window, analysed_window.player
    lib = w.bridge.lib
    total = w.model.rowCount()
    expected = set(lib.search_ids("static"))
    assert 0 < len(expected) < total

    QTest.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    field = w.search.field
    assert field.hasFocus()
    # 'l', 'j', 'k', space, Home, Left: all plain keys, all typed into the field
    _type(field, "l j")
    QTest.keyClick(field, Qt.Key.Key_Home)
    QTest.keyClick(field, Qt.Key.Key_Right)
    assert not p.playing and p.position == 0
    assert field.text() == "l j"
    field.clear()

    _type(field, "static")
    QTest.keyClick(field, Qt.Key.Key_Return)
    proxy = w.browser.proxy
    shown = {proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1).id for r in range(proxy.rowCount())}
    assert shown == expected
    assert w.browser.count.text() == f"{len(expected)} of {total} shots"

    # a broken query: the error is shown beside the field and the bad spot is underlined
    field.clear()
    _type(field, "static and (pan_left")
    assert not w.search.valid
    assert w.search.error.isVisible() and "column" in w.search.error.text()
    start, _length = field.error_span
    assert start == len("static and (pan_left")          # the missing ')' at the end
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert proxy.rowCount() == len(expected)             # the last good filter stays

    # save a smart collection, it shows up in the sidebar and filters like the search
    field.clear()
    _type(field, "static")
    QTest.keyClick(field, Qt.Key.Key_Return)
    lib.save_search("Locked off", "static")
    qtbot.waitUntil(lambda: w.sidebar.smart_group.childCount() == 1, timeout=3000)
    assert w.sidebar.smart_group.child(0).text(0) == f"Locked off  ({len(expected)})"
    QTest.keyClick(field, Qt.Key.Key_Escape)
    field.clear()
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert proxy.rowCount() == total
    w.sidebar.scope_selected.emit("collection", "Locked off")
    assert w.model.rowCount() == len(expected)


def test_keyboard_tag_edits_undo_and_redo(analysed_window, qtbot):
    w = analysed_window
    lib = w.bridge.lib
    QTest.keyClick(w, Qt.Key.Key_Down)                   # second shot, its tags in the panel
    rec = w.current_record()
    assert rec is not None and w.panel.record.id == rec.id
    tag = w.panel.current_tag()
    assert tag is not None
    assert lib.shot(rec.id).tag_state(tag) == "proposed"

    QTest.keyClick(w, Qt.Key.Key_C)                      # confirm
    _settle(w, qtbot)
    assert lib.shot(rec.id).tag_state(tag) == "confirmed"
    assert "✓ confirmed" in w.panel.tags.currentItem().text(3)
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(w, qtbot)
    assert lib.shot(rec.id).tag_state(tag) == "proposed"
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    _settle(w, qtbot)
    assert lib.shot(rec.id).tag_state(tag) == "confirmed"

    QTest.keyClick(w, Qt.Key.Key_Delete)                 # reject: gone from the browser chips
    _settle(w, qtbot)
    assert lib.shot(rec.id).tag_state(tag) == "rejected"
    row = w.model.row_of(rec.id)
    chips = [c[0] for c in w.model.tag_chips(w.model.record(row))]
    assert tag not in chips

    QTest.keyClick(w, Qt.Key.Key_T)                      # add a tag by keyboard
    assert w.panel.add_field.hasFocus()
    _type(w.panel.add_field, "dolly_in")
    QTest.keyClick(w.panel.add_field, Qt.Key.Key_Return)
    _settle(w, qtbot)
    assert lib.shot(rec.id).tag_state("dolly_in") == "added"
    assert "dolly_in" in [c[0] for c in w.model.tag_chips(w.model.record(w.model.row_of(rec.id)))]
    assert w.binder["edit.undo"].text() == "Undo Add dolly_in"
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(w, qtbot)
    assert lib.shot(rec.id).tag_state("dolly_in") is None
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(w, qtbot)
    assert lib.shot(rec.id).tag_state(tag) == "confirmed"
