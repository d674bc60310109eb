"""The main window's reactions to analyses and the queue: shots and motion curves shown as an
analysis starts or ends, a notice per finished file, the status bar's progress, the engines' states,
the time display and the timeline's bands (colour, key name, tooltip)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable

import shiboken6

from camtag.ui.workers import run_in_thread

if TYPE_CHECKING:
    from camtag.ui.main_window import MainWindow


def bound(func: Callable[..., None], win: "MainWindow") -> Callable[..., None]:
    """``func(win, *args)`` as a slot that does nothing once the window is gone (a background
    worker or a longer-lived object may report after a window closed; a plain partial has no
    receiver for Qt to disconnect)."""
    def slot(*args) -> None:
        if shiboken6.isValid(win):
            func(win, *args)
    return slot


def analysis_started(win: "MainWindow", record) -> None:
    if record.media_id == win.media_id and record.id != win.scope.analysis_id:
        win.scope.show_media(win.media_id, record.id)


def analysis_finished(win: "MainWindow", record) -> None:
    if record.media_id != win.media_id:
        win.refresh_sidebar()
        return
    lib = win.bridge.lib
    media = lib.find_media(record.media_id) if lib else None
    if media is not None and media.info is not None:
        win.media = media.info
    win.scope.refresh_media_infos(override=(win.media_id, win.media))
    win.scope.show_media(win.media_id)
    win.load_curves()
    win.refresh_sidebar()


def file_finished(win: "MainWindow", path: str, status: str) -> None:
    win.progress.setVisible(win.queue.busy)
    if status in ("done", "up to date"):
        win.notify("info", f"{os.path.basename(path)}: analysis {status}.")
    elif status == "cancelled":
        win.notify("info", f"{os.path.basename(path)}: analysis stopped; Resume in the queue "
                           f"continues where it stopped.")
    if win.media is not None and os.path.abspath(path) == os.path.abspath(win.media.path):
        win.scope.show_media(win.media_id)
        win.load_curves()


def queue_progress(win: "MainWindow", row: int) -> None:
    busy = win.queue.busy
    win.progress.setVisible(busy)
    if busy and row == win.queue.running_row:
        item = win.queue.items[row]
        win.progress.setValue(int(1000 * win.queue.fractions.get(row, 0.0)))
        name = item.name if len(item.name) <= 28 else item.name[:12] + "…" + item.name[-14:]
        waiting = sum(1 for i in win.queue.items if i.status == "queued")   # not the running one
        win.progress.setFormat(f"{name}: %p%" + (f"  (+{waiting} queued)" if waiting else ""))


def engines_checked(win: "MainWindow", states: dict) -> None:
    win.engine_states = states
    win.queue_panel.set_engine_states(states)


def engine_changed(win: "MainWindow", name: str) -> None:
    win.settings.engine = name
    state = win.engine_states.get(name)
    if state and state != "ok":
        win.notify("warning", f"{name}: {state}. Analysis keeps geometric tags until that is fixed "
                              f"(Settings → Engine).")
    win.save()


def time_display_changed(win: "MainWindow", mode: str) -> None:
    win.settings.time_display = mode
    win.timeline.refresh_axis()


def load_curves(win: "MainWindow") -> None:
    lib, media_id = win.bridge.lib, win.media_id
    if lib is None or media_id is None:
        return
    media = lib.find_media(media_id)
    if media is None or media.current_analysis_id is None:
        return
    try:
        curves = lib.motion_curves(media.current_analysis_id)
    except Exception as exc:  # noqa: BLE001 - curves are a view; shots still work
        win.notify("warning", f"Motion curves could not be read ({exc}); shots are unaffected.")
        return
    if curves is not None and hasattr(curves, "to_arrays"):
        win.timeline.set_curves(curves)


def check_engines(win: "MainWindow") -> None:
    settings = win.settings.reasoner_settings()
    from camtag.ui.engines import engine_states

    win.keep_worker(run_in_thread(lambda: engine_states(settings),
                                   bound(engines_checked, win)))


def band_segments(win: "MainWindow", records) -> list[tuple[int, int, str, str, str]]:
    """The timeline's bands (start, end, colour, tag name, tooltip), following the editor: a
    segment whose tag was rejected takes the shot's leading tag (confirmed or added ones
    included) instead. The tooltip: tag name, range in timecode, confidence."""
    out = []
    tc = win.media.timecode if win.media is not None else str
    for r in records:
        effective = {t.id: t for t in r.shot.tags}
        lead = win.model.lead_tag(r)
        for g in r.shot.segments:
            tag = next((t for t in g.tags if t in effective), lead.id if lead else None)
            name = win.display_name(tag) if tag else "No move"
            conf = g.confidence if tag in g.tags else (
                effective[tag].confidence if tag in effective else 0.0)
            tip = f"{name} · {tc(g.start_frame)}–{tc(g.end_frame)} · confidence {conf:.0%}"
            out.append((g.start_frame, g.end_frame, win.color_of(tag) if tag else "#555555",
                        name, tip))
    return out
