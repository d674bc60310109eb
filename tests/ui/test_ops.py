"""Editor ops run off the GUI thread (camtag.ui.ops): each verdict, note, split and merge asked for
by key runs on a worker thread, the window refreshes once from the Changes it returns, a failure
is one status-bar line that leaves the window usable, and quick ops apply in the order given."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from camtag.library import Library, LibraryError


@pytest.fixture
def watched(analysed_window, monkeypatch):
    """The window, with every library edit recording (name, thread) and the panel's refreshes
    and the scope's row updates counted."""
    w = analysed_window
    calls: list[tuple[str, threading.Thread]] = []
    for name in ("confirm_tag", "reject_tag", "edit_note", "split_shot", "merge_shots", "undo"):
        original = getattr(Library, name)

        def wrapper(self, *args, _name=name, _original=original, **kwargs):
            calls.append((_name, threading.current_thread()))
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(Library, name, wrapper)
    shown: list[int] = []
    show = w.panel.show_shot

    def counting(record, media):
        shown.append(record.id if record is not None else -1)
        show(record, media)
    monkeypatch.setattr(w.panel, "show_shot", counting)
    rows: list[object] = []
    w.scope.records_changed.connect(rows.append)
    return w, calls, shown, rows


def _done(w, qtbot) -> None:
    qtbot.waitUntil(lambda: w.ops.runner.idle, timeout=5000)
    qtbot.wait(50)                      # let any late (queued) refresh arrive, to be counted


def _on_second_shot(w, qtbot):
    QTest.keyClick(w, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: w.current_record() is not None and w.panel.record is not None
                    and w.panel.record.id == w.current_record().id, timeout=3000)
    return w.current_record()


def test_verdict_and_note_run_off_the_gui_thread_and_refresh_once(watched, qtbot):
    w, calls, shown, rows = watched
    lib, gui = w.bridge.lib, threading.current_thread()
    rec = _on_second_shot(w, qtbot)
    tag = w.panel.current_tag()
    shown.clear()
    rows.clear()
    QTest.keyClick(w, Qt.Key.Key_C)
    _done(w, qtbot)
    assert [c[0] for c in calls] == ["confirm_tag"]
    assert calls[0][1] is not gui                            # ran on the op runner's thread
    assert lib.shot(rec.id).tag_state(tag) == "confirmed"
    assert "✓ confirmed" in w.panel.tags.currentItem().text(3)   # the visible state
    assert shown == [rec.id] and len(rows) == 1              # one refresh, not two

    shown.clear()
    rows.clear()
    w.panel.start_note()                                      # N, then type and Enter
    for ch in "handheld":
        QTest.keyClick(w.panel.note_field, ch)
    QTest.keyClick(w.panel.note_field, Qt.Key.Key_Return)
    _done(w, qtbot)
    assert calls[-1][0] == "edit_note" and calls[-1][1] is not gui
    assert lib.shot(rec.id).shot.note == "handheld"
    assert w.panel.note_field.text() == "handheld"
    assert shown == [rec.id] and len(rows) == 1


def test_split_and_merge_by_keys_off_the_gui_thread(watched, qtbot):
    w, calls, shown, rows = watched
    gui = threading.current_thread()
    count = w.model.rowCount()
    rec = max(w.clip_records(), key=lambda r: r.shot.frames)
    cut = rec.shot.start_frame + rec.shot.frames // 2
    w.player.seek(cut)
    qtbot.waitUntil(lambda: w.current_record() is not None and w.current_record().id == rec.id)
    shown.clear()
    rows.clear()
    QTest.keyClick(w, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)       # split
    _done(w, qtbot)
    assert w.model.rowCount() == count + 1
    assert calls[-1][0] == "split_shot" and calls[-1][1] is not gui
    assert len(rows) == 1 and len(shown) == 1

    w.player.seek(rec.shot.start_frame + 1)
    qtbot.waitUntil(lambda: w.current_record() is not None and w.current_record().id == rec.id)
    rows.clear()
    QTest.keyClick(w, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)       # merge
    _done(w, qtbot)
    assert w.model.rowCount() == count
    assert calls[-1][0] == "merge_shots" and calls[-1][1] is not gui
    assert len(rows) == 1


def test_a_failing_op_is_one_line_and_the_window_stays_usable(watched, qtbot, monkeypatch, caplog):
    w, calls, _shown, _rows = watched
    lib = w.bridge.lib
    rec = _on_second_shot(w, qtbot)
    tag = w.panel.current_tag()

    def full(self, *args):
        raise LibraryError("the library's disk is full; free some space and try again")
    monkeypatch.setattr(Library, "reject_tag", full)
    QTest.keyClick(w, Qt.Key.Key_Delete)
    _done(w, qtbot)
    assert w.status_label.text() == "the library's disk is full; free some space and try again"
    assert lib.shot(rec.id).tag_state(tag) == "proposed"

    def bug(self, *args):
        raise RuntimeError("unexpected\nsecond line")
    monkeypatch.setattr(Library, "reject_tag", bug)
    QTest.keyClick(w, Qt.Key.Key_Delete)
    _done(w, qtbot)
    assert w.status_label.text() == f"Reject {tag} failed: unexpected"     # one line, no traceback
    bugs = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(bugs) == 1                                    # the traceback goes to the log, not the screen

    QTest.keyClick(w, Qt.Key.Key_C)                           # the next edit still works
    _done(w, qtbot)
    assert lib.shot(rec.id).tag_state(tag) == "confirmed"
    assert "✓ confirmed" in w.panel.tags.currentItem().text(3)


def test_quick_ops_apply_one_at_a_time_in_order(watched, qtbot, monkeypatch):
    w, calls, _shown, _rows = watched
    lib = w.bridge.lib
    rec = _on_second_shot(w, qtbot)
    tag = w.panel.current_tag()
    running, most = [0], [0]
    confirm = Library.confirm_tag

    def slow_confirm(self, *args):                            # a slow disk: the next key comes first
        running[0] += 1
        most[0] = max(most[0], running[0])
        threading.Event().wait(0.2)
        try:
            return confirm(self, *args)
        finally:
            running[0] -= 1
    monkeypatch.setattr(Library, "confirm_tag", slow_confirm)
    QTest.keyClick(w, Qt.Key.Key_C)
    QTest.keyClick(w, Qt.Key.Key_Delete)                      # asked for while the confirm runs
    assert not w.ops.runner.idle
    _done(w, qtbot)
    assert [c[0] for c in calls[-2:]] == ["confirm_tag", "reject_tag"] and most[0] == 1
    assert lib.shot(rec.id).tag_state(tag) == "rejected"       # the last key wins
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _done(w, qtbot)
    assert lib.shot(rec.id).tag_state(tag) == "confirmed"      # undo steps back one op
