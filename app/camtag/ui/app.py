"""Starting the desktop app: the QApplication, the theme, the main window, and the headless
screenshot mode (``camtag app CLIP --screenshot out.png``) for machines without a screen."""

from __future__ import annotations

import os
import sys
import time
from typing import Optional

# Core modules first: PySide6 installs an import hook that inspects every module imported after
# it (about 0.3 ms each), so importing the Qt-free parts before Qt shortens the start.
import numpy  # noqa: E402,F401  isort: skip
import camtag.library  # noqa: E402,F401  isort: skip
import camtag.media.probe  # noqa: E402,F401  isort: skip
import camtag.taxonomy  # noqa: E402,F401  isort: skip
import camtag.export  # noqa: E402,F401  isort: skip
import camtag.runs  # noqa: E402,F401  isort: skip
import camtag.runs.whole  # noqa: E402,F401  isort: skip
import camtag.runs.queue  # noqa: E402,F401  isort: skip

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from camtag.ui.resources import icon, stylesheet
from camtag.ui.settings import load_settings
from camtag.ui.shortcuts import TypingGuard


def binding_problem() -> str:
    """PySide6 6.12.0 drops a reference to None on every call of a void method on Python < 3.12
    (None is not immortal there), which crashes a long session with "deallocating None"."""
    import PySide6

    version = tuple(int(x) for x in PySide6.__version__.split(".")[:3] if x.isdigit())
    if version[:2] == (6, 12) and sys.version_info < (3, 12):
        return (f"PySide6 {PySide6.__version__} on Python {sys.version_info[0]}.{sys.version_info[1]} "
                f"has a reference-count bug that can crash the app after a while; install "
                f"PySide6-Essentials 6.11 (pip install 'PySide6-Essentials<6.12') or use Python ≥ 3.12.")
    return ""


def create_application(argv: Optional[list[str]] = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName("camtag")
    app.setOrganizationName("camtag")
    app.setWindowIcon(icon("camtag"))
    app.setStyle("Fusion")
    app.setStyleSheet(stylesheet("dark"))
    if not getattr(app, "_camtag_guard", None):
        app._camtag_guard = TypingGuard(app)
        app.installEventFilter(app._camtag_guard)
    return app


def build_window(path: Optional[str] = None, library_url: Optional[str] = None):
    """The main window (not yet shown), opening ``path`` once the event loop runs."""
    from camtag.taxonomy import TaxonomyError, load_taxonomy

    from camtag.ui.main_window import MainWindow

    settings, note = load_settings()
    taxonomy, problem = None, ""
    try:
        taxonomy = load_taxonomy()
    except TaxonomyError as exc:
        problem = f"Tag colours and names unavailable ({exc}); tags still work."
    window = MainWindow(settings, library_url, taxonomy)
    for text in (note, problem, binding_problem()):
        if text:
            window.notify("warning", text)
    if path:
        QTimer.singleShot(0, lambda: window.open_paths([path]))
    else:
        window.restore_workspace()
    return window


def _screenshot_when_done(app: QApplication, window, out: str, timeout_s: float) -> None:
    start = time.monotonic()

    def check() -> None:
        idle = not window.queue.busy and window.player.shown_index >= 0 and window.timeline_ready()
        if idle or time.monotonic() - start > timeout_s:
            window.player.pause()
            app.processEvents()
            window.grab().save(out)
            print(f"camtag: screenshot written to {out}"
                  + ("" if idle else " (analysis still running at the time limit)"))
            window.close()
            app.quit()
        else:
            QTimer.singleShot(200, check)

    QTimer.singleShot(500, check)


def run(path: Optional[str] = None, library_url: Optional[str] = None,
        screenshot: Optional[str] = None, timeout_s: float = 600.0,
        quit_after: Optional[float] = None) -> int:
    """Open the app; ``quit_after`` seconds: say whether the window was shown, then close (tests)."""
    app = create_application()
    window = build_window(path, library_url)
    window.show()
    if screenshot:
        _screenshot_when_done(app, window, os.path.abspath(screenshot), timeout_s)
    if quit_after is not None:
        def done() -> None:
            print(f"app window shown: {window.isVisible()} ({app.platformName()})", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(int(quit_after * 1000), done)
    return int(app.exec() or 0)
