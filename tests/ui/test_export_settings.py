"""The export dialog writes every registered format; settings and remapped keys survive a restart;
bad input becomes a notification and the app keeps working."""

from __future__ import annotations

import json
import os

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest


def test_export_dialog_writes_every_format(analysed_window, qtbot, tmp_path):
    from camtag.export import available_formats

    w = analysed_window
    dialog = w.show_export()
    qtbot.addWidget(dialog)
    formats = available_formats()
    assert dialog.format.count() == len(formats)
    for name, fmt in formats.items():
        dialog.select_format(name)
        target = tmp_path / f"out_{name}.{fmt.extension.lstrip('.')}"
        dialog.path.setText(str(target))
        dialog.export_button.click()
        qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10000)
        assert dialog.result.text().startswith("✓"), f"{name}: {dialog.result.text()}"
        assert target.is_file() and target.stat().st_size > 0, name
    edl = (tmp_path / "out_edl.edl").read_text()
    assert "FCM: NON-DROP FRAME" in edl
    assert edl.count(" C        ") == w.model.rowCount()        # one cut event per shot

    # the browser's search results only
    w.search.set_query("static")
    dialog.select_scope("results")
    dialog.select_format("csv")
    dialog.path.setText(str(tmp_path / "static.csv"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10000)
    rows = (tmp_path / "static.csv").read_text().strip().splitlines()
    assert len(rows) == w.browser.proxy.rowCount() > 0   # start,end,label: one line per shot

    # a bad record start is refused in the dialog, in one line
    dialog.record_start.setText("25:99:00:00")
    dialog.export_button.click()
    assert dialog.result.text().startswith("✖ Not exported: record start")


def test_bad_media_and_bad_library_notify_and_app_keeps_working(make_window, tmp_path, qtbot, clip):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    w = make_window(str(blocker / "lib.sqlite"))
    errors = [t for _ts, level, t in w.notifications.history if level == "error"]
    assert errors and "could not be opened" in errors[0] and "temporary library" in errors[0]
    assert w.bridge.temporary and w.bridge.lib is not None

    fake = tmp_path / "broken.mp4"
    fake.write_bytes(b"this is not a video" * 100)
    w.open_paths([str(fake), str(tmp_path / "missing.mov")])
    qtbot.waitUntil(lambda: sum(1 for _t, lvl, _x in w.notifications.history if lvl == "error") >= 3,
                    timeout=10000)
    texts = " | ".join(t for _ts, _l, t in w.notifications.history)
    assert "missing.mov does not exist" in texts
    assert "broken.mp4 cannot be opened" in texts
    assert w.notifications.visible_notices()

    # still working: the real clip opens and plays
    w.open_paths([clip])
    qtbot.waitUntil(lambda: w.player.shown_index == 0, timeout=20000)
    QTest.keyClick(w, Qt.Key.Key_Right)
    assert w.player.position == 1


def test_settings_and_remapped_keys_persist(make_window, library_copy, config_dir, qtbot):
    w = make_window(library_copy)
    dialog = w.show_settings()
    qtbot.addWidget(dialog)
    first = dialog.key_edits["step.forward"][0]
    from PySide6.QtGui import QKeySequence

    first.setKeySequence(QKeySequence("Ctrl+Right"))
    dialog.sensitivity.setValue(1.7)
    dialog.accept()
    saved = json.loads(open(os.path.join(config_dir, "app.json")).read())
    assert saved["sensitivity"] == 1.7
    assert saved["shortcuts"]["step.forward"] == ["Ctrl+Right", "."]
    assert w.binder.keys["step.forward"] == ("Ctrl+Right", ".")
    sheet = w.show_cheat_sheet()
    qtbot.addWidget(sheet)
    assert "Ctrl+Right" in sheet.browser.toPlainText()
    w.close()

    again = make_window(library_copy)
    assert again.settings.sensitivity == 1.7
    assert again.binder.keys["step.forward"] == ("Ctrl+Right", ".")
    assert [s.toString() for s in again.binder["step.forward"].shortcuts()] == ["Ctrl+Right", "."]


def test_model_engine_without_model_keeps_geometry_and_says_why(make_window, library_copy, clip,
                                                               qtbot):
    w = make_window(library_copy)
    qtbot.waitUntil(lambda: bool(w.engine_states), timeout=30000)
    assert w.engine_states["geometry"] == "ok"
    assert w.engine_states["llamacpp"] != "ok"          # no GGUF on this machine
    w.queue_panel.engine.setCurrentIndex(w.queue_panel.engine.findData("llamacpp"))
    assert w.settings.engine == "llamacpp"
    assert "unavailable" in w.queue_panel.engine_state.text()
    w.open_paths([clip])
    qtbot.waitUntil(lambda: bool(w.queue.items)
                    and w.queue.items[-1].status in ("done", "up to date"), timeout=30000)
    warnings = [t for _ts, level, t in w.notifications.history if level == "warning"]
    assert any("No usable model engine" in t and "geometric tags" in t for t in warnings), warnings
    assert w.model.rowCount() > 1 and all(r.shot.tags for r in w.model.records())


def test_drop_a_folder_queues_its_media(make_window, library_copy, clip, tmp_path, qtbot):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    folder = tmp_path / "card"
    (folder / "sub").mkdir(parents=True)
    os.symlink(clip, folder / "sub" / "A001.mp4")
    (folder / "notes.txt").write_text("not media")
    w = make_window(library_copy)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    w.queue_panel.dropEvent(event)
    assert [os.path.basename(i.path) for i in w.queue.items] == ["A001.mp4"]
    qtbot.waitUntil(lambda: w.queue.busy or w.queue.items[0].status != "queued", timeout=10000)
    w.binder.trigger("queue.cancel")
    qtbot.waitUntil(lambda: not w.queue.busy, timeout=30000)
    # the link points at the clip the library already holds: links are one media record
    assert w.queue.items[0].status == "up to date"
