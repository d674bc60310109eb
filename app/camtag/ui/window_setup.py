"""The main window's construction: toolbar, splitters and status bar; the signal wiring between
its parts; and the action table's handlers (one place that says what each key does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QGraphicsItem, QLabel, QProgressBar, QSplitter,
                               QTabWidget, QToolBar, QVBoxLayout, QWidget)

from camtag.ui import window_events
from camtag.ui.resources import icon
from camtag.ui.shortcuts import HoldTracker
from camtag.ui.timeline_slot import import_pyqtgraph

if TYPE_CHECKING:
    from camtag.ui.main_window import MainWindow


def build_layout(win: "MainWindow") -> None:
    bar = QToolBar("Main", win)
    bar.setObjectName("mainToolbar")
    bar.setMovable(False)
    for action_id, name in (("file.open", "add-file"), ("file.add_folder", "add-folder")):
        win.binder[action_id].setIcon(icon(name))
        bar.addAction(win.binder[action_id])
    bar.addSeparator()
    bar.addWidget(win.search)
    bar.addSeparator()
    for action_id, name in (("edit.undo", "undo"), ("edit.redo", "redo"),
                            ("file.export", "export"), ("app.settings", "settings"),
                            ("app.cheat_sheet", "help")):
        win.binder[action_id].setIcon(icon(name))
        bar.addAction(win.binder[action_id])
    win.addToolBar(bar)

    top = win.top_splitter = QSplitter(Qt.Orientation.Horizontal, win)
    top.addWidget(win.sidebar)
    top.addWidget(win.player_widget)
    top.addWidget(win.panel)
    top.setStretchFactor(1, 1)
    top.setSizes([230, 860, 380])
    win.tabs = QTabWidget(win)
    win.tabs.addTab(win.browser, "Shots")
    win.tabs.addTab(win.queue_panel, "Analysis queue")
    win.splitter = QSplitter(Qt.Orientation.Vertical, win)
    win.splitter.addWidget(top)
    win.splitter.addWidget(win.timeline)          # a stand-in until the first paint
    win.splitter.addWidget(win.tabs)
    win.splitter.setSizes([470, 150, 300])
    win.splitter.setStretchFactor(0, 5)            # a small screen keeps table rows visible
    win.splitter.setStretchFactor(1, 1)
    win.splitter.setStretchFactor(2, 4)
    central = QWidget(win)
    layout = QVBoxLayout(central)
    layout.setContentsMargins(4, 2, 4, 2)
    layout.setSpacing(2)
    layout.addWidget(win.notifications)
    layout.addWidget(win.splitter, 1)
    win.setCentralWidget(central)
    win.status_label = QLabel("", win)
    win.progress = QProgressBar(win)
    win.progress.setMinimumWidth(340)           # room for "name: 42%  (+3 queued)"
    win.progress.setMaximumWidth(440)
    win.progress.setRange(0, 1000)
    win.progress.hide()
    win.statusBar().addWidget(win.status_label, 1)
    win.statusBar().addPermanentWidget(win.progress)
    win.resize(1440, 920)


def connect(win: "MainWindow") -> None:
    p = win.player
    p.position_changed.connect(win.on_position)
    p.state_changed.connect(lambda: win.timeline.set_marks(p.mark_in, p.mark_out))
    p.failed.connect(lambda text: win.notify("warning", f"Playback: {text}"))
    win.player_widget.time_display_changed.connect(window_events.bound(window_events.time_display_changed, win))
    win.browser.shot_selected.connect(win.go_to_shot)
    win.browser.menu_requested.connect(win.review.show_menu)
    win.scope.records_changed.connect(win.records_changed)
    win.scope.results_changed.connect(win.results_changed)
    win.scope.search_failed.connect(lambda text: win.notify("warning", f"Search: {text}"))
    win.search.query_changed.connect(win.scope.set_query)
    win.search.save_requested.connect(win.ops.save_search)
    win.sidebar.scope_selected.connect(win.scope_selected)
    win.sidebar.delete_requested.connect(win.ops.delete_collection)
    win.panel.confirm_requested.connect(win.ops.confirm)
    win.panel.reject_requested.connect(win.ops.reject)
    win.panel.add_requested.connect(win.ops.add_tag)
    win.panel.note_requested.connect(win.ops.edit_note)
    win.bridge.media_changed.connect(lambda _ids: win.refresh_sidebar())
    win.bridge.collections_changed.connect(lambda _n: win.refresh_sidebar())
    win.bridge.analysis_started.connect(window_events.bound(window_events.analysis_started, win))
    win.bridge.analysis_finished.connect(window_events.bound(window_events.analysis_finished, win))
    win.bridge.undo_changed.connect(win.ops.undo_changed)
    win.bridge.changed_externally.connect(win.scope.reload)
    win.queue.notice.connect(win.notify)
    win.queue.item_changed.connect(window_events.bound(window_events.queue_progress, win))
    win.queue.file_finished.connect(window_events.bound(window_events.file_finished, win))
    win.queue_panel.add_files_requested.connect(win.choose_files)
    win.queue_panel.add_folder_requested.connect(win.choose_folder)
    win.queue_panel.engine_changed.connect(window_events.bound(window_events.engine_changed, win))


def install_timeline(win: "MainWindow") -> None:
    """The motion timeline (pyqtgraph, ~0.4 s to import cold), built after the first paint: it
    is told what its stand-in was told and takes its place in the splitter."""
    import_pyqtgraph()
    from camtag.ui.timeline import MotionTimeline

    slot = win.timeline
    timeline = MotionTimeline(win)
    # pyqtgraph replays each axis' QPicture on every repaint of the view (~25 ms a frame on a busy
    # machine, e.g. for each playhead move); a cached pixmap is redrawn only when the axis changes
    for axis in timeline.plot.getPlotItem().axes.values():
        axis["item"].setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    p = win.player
    timeline.seek_requested.connect(lambda f: (p.pause(), p.seek(f)))
    slot.replay(timeline)
    index = win.splitter.indexOf(slot)
    if index >= 0:
        win.splitter.replaceWidget(index, timeline)       # same size as the stand-in
    win.timeline = timeline
    slot.deleteLater()


def bind_actions(win: "MainWindow") -> None:
    b, p = win.binder, win.player
    handlers = {
        "play.toggle": p.toggle_play, "play.reverse": p.shuttle_reverse,
        "play.stop": p.pause, "play.forward": p.shuttle_forward,
        "play.reverse_slow": lambda: p.shuttle_reverse(slow=True),
        "play.forward_slow": lambda: p.shuttle_forward(slow=True),
        "play.in_out": p.play_in_out,
        "step.back": lambda: p.step(-1), "step.forward": lambda: p.step(1),
        "step.back_second": lambda: p.step_seconds(-1),
        "step.forward_second": lambda: p.step_seconds(1),
        "shot.previous": p.previous_shot, "shot.next": p.next_shot,
        "go.start": p.go_start, "go.end": p.go_end,
        "mark.in": p.set_in, "mark.out": p.set_out, "mark.clear": p.clear_marks,
        "mark.shot": lambda: mark_shot(win), "go.timecode": win.player_widget.start_goto,
        "view.fit_timeline": lambda: win.timeline.fit(),
        "time.cycle": win.player_widget.cycle_time_display,
        "tag.confirm": win.review.confirm, "tag.reject": win.review.reject,
        "tag.swap_opposite": lambda: win.review.replace("opposite"),
        "tag.swap_twin": lambda: win.review.replace("confusable"),
        "review.start": win.review.start, "review.stop": win.review.stop,
        "tag.add": win.panel.start_add, "tag.previous": lambda: win.panel.move_highlight(-1),
        "tag.next": lambda: win.panel.move_highlight(1), "shot.note": win.panel.start_note,
        "shot.split": win.ops.split_shot, "shot.merge": win.ops.merge_shot,
        "edit.undo": win.ops.undo, "edit.redo": win.ops.redo,
        "search.focus": win.search.focus, "view.toggle_grid": win.browser.toggle_view,
        "file.open": win.choose_files, "file.add_folder": win.choose_folder,
        "file.export": win.show_export, "queue.cancel": win.queue.cancel,
        "app.settings": win.show_settings, "app.cheat_sheet": win.show_cheat_sheet,
        "app.quit": win.close,
    }
    for action_id, handler in handlers.items():
        b.bind(action_id, handler)
    b["edit.undo"].setEnabled(False)
    b["edit.redo"].setEnabled(False)
    win.k_hold = HoldTracker(b, "play.stop", lambda held: setattr(p, "k_held", held), win)
    QApplication.instance().installEventFilter(win.k_hold)


def mark_shot(win: "MainWindow") -> None:
    """In and out on the shot at the playhead (X, as an NLE marks a clip)."""
    rec = win.current_record()
    if rec is not None:
        p = win.player
        p.mark_in, p.mark_out = rec.shot.start_frame, rec.shot.end_frame - 1
        p.state_changed.emit()


def cheat_sheet(win: "MainWindow"):
    """The shortcut sheet (?), shown beside the window; imported on first use."""
    from camtag.ui.cheat_sheet import CheatSheet

    sheet = CheatSheet(win.binder.keys, win)
    sheet.show()
    return sheet
