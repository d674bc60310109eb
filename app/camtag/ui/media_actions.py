"""Main-window actions that reach outside the window: opening media, export, settings.

Opening a file registers it in the library and probes it off the GUI thread, then shows it in
the player and queues its analysis (which resumes or is skipped when already done). A file that
cannot be read becomes a notification; nothing else is affected.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from camtag.library import LibraryError
from camtag.library.media_files import MEDIA_EXTENSIONS
from camtag.media.errors import MediaError
from camtag.ui.shot_model import SHOT_ROLE
from camtag.ui.workers import run_in_thread

if TYPE_CHECKING:
    from camtag.ui.main_window import MainWindow


def open_filter() -> str:
    """The Open dialog's filter: the same extensions a folder scan picks up, then any file."""
    return ("Media files (" + " ".join(f"*{e}" for e in sorted(MEDIA_EXTENSIONS)) + ");;"
            "All files (*)")


def open_paths(win: "MainWindow", paths: list[str]) -> None:
    files = [p for p in paths if os.path.isfile(p)]
    folders = [p for p in paths if os.path.isdir(p)]
    missing = [p for p in paths if not os.path.exists(p)]
    for p in missing:
        win.notify("error", f"{p} does not exist. Check the path (moved or unmounted?) and open it "
                            f"again with Ctrl+O.")
    if folders:
        added = win.queue.add_paths(folders)
        queued = [i for i in added if i.status in ("queued", "running")]   # the first one starts
        win.notify("info", f"{len(queued)} file(s) from "
                           f"{len(folders)} folder(s) queued for analysis.")
        win.tabs.setCurrentWidget(win.queue_panel)
    for i, path in enumerate(files):
        if i == 0:
            open_media_file(win, path, analyse=True)
        else:
            win.queue.add_paths([path])


def _prepare(lib, path: str):
    """Worker thread: register the file (re-linking a moved one) and get exact media info."""
    from camtag.media.probe import probe

    record, note = (None, "")
    if lib is not None:
        record, note = lib.add_media(path)
        if record.current_analysis_id is not None and record.info is not None:
            return record.info, record, note
    return probe(path), record, note


def open_media_file(win: "MainWindow", path: str, analyse: bool = True) -> None:
    path = os.path.abspath(path)
    lib = win.bridge.lib
    win.player_widget.view.clear(f"opening {os.path.basename(path)}…")

    def done(result) -> None:
        info, record, note = result
        if note:
            win.notify("info", note)
        win.settings.remember_file(path)
        win.show_media(info, record.id if record is not None else None)
        if analyse:
            win.queue.add_paths([path])

    def failed(exc: Exception) -> None:
        if isinstance(exc, MediaError):
            text = (f"{os.path.basename(path)} cannot be opened: {exc.reason}. Check that it plays "
                    f"in another player, or convert it (e.g. to H.264/ProRes in MOV/MP4).")
        elif isinstance(exc, LibraryError):
            text = f"{os.path.basename(path)}: library problem: {exc}. The clip was not opened."
        else:
            text = f"{os.path.basename(path)} cannot be opened ({type(exc).__name__}: {exc})."
        win.notify("error", text)
        win.clear_media()

    win.keep_worker(run_in_thread(lambda: _prepare(lib, path), done, failed))


def offline(win: "MainWindow", media) -> None:
    """A clip whose file moved or vanished: say so in place and offer Relink."""
    def relink() -> None:
        from PySide6.QtWidgets import QFileDialog

        start = os.path.dirname(media.path)
        path, _ = QFileDialog.getOpenFileName(win, f"Relink {media.name}",
                                              start if os.path.isdir(start) else "")
        if path:
            open_media_file(win, path, analyse=False)

    win.notifications.notify("warning", f"{media.name} is offline: {media.path} was moved or its "
                                        f"volume is not mounted. Its shots and tags are kept; Relink "
                                        f"points the library at the file's new place.",
                             action=("Relink…", relink))
    win.sidebar.set_offline(media.id, True)


def _export_sources(win: "MainWindow") -> dict:
    def media():
        if win.media is None or win.media_id is None:
            raise ValueError("no clip is open")
        return win.bridge.lib.analysis(win.media_id)

    def pairs(records):
        if not records:
            raise ValueError("no shots to export")
        out = []
        for r in records:
            info = win.scope.media_info(r.media_id)
            if info is None:
                raise ValueError(f"{os.path.basename(r.media_path)} has no finished analysis yet")
            out.append((info, r.shot))
        return out

    def results():
        proxy = win.browser.proxy
        return pairs([proxy.index(i, 0).data(SHOT_ROLE) for i in range(proxy.rowCount())])

    def selection():
        return pairs(win.browser.selected_records())

    return {"media": media, "results": results, "selection": selection}


def show_export(win: "MainWindow"):
    from camtag.ui.export_dialog import ExportDialog

    if win.media is not None:
        folder = os.path.dirname(win.media.path)
        stem = os.path.splitext(os.path.basename(win.media.path))[0]
    else:
        folder, stem = os.path.expanduser("~"), "camtag"
    if not os.access(folder, os.W_OK):              # e.g. footage on a read-only volume
        folder = os.path.expanduser("~")
    dialog = ExportDialog(_export_sources(win), folder, stem, win)
    if win.settings.last_export_format:
        dialog.select_format(win.settings.last_export_format)
    if win.settings.last_reel_source:
        dialog.select_reels(win.settings.last_reel_source)
    if win.scope.query:
        dialog.select_scope("results")

    def remember(_result) -> None:
        win.settings.last_export_format = dialog.format.currentData()
        win.settings.last_reel_source = dialog.reels.currentData() or "file"
        win.model.set_reel_source(win.settings.last_reel_source)     # the Reel column follows
        win.save()

    dialog.exported.connect(remember)
    dialog.exported.connect(lambda r: win.notify(
        "info", f"Exported {r.events} events to {', '.join(os.path.basename(p) for p in r.paths)}."))
    dialog.show()
    return dialog


def show_settings(win: "MainWindow"):
    from camtag.shots.base import available_detectors
    from camtag.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(win.settings, available_detectors(), win.engine_states, win)

    def accepted() -> None:
        old = win.settings
        new = dialog.result_settings()
        win.settings = new
        win.binder.apply_keys(dialog.key_map())
        win.queue_panel.set_engine(new.engine)
        if new.library_url != old.library_url:
            win.switch_library(new.library_url)
        if new.reasoner_settings() != old.reasoner_settings():
            win.check_engines()
        win.save()
        win.notify("info", "Settings saved.")

    dialog.accepted.connect(accepted)
    dialog.show()
    return dialog
