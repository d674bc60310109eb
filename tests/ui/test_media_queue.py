"""One list of media extensions: a folder scan picks up the GIFs that Ctrl+O offers; the queued
count (notice and status bar) counts the file that already started."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog


def _gif(path, frames: int, shade: int) -> None:
    image = pytest.importorskip("PIL.Image")
    pics = [image.new("RGB", (64, 48), (shade, (9 * i) % 255, 40)) for i in range(frames)]
    pics[0].save(path, save_all=True, append_images=pics[1:], duration=40, loop=0)


def test_folder_scan_takes_gifs_and_counts_the_running_file(make_window, tmp_path, qtbot,
                                                           monkeypatch):
    folder = tmp_path / "gifs"
    folder.mkdir()
    for n in range(3):
        _gif(folder / f"loop{n}.gif", 40, 60 * n)
    (folder / "notes.txt").write_text("not media")
    (tmp_path / "lib").mkdir()
    w = make_window(str(tmp_path / "lib" / "library.sqlite"))
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)

    seen = {}

    def open_files(parent, caption, start, filt="", *a, **k):
        seen["filter"] = filt
        return [], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(open_files))
    QTest.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert "*.gif" in seen["filter"] and "*.mp4" in seen["filter"]

    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(folder)))
    QTest.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert sorted(i.name for i in w.queue.items) == ["loop0.gif", "loop1.gif", "loop2.gif"]
    assert w.notifications.history[-1][2].startswith("3 file(s) from 1 folder(s) queued")
    qtbot.waitUntil(lambda: "queued)" in w.progress.format(), timeout=20000)
    waiting = sum(1 for i in w.queue.items if i.status == "queued")
    assert w.progress.format().endswith(f"(+{waiting} queued)") and waiting in (1, 2)
    qtbot.waitUntil(lambda: not w.queue.busy, timeout=60000)
    assert [i.status for i in w.queue.items] == ["done"] * 3
    assert len(w.bridge.lib.media()) == 3
