"""Hover-scrub posters in the grid: moving the mouse across a card's poster shows frames across
that shot (decoded off the GUI thread, cached); leaving the poster shows the stored poster again."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from camtag.ui.hover_scrub import STEPS, poster_rect, scrub_frame
from camtag.ui.shot_model import COL_DURATION


def test_scrub_frame_spans_the_shot():
    frames = [scrub_frame(100, 220, (s + 0.5) / STEPS) for s in range(STEPS)]
    assert frames == sorted(frames) and len(set(frames)) == STEPS
    assert 100 <= frames[0] < 110 and 210 <= frames[-1] < 220
    assert scrub_frame(100, 101, 0.99) == 100                 # a one-frame shot: that frame
    assert scrub_frame(0, 50, -3.0) == scrub_frame(0, 50, 0.0)  # outside the poster: clamped


def _pixels(view, rect):
    return view.viewport().grab(rect).toImage()


def test_hover_scrubs_the_poster_and_leaving_restores_it(analysed_window, qtbot):
    w = analysed_window
    b = w.browser
    qtbot.mouseClick(b.grid_button, Qt.MouseButton.LeftButton)
    assert b.view_name == "grid"
    grid, scrub = b.grid, b.scrub
    rec = max(w.clip_records(), key=lambda r: r.shot.end_frame - r.shot.start_frame)
    row = b.proxy.mapFromSource(w.model.index(w.model.row_of(rec.id), 0)).row()
    index = b.proxy.index(row, grid.modelColumn())
    grid.scrollTo(index)
    pic = poster_rect(grid.visualRect(index))
    qtbot.wait(50)
    poster = _pixels(grid, pic)
    start, end = rec.shot.start_frame, rec.shot.end_frame

    shown = {}
    for x in (pic.left() + 3, pic.right() - 3):
        QTest.mouseMove(grid.viewport(), QPoint(x, pic.center().y()))
        want = scrub_frame(start, end, (x - pic.left()) / pic.width())
        qtbot.waitUntil(lambda: scrub.view is not None and scrub.view.frame == want
                        and scrub.view.pixmap is not None, timeout=10000)
        assert scrub.view.shot_id == rec.id
        qtbot.wait(30)
        shown[want] = _pixels(grid, pic)
        assert shown[want] != poster                          # the card shows the hovered frame
    first, last = sorted(shown)
    assert first < last and shown[first] != shown[last]
    decoded = scrub.frames.decoded
    assert decoded >= 2                                       # on the scrub thread, not the GUI's

    QTest.mouseMove(grid.viewport(), QPoint(pic.left() + 3, pic.center().y()))   # cached: instant
    assert scrub.view.frame == first and scrub.view.pixmap is not None

    b.proxy.sort(COL_DURATION, Qt.SortOrder.AscendingOrder)   # rows move under the mouse:
    assert scrub.view is not None and scrub.view.shot_id == rec.id   # the shot keeps its frame
    assert scrub.row_of(rec.id) == b.proxy.mapFromSource(
        w.model.index(w.model.row_of(rec.id), 0)).row()
    b.reset_sort()
    grid.scrollTo(index)
    qtbot.wait(30)

    QTest.mouseMove(grid.viewport(), QPoint(pic.center().x(), pic.bottom() + 30))  # off the poster
    qtbot.waitUntil(lambda: scrub.view is None, timeout=2000)
    qtbot.wait(30)
    assert _pixels(grid, pic) == poster
