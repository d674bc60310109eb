"""Short background calls (probing a file, checking engines) run on a pool thread and report back on
the GUI thread, without superqt (the app starts without importing it)."""

from __future__ import annotations

import threading

from camtag.ui.workers import run_in_thread


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


def test_timeline_axes_repaint_from_their_cache(analysed_window, monkeypatch):
    """A repaint that changes no axis (a playhead move) does not redraw the axes' labels."""
    w = analysed_window
    calls: list[str] = []
    for name, axis in w.timeline.plot.getPlotItem().axes.items():
        paint = axis["item"].paint

        def counting(*args, _name=name, _paint=paint):
            calls.append(_name)
            return _paint(*args)
        monkeypatch.setattr(axis["item"], "paint", counting)
    view = w.timeline.plot.viewport()
    w.timeline.axis.picture = None                  # as a new clip or time display does
    w.timeline.axis.update()
    view.repaint()
    assert "bottom" in calls                        # a changed axis is drawn again
    calls.clear()
    w.timeline.set_position(w.player.position + 1)  # the playhead moves: axes come from the cache
    view.repaint()
    assert calls == []
