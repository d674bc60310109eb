"""`camtag-qtprobe`: can this machine show camtag's window? Checks the system libraries Qt needs
(camtag.syscheck names the missing package and the fix), then opens a window with camtag's icon and
stylesheet, waits until it is exposed, prints the time from process start and quits.

Used by installers/linux/smoke-test.sh (with QT_QPA_PLATFORM=offscreen) and useful to users as a
first step when the app does not open: ``camtag-qtprobe`` prints what to install.
"""

import sys
import time

T0 = time.perf_counter()


def main() -> int:
    from camtag import syscheck

    problems = [f for f in syscheck.check_gui() if f.level == "error"]
    if problems:
        for f in problems:
            print(f"camtag-qtprobe: {f.message}", file=sys.stderr)
        return 1
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    from camtag.ui.resources import icon, stylesheet

    app = QApplication(sys.argv[:1])
    win = QMainWindow()
    win.setWindowTitle("camtag")
    win.setWindowIcon(icon("camtag"))
    app.setStyleSheet(stylesheet())
    win.setCentralWidget(QLabel("camtag"))
    win.resize(640, 400)
    win.show()
    shown = {}

    def check():
        if win.isVisible() and win.windowHandle() is not None and win.windowHandle().isExposed():
            shown["t"] = time.perf_counter() - T0
            app.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(5)
    QTimer.singleShot(10000, app.quit)
    app.exec()
    if "t" not in shown:
        print("camtag-qtprobe: the window was not shown within 10 s", file=sys.stderr)
        return 1
    print(f"window shown in {shown['t']:.3f} s (platform {app.platformName()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
