"""A search result in another clip shows its shot at once while that clip's shots (timeline cuts,
shot keys) are read off the GUI thread; short background calls report back on the GUI thread."""

from __future__ import annotations

import os
import threading

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from camtag.library import Library
from camtag.ui.shot_model import SHOT_ROLE
from camtag.ui.workers import run_in_thread


def test_result_in_another_clip_shows_its_shot_then_the_clip_fills_in(two_clip_window, clip, qtbot,
                                                                      monkeypatch):
    w = two_clip_window
    lib = w.bridge.lib
    big = lib.find_media(os.path.abspath(clip))
    cuts = sorted(r.shot.start_frame for r in lib.shots(big) if r.shot.start_frame > 0)
    readers: list[threading.Thread] = []
    shots = Library.shots

    def recording(self, media):
        readers.append(threading.current_thread())
        return shots(self, media)
    monkeypatch.setattr(Library, "shots", recording)
    w.sidebar.scope_selected.emit("all", None)
    QTest.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    for ch in "static or shake":
        QTest.keyClick(w.search.field, ch)
    QTest.keyClick(w.search.field, Qt.Key.Key_Return)
    proxy = w.browser.proxy
    results = [proxy.index(r, 0).data(SHOT_ROLE) for r in range(proxy.rowCount())]
    target = next(r for r in results if r.media_id == big.id and r.shot.index > 0)

    readers.clear()
    w.browser.shot_selected.emit(target)                      # as a click on the result does
    assert w.media_id == big.id                               # at once: clip, playhead, shot, panel
    assert w.player.position == target.shot.start_frame
    assert w.current_record().id == target.id and w.panel.record.id == target.id
    assert w.browser.proxy.rowCount() == len(results)          # the result list is kept
    qtbot.waitUntil(lambda: sorted({int(x) for x in w.timeline.boundaries.xData}) == cuts,
                    timeout=5000)                            # then the clip's cuts arrive
    assert readers and all(t is not threading.main_thread() for t in readers)
    assert w.current_record().id == target.id                 # and the shot is still the one shown
    w.player.next_shot()                                      # shot keys know the clip's cuts
    later = [c for c in cuts if c > target.shot.start_frame]
    if later:
        qtbot.waitUntil(lambda: w.player.position == later[0], timeout=3000)


def test_background_calls_report_on_the_gui_thread(qapp, qtbot):
    seen: list[tuple[str, object, bool]] = []
    workers: list[threading.Thread] = []

    def work() -> int:
        workers.append(threading.current_thread())
        return 42

    def fail() -> int:
        raise ValueError("no such file")

    def done(value) -> None:
        seen.append(("done", value, threading.current_thread() is threading.main_thread()))

    def failed(exc) -> None:
        seen.append(("failed", str(exc), threading.current_thread() is threading.main_thread()))

    keep = [run_in_thread(work, done), run_in_thread(fail, done, failed)]
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert sorted(seen) == [("done", 42, True), ("failed", "no such file", True)]
    assert workers[0] is not threading.main_thread()
    assert not any(k.running for k in keep)


def test_moving_on_while_the_clip_is_read_keeps_panel_and_shot_together(two_clip_window, clip, qtbot,
                                                                         monkeypatch):
    """Review mode steps to the next result while the jumped-to clip's shots are still being
    read: the shot a verdict applies to is the one the panel shows."""
    w = two_clip_window
    lib = w.bridge.lib
    big = lib.find_media(os.path.abspath(clip))
    first, second = lib.shots(big)[1:3]
    gate = threading.Event()
    shots = Library.shots

    def slow(self, media):
        if threading.current_thread() is not threading.main_thread():
            gate.wait(10)                                   # a slow disk
        return shots(self, media)
    monkeypatch.setattr(Library, "shots", slow)
    w.sidebar.scope_selected.emit("all", None)
    qtbot.waitUntil(lambda: w.model.row_of(second.id) is not None, timeout=5000)
    w.go_to_shot(w.model.record(w.model.row_of(first.id)))
    assert w.media_id == big.id and w.current_record().id == first.id
    w.go_to_shot(w.model.record(w.model.row_of(second.id)))     # the clip is still being read
    assert w.current_record().id == second.id and w.panel.record.id == second.id
    tag = w.panel.current_tag()
    QTest.keyClick(w, Qt.Key.Key_C)
    gate.set()
    qtbot.waitUntil(lambda: w.ops.runner.idle and w.timeline.boundaries.xData is not None
                    and len(w.timeline.boundaries.xData) > 0, timeout=5000)
    assert lib.shot(second.id).tag_state(tag) == "confirmed"
    assert w.current_record().id == second.id and w.panel.record.id == second.id
