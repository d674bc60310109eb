"""Cross-clip work: "All shots" with clip and reel columns, a search across clips, a result in
another clip opening that clip at that shot with the result list kept, and a new clip starting
unfiltered and in order. Driven by mouse clicks and keys; asserts what is on screen."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from camtag.ui.shot_model import (COL_CLIP, COL_CONFIDENCE, COL_INDEX, COL_REEL, SHOT_ROLE)


def _type(widget, text: str) -> None:
    for ch in text:
        QTest.keyClick(widget, ch)


def _click_item(tree, item) -> None:
    rect = tree.visualItemRect(item)
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _shown(browser) -> list:
    proxy = browser.proxy
    return [proxy.index(r, 0).data(SHOT_ROLE) for r in range(proxy.rowCount())]


def test_result_in_another_clip_opens_there_and_keeps_the_list(two_clip_window, clip, qtbot):
    w = two_clip_window
    lib, browser, table = w.bridge.lib, w.browser, w.browser.table
    small_id = w.media_id
    big = lib.find_media(os.path.abspath(clip))
    big_shots = lib.shots(big)
    assert len(big_shots) > 3

    _click_item(w.sidebar, w.sidebar.all_item)                      # "All shots"
    qtbot.waitUntil(lambda: w.model.rowCount() == len(big_shots) + 1, timeout=5000)
    clips = {w.browser.proxy.index(r, COL_CLIP).data() for r in range(w.browser.proxy.rowCount())}
    assert clips == {os.path.basename(clip), "pyscenedetect_counter.mp4"}
    reels = {w.browser.proxy.index(r, COL_REEL).data() for r in range(w.browser.proxy.rowCount())}
    assert len(reels) == 2 and all(0 < len(r) <= 8 for r in reels)

    # a search across clips, in editor words; the count says how many of all
    QTest.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    _type(w.search.field, "static or shake")
    QTest.keyClick(w.search.field, Qt.Key.Key_Return)
    expected = lib.search_ids(w.search.translated)
    assert w.search.translated.startswith("static>=0.5 or ")
    results = _shown(browser)
    assert [r.id for r in results] == expected and len(results) >= 2
    assert browser.count.text() == f"{len(results)} of {len(big_shots) + 1} shots"

    # click a result from the other clip, not its first shot
    target = next(r for r in results if r.media_id == big.id and r.shot.index > 0)
    row = [r.id for r in _shown(browser)].index(target.id)
    rect = table.visualRect(browser.proxy.index(row, COL_INDEX))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: w.media_id == big.id and w.player.position == target.shot.start_frame,
                    timeout=5000)
    assert w.current_record().id == target.id and w.panel.record.id == target.id
    assert w.scope.kind == "all" and w.search.field.text() == "static or shake"
    assert [r.id for r in _shown(browser)] == expected                   # the list is kept
    assert browser.current_record().id == target.id
    assert [r.id for r in w.clip_records()] == [r.id for r in big_shots]  # the timeline's clip

    # sort by confidence, then open the small clip from the sidebar: unfiltered, in order
    header = table.horizontalHeader()
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + _section_center(header, COL_CONFIDENCE))
    assert header.sortIndicatorSection() == COL_CONFIDENCE
    item = next(w.sidebar.media_group.child(i) for i in range(w.sidebar.media_group.childCount())
                if w.sidebar.media_group.child(i).data(0, Qt.ItemDataRole.UserRole + 1) == small_id)
    _click_item(w.sidebar, item)
    qtbot.waitUntil(lambda: w.media_id == small_id and w.scope.kind == "media", timeout=5000)
    assert w.search.field.text() == "" and w.scope.query == ""
    assert browser.count.text() == "1 shot"
    assert header.sortIndicatorSection() == COL_INDEX
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder


def _section_center(header, col):
    from PySide6.QtCore import QPoint

    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    return QPoint(x, header.height() // 2)


def test_moved_file_is_offline_with_relink_and_failed_open_clears(two_clip_window, clip, qtbot,
                                                                  tmp_path):
    w = two_clip_window
    lib = w.bridge.lib
    big = lib.find_media(os.path.abspath(clip))
    # the library thinks the big clip lives somewhere it no longer is
    with lib.store.write() as tx:
        tx.execute("UPDATE media SET path = ? WHERE id = ?", (str(tmp_path / "gone.mp4"), big.id))
    w.refresh_sidebar()
    item = next(w.sidebar.media_group.child(i) for i in range(w.sidebar.media_group.childCount())
                if w.sidebar.media_group.child(i).data(0, Qt.ItemDataRole.UserRole + 1) == big.id)
    assert item.text(0).endswith("· offline")
    _click_item(w.sidebar, item)
    qtbot.waitUntil(lambda: any("offline" in n.text for n in w.notifications.visible_notices()),
                    timeout=3000)
    notice = next(n for n in w.notifications.visible_notices() if "offline" in n.text)
    assert notice.button is not None
    assert notice.button.text() == "Relink…"
    assert w.media_id != big.id                                          # nothing half-opened

    # a file that cannot be opened clears the previous clip's shots and tags from the screen
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    w.open_media_file(str(bad), analyse=False)
    qtbot.waitUntil(lambda: w.media is None, timeout=10000)
    assert w.model.rowCount() == 0 and w.panel.record is None
    assert w.windowTitle() == "camtag"


def test_workspace_is_restored_after_a_restart(two_clip_window, make_window, clip, tmp_path, qtbot):
    w = two_clip_window
    lib = w.bridge.lib
    big = lib.find_media(os.path.abspath(clip))
    _click_item(w.sidebar, w.sidebar.all_item)
    QTest.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    _type(w.search.field, "static")
    QTest.keyClick(w.search.field, Qt.Key.Key_Return)
    target = next(r for r in _shown(w.browser) if r.media_id == big.id and r.shot.index > 0)
    w.browser.shot_selected.emit(target)
    qtbot.waitUntil(lambda: w.current_record() is not None and w.current_record().id == target.id,
                    timeout=5000)
    w.splitter.setSizes([300, 100, 520])
    sizes = w.splitter.sizes()
    w.close()

    again = make_window(str(tmp_path / "two" / "library.sqlite"))
    assert again.scope.kind == "all" and again.search.field.text() == "static"
    assert again.media_id == big.id and again.player.position == target.shot.start_frame
    assert again.current_record().id == target.id
    assert again.browser.current_record().id == target.id               # a selection after restart
    assert again.splitter.sizes()[:2] == sizes[:2]                        # player and timeline
