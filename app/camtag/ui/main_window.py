"""The main window: lays out the player, timeline, browser, reasoning panel, sidebar and queue,
and wires them to the library, the analysis queue and the action table.

Layout: toolbar (open, search, export, settings, ?), notifications, then a vertical splitter:
[sidebar | player | reasoning panel] over the motion timeline over [Shots | Queue] tabs.
Construction and wiring live in window_setup, reactions to analyses and the queue in
window_events, editor operations in editing, dialogs and opening media in media_actions.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QApplication, QFileDialog, QMainWindow, QWidget)

from camtag.library import LibraryError, ShotRecord
from camtag.model import MediaInfo
from camtag.taxonomy import translate_query
from camtag.timebase import nominal_fps
from camtag.ui import media_actions, window_events, window_setup, workspace
from camtag.ui.analysis_queue import AnalysisQueue
from camtag.ui.library_bridge import LibraryBridge
from camtag.ui.notifications import NotificationArea
from camtag.ui.player import PlayerController
from camtag.ui.player_widget import PlayerWidget
from camtag.ui.queue_panel import QueuePanel
from camtag.ui.reasoning_panel import ReasoningPanel
from camtag.ui.editing import EditorOps
from camtag.ui.resources import icon
from camtag.ui.review import ReviewController
from camtag.ui.search_bar import SearchBar, search_completions
from camtag.ui.settings import AppSettings, save_settings
from camtag.ui.shortcuts import ActionBinder
from camtag.ui.shot_browser import ShotBrowser
from camtag.ui.shot_model import ShotTableModel
from camtag.ui.shot_scope import ShotScope
from camtag.ui.sidebar import Sidebar
from camtag.ui.timeline_slot import TimelineSlot
from camtag.ui.workers import wait_for_workers

if TYPE_CHECKING:
    from camtag.ui.timeline import MotionTimeline


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings, library_url: Optional[str] = None,
                 taxonomy=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("camtag")
        self.setWindowIcon(icon("camtag"))
        self.setAcceptDrops(True)
        self.settings = settings
        self.taxonomy = taxonomy
        self.media: Optional[MediaInfo] = None
        self.media_id: Optional[int] = None
        self.engine_states: dict[str, str] = {}
        self._starts: list[int] = []
        self._media_records: list[ShotRecord] = []
        self._current_shot: Optional[int] = None
        self._jump: Optional[ShotRecord] = None      # a result in another clip, shown once it opens
        self._workers: list = []

        self.binder = ActionBinder(self, settings.shortcuts)
        self.notifications = NotificationArea(self)
        self.bridge = LibraryBridge(self)
        self.player = PlayerController(self)
        self.player_widget = PlayerWidget(self.player, self.binder, settings.time_display, self)
        self.model = ShotTableModel(lambda mid: self.scope.media_info(mid), self.color_of, self,
                                    taxonomy)
        self.model.set_reel_source(settings.last_reel_source or "file")
        self.browser = ShotBrowser(self.model, self)
        self.scope = ShotScope(self.bridge, self.model, self.browser.proxy, self)
        self.timeline: TimelineSlot | MotionTimeline = TimelineSlot(
            lambda: window_setup.install_timeline(self), self)    # built after the first paint
        self.panel = ReasoningPanel(self.tag_ids(), self.color_of, self, self.model)
        self.sidebar = Sidebar(self)
        self.search = SearchBar(self.check_query, self, self.translate, search_completions(taxonomy))
        self.review = ReviewController(self)
        self.ops = EditorOps(self)
        self.queue = AnalysisQueue(lambda: self.bridge.lib, lambda: self.settings, self)
        self.queue_panel = QueuePanel(self.queue, self)
        self.queue_panel.set_engine(settings.engine)
        window_setup.build_layout(self)
        window_setup.connect(self)
        window_setup.bind_actions(self)
        self.browser.set_view(settings.browser_view)
        self.open_library(library_url if library_url is not None else settings.library_url)
        self._sized = workspace.restore_layout(self)
        QTimer.singleShot(1500, self.check_engines)    # well after the first paint: it imports
                                                        # the model runtimes (GIL-heavy)

    # -- helpers ---------------------------------------------------------------------------------
    def color_of(self, tag: str) -> str:
        return self.taxonomy.color(tag) if self.taxonomy is not None else "#808080"

    def display_name(self, tag: str) -> str:
        return self.taxonomy.display_name(tag) if self.taxonomy is not None else tag

    def tag_ids(self) -> list[str]:
        return self.taxonomy.ids() if self.taxonomy is not None else []

    def timeline_ready(self) -> bool:
        """Whether the motion timeline replaced its stand-in (after the first paint)."""
        return not isinstance(self.timeline, TimelineSlot)

    def notify(self, level: str, text: str) -> None:
        self.notifications.notify(level, text)
        self.status_label.setText(text if len(text) < 160 else text[:157] + "…")

    def check_query(self, query: str) -> None:
        if self.bridge.lib is not None:
            self.bridge.lib.check_query(query)

    def translate(self, text: str):
        return translate_query(text, self.taxonomy) if self.taxonomy is not None else None

    # -- library ---------------------------------------------------------------------------------
    def open_library(self, url: Optional[str]) -> None:
        self.bridge.open(url or None)
        if self.bridge.problem:
            self.notify("error", self.bridge.problem)
        self.refresh_sidebar()
        self.scope.show_media(self.media_id)

    def switch_library(self, url: Optional[str]) -> None:
        """Open another library; a running analysis is stopped first (it stays resumable)."""
        if self.queue.busy:
            if self.queue.job is not None and not self.queue.job.cancelling:
                self.notify("info", "Stopping the running analysis to switch library; Resume "
                                    "continues it later.")
                self.queue.cancel()
            QTimer.singleShot(200, lambda: self.switch_library(url))
            return
        self.open_library(url)
        if self.media is not None:
            self.open_media_file(self.media.path, analyse=False)

    def refresh_sidebar(self) -> None:
        lib = self.bridge.lib
        if lib is None:
            return
        try:
            media = lib.media()
            collections = lib.collections()
            counts = {}
            for c in collections:
                try:
                    counts[c.name] = lib.count(self.sidebar.collection_query(c.name))
                except Exception:  # noqa: BLE001 - a broken saved query shows without a count
                    pass
        except LibraryError as exc:
            self.notify("warning", f"Library: {exc}")
            return
        self.scope.refresh_media_infos(override=(self.media_id, self.media)
                                       if self.media_id and self.media else None, media=media)
        self.sidebar.set_media(media, self.media_id)
        self.sidebar.set_collections(collections, counts)

    def scope_selected(self, kind: str, value) -> None:
        self.review.stop()
        if kind == "all":
            self.scope.show_all()
            self.browser.reset_sort()
        elif kind == "collection":
            self.scope.show_collection(value)
            self.browser.reset_sort()
        elif kind == "media":
            media = self.bridge.lib.find_media(int(value)) if self.bridge.lib else None
            if media is not None and not os.path.exists(media.path):
                media_actions.offline(self, media)
            elif media is not None:
                self.open_media_file(media.path, analyse=False)

    # -- media -----------------------------------------------------------------------------------
    def open_paths(self, paths: list[str]) -> None:
        """Queue files and folders for analysis; show the first file in the player."""
        media_actions.open_paths(self, paths)

    def open_media_file(self, path: str, analyse: bool = True) -> None:
        media_actions.open_media_file(self, path, analyse)

    def show_media(self, info: MediaInfo, media_id: Optional[int], keep_scope: bool = False) -> None:
        """Called on the GUI thread once the clip is probed. Opening a clip shows its shots,
        unfiltered and in order; jumping to a search result keeps the result list."""
        jump, self._jump = self._jump, None
        if jump is not None and jump.media_id != media_id:
            jump = None
        self.media, self.media_id = info, media_id
        self._starts, self._media_records, self._current_shot = [], [], None   # not the last clip's
        self.player.open(info)
        if jump is not None:
            self.player.seek(jump.shot.start_frame)     # the shot is found once the rows are in
        self.player_widget.view.clear("loading…")
        self.timeline.set_media(info.frames)
        self.timeline.set_formatter(lambda f: self.player.time_text(f, self.player_widget.time_display),
                                    nominal_fps(info.rate), info.start_frame)
        self.timeline.set_curves(None, "motion curves appear when the analysis has finished")
        if media_id is not None:
            self.scope.set_media_info(media_id, info)
        if (jump is None and not keep_scope) or self.scope.kind == "media":
            if self.scope.kind != "media" or self.scope.value != media_id:
                self.search.set_query("")           # a new clip starts unfiltered, in order
                self.browser.reset_sort()
            self.scope.show_media(media_id)
        else:
            self.records_changed(None)
        self.load_curves()
        self.setWindowTitle(f"camtag — {os.path.basename(info.path)}")
        if media_id is not None and self.scope.kind == "media":
            self.sidebar.select_media(media_id)
        if jump is not None:
            self.go_to_shot(jump)
            self.browser.select_shot(jump.id)

    def clear_media(self) -> None:
        """A failed open: nothing of the previous clip stays on screen as if it were this one."""
        self._jump = None
        self.player.pause()
        self.media, self.media_id = None, None
        self.player_widget.view.clear("Open a clip (Ctrl+O) or drop files here")
        self.timeline.set_boundaries([])
        self.timeline.set_segments([])
        self.timeline.set_curves(None, "")
        if self.scope.kind == "media":
            self.scope.show_media(None)
        self.panel.show_shot(None, None)
        self.setWindowTitle("camtag")

    def clip_records(self) -> list[ShotRecord]:
        """The open clip's shots, whatever the browser shows (a search, another clip's collection)."""
        if self.media_id is None:
            return []
        if self.scope.kind == "media" and self.scope.value == self.media_id and not self.scope.query:
            return self.model.records()             # the clip's rows, already read
        lib = self.bridge.lib
        media = lib.find_media(self.media_id) if lib is not None else None
        try:
            return lib.shots(media) if media is not None else []
        except LibraryError:
            return []

    def records_changed(self, _ids) -> None:
        records = self.clip_records()
        self._media_records = records
        self._starts = [r.shot.start_frame for r in records]
        self.player.set_shot_starts(self._starts)
        self.timeline.set_boundaries([s for s in self._starts if s > 0])
        self.timeline.set_segments(self.band_segments(records))
        self._current_shot = None
        self.on_position(self.player.position)

    def band_segments(self, records) -> list[tuple[int, int, str, str, str]]:
        return window_events.band_segments(self, records)

    def results_changed(self) -> None:
        self._current_shot = None               # re-select the playhead's shot if it is shown
        self.on_position(self.player.position)

    # -- position <-> shots ----------------------------------------------------------------------
    def on_position(self, frame: int) -> None:
        self.timeline.set_position(frame, follow=True)
        i = bisect_right(self._starts, frame) - 1
        records = self._media_records
        rec = records[i] if 0 <= i < len(records) else None
        shot_id = rec.id if rec is not None else None
        if shot_id != self._current_shot:
            self._current_shot = shot_id
            if rec is not None:
                self.browser.select_shot(rec.id)
            self.panel.show_shot(rec, self.media)

    def go_to_shot(self, rec: ShotRecord) -> None:
        if rec.media_id != self.media_id:          # a result in another clip: open it there
            lib = self.bridge.lib
            media = lib.find_media(rec.media_id) if lib else None
            if media is None:
                return
            self._jump = rec
            if not os.path.exists(media.path):
                self._jump = None
                media_actions.offline(self, media)
            elif media.info is not None and media.current_analysis_id is not None:
                self.settings.remember_file(media.path)
                self.show_media(media.info, media.id, keep_scope=True)   # known: no probe
            else:
                self.open_media_file(media.path, analyse=False)
            return
        self.player.pause()
        self.player.seek(rec.shot.start_frame)
        if self.panel.record is None or self.panel.record.id != rec.id:
            self.panel.show_shot(rec, self.media)

    def jump_after_open(self, rec: ShotRecord) -> None:
        """Show ``rec`` once its clip opens, keeping the browser's scope and search."""
        self._jump = rec

    def current_record(self) -> Optional[ShotRecord]:
        if self._current_shot is None:
            return None
        row = self.model.row_of(self._current_shot)
        return self.model.record(row) if row is not None else None

    # -- dialogs and settings (see media_actions) ------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open media", os.path.dirname(
            self.settings.recent_files[0]) if self.settings.recent_files else "",
            media_actions.open_filter())
        if paths:
            self.open_paths(paths)

    def choose_folder(self) -> None:
        if path := QFileDialog.getExistingDirectory(self, "Add a folder to the analysis queue"):
            self.open_paths([path])

    def show_export(self):
        return media_actions.show_export(self)

    def show_settings(self):
        return media_actions.show_settings(self)

    def show_cheat_sheet(self):
        return window_setup.cheat_sheet(self)

    def check_engines(self) -> None:
        window_events.check_engines(self)

    def load_curves(self) -> None:
        window_events.load_curves(self)

    def keep_worker(self, worker) -> None:
        """Hold a reference while a short worker runs (its results arrive as queued signals)."""
        self._workers = self._workers[-31:] + [worker]

    # -- drag and drop, closing ------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths)
            event.acceptProposedAction()

    def showEvent(self, event) -> None:  # noqa: N802 - first show: share the height by ratio
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            workspace.share_height(self)

    def restore_workspace(self) -> None:
        """Back to where the editor left: the clip, the scope, the search and the shot."""
        workspace.restore(self)

    def save(self) -> None:
        workspace.remember(self)
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.notify("warning", f"Settings could not be saved ({exc}); they apply to this session.")

    def changeEvent(self, event) -> None:  # noqa: N802 - a K released elsewhere is not held
        if event.type() == event.Type.ActivationChange and not self.isActiveWindow():
            self.player.k_held = False
        super().changeEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        QApplication.instance().removeEventFilter(self.k_hold)
        self.save()
        self.ops.runner.finish()                    # the last edits are applied, not dropped
        self.queue.cancel()
        self.player.close()
        wait_for_workers(10000)
        self.bridge.close()
        super().closeEvent(event)

