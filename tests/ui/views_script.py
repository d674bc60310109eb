"""Saves PNGs of the app's main views (run on a real X server, e.g. Xvfb, by test_screenshots.py).

    python views_script.py OUT_DIR LIBRARY CLIP [WIDTHxHEIGHT]

With a size, the window fills a screen of that size (maximized: Xvfb has no window manager, so
the geometry is set to the screen's as well).
"""

from __future__ import annotations

import os
import sys
import time


def _wait(app, condition, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {condition}")
        app.processEvents()
        time.sleep(0.02)


def _settle(app, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(out: str, library: str, clip: str, size: str = "") -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from camtag.ui.app import build_window, create_application

    app = create_application()
    window = build_window(clip, library)
    if size:
        w, h = (int(v) for v in size.lower().split("x"))
        window.setGeometry(0, 0, w, h)
        window.showMaximized()
    else:
        window.resize(1440, 900)
        window.show()
    _wait(app, lambda: window.model.rowCount() > 1 and window.player.shown_index == 0
          and not window.queue.busy)
    _wait(app, lambda: window.timeline_ready() and window.timeline.items["pan"].xData is not None)
    window.activateWindow()
    window.raise_()
    _wait(app, window.isActiveWindow, 10)     # shortcuts need an active window
    _settle(app, 0.3)
    window.notifications.clear()
    QTest.keyClick(window, Qt.Key.Key_Down)
    QTest.keyClick(window, Qt.Key.Key_Down)
    for _ in range(12):
        QTest.keyClick(window, Qt.Key.Key_Right)
    QTest.keyClick(window, Qt.Key.Key_I)
    QTest.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(window, Qt.Key.Key_O)
    QTest.keyClick(window, Qt.Key.Key_C)
    target = window.player.position
    _wait(app, lambda: window.player_widget.view.index == target)
    _settle(app)
    window.grab().save(os.path.join(out, "main_table.png"))

    window.browser.set_view("grid")
    _settle(app)
    window.grab().save(os.path.join(out, "main_grid.png"))
    window.browser.set_view("table")

    window.search.field.setFocus()
    QTest.keyClicks(window.search.field, "handheld and (tilt_up or")
    _settle(app, 0.6)
    window.grab().save(os.path.join(out, "search_error.png"))
    window.search.field.clear()
    QTest.keyClicks(window.search.field, "static")
    QTest.keyClick(window.search.field, Qt.Key.Key_Return)
    _settle(app)
    window.grab().save(os.path.join(out, "search_results.png"))
    QTest.keyClick(window.search.field, Qt.Key.Key_Escape)

    window.tabs.setCurrentWidget(window.queue_panel)
    _wait(app, lambda: bool(window.engine_states), 60)
    _settle(app)
    window.grab().save(os.path.join(out, "queue.png"))
    window.tabs.setCurrentIndex(0)

    for name, open_dialog in (("export_dialog.png", window.show_export),
                              ("settings_dialog.png", window.show_settings),
                              ("cheat_sheet.png", window.show_cheat_sheet)):
        dialog = open_dialog()
        _settle(app, 0.5)
        dialog.grab().save(os.path.join(out, name))
        if name == "settings_dialog.png":
            for index, tab in ((1, "settings_engine.png"), (2, "settings_shortcuts.png")):
                dialog.tabs.setCurrentIndex(index)
                _settle(app, 0.3)
                dialog.grab().save(os.path.join(out, tab))
        dialog.close()
    print("saved", sorted(os.listdir(out)))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
