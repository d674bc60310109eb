"""The workspace as the editor left it: window geometry, splitters, the open clip, the browser's
scope and search, and the selected shot; saved on close, restored on the next start.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from camtag.ui.media_actions import offline, open_media_file

if TYPE_CHECKING:
    from camtag.ui.main_window import MainWindow

SPLIT = (0.44, 0.15, 0.41)                  # player, timeline, browser: a 720p screen keeps rows


def _splitters(win: "MainWindow"):
    return (("main", win.splitter), ("top", win.top_splitter))


def restore_layout(win: "MainWindow") -> bool:
    """Geometry and splitters; True when the splitters came from the settings."""
    s = win.settings
    if s.window_geometry:
        win.restoreGeometry(QByteArray.fromHex(s.window_geometry.encode()))
    restored = False
    for name, splitter in _splitters(win):
        state = s.splitters.get(name)
        if isinstance(state, str) and state:
            splitter.restoreState(QByteArray.fromHex(state.encode()))
            restored = True
    return restored


def share_height(win: "MainWindow") -> None:
    h = max(300, win.splitter.height())
    win.splitter.setSizes([int(h * f) for f in SPLIT])


def remember(win: "MainWindow") -> None:
    s = win.settings
    s.browser_view = win.browser.view_name
    s.time_display = win.player_widget.time_display
    s.window_geometry = bytes(win.saveGeometry().toHex()).decode()
    s.splitters = {name: bytes(sp.saveState().toHex()).decode() for name, sp in _splitters(win)}
    rec = win.current_record()
    s.last_media = win.media.path if win.media is not None else ""
    s.last_scope = win.scope.kind
    s.last_collection = str(win.scope.value) if win.scope.kind == "collection" else ""
    s.last_query = win.search.field.text().strip() if win.search.valid else ""
    s.last_shot = rec.id if rec is not None else 0


def restore(win: "MainWindow") -> None:
    s, lib = win.settings, win.bridge.lib
    if lib is None:
        return
    media = lib.find_media(s.last_media) if s.last_media else None
    shots = lib.get_shots([s.last_shot]) if s.last_shot else []
    if s.last_scope == "all":                       # the scope first: the clip opens inside it
        win.scope.show_all()
        win.sidebar.setCurrentItem(win.sidebar.all_item)
    elif s.last_scope == "collection" and s.last_collection:
        win.scope.show_collection(s.last_collection)
    if media is not None and not os.path.exists(media.path):
        offline(win, media)
    elif media is not None and media.info is not None:
        if shots and shots[0].media_id == media.id:
            win.jump_after_open(shots[0])
        win.show_media(media.info, media.id, keep_scope=s.last_scope != "media")
    elif s.last_media and os.path.exists(s.last_media):
        open_media_file(win, s.last_media, analyse=False)
    if s.last_query:
        win.search.set_query(s.last_query)
