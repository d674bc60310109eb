"""Play and seek a clip with camtag's player inside the bundle, offscreen (smoke-test step).

    camtag -c "$(cat installers/common/player_check.py)" CLIP

(the bundle's executables run ``-c CODE`` like python, see rthook_camtag.py). Plays 1.5 s at 1×,
then seeks to two frames and checks each is decoded and shown (PyAV decode thread → QImage).
Prints one line; exit status 0 = the player works.
"""

import sys

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from camtag.media.probe import probe
from camtag.ui.player import PlayerController

app = QApplication.instance() or QApplication(["camtag-player-check"])
media = probe(sys.argv[1])
player = PlayerController()
shown: list[int] = []
errors: list[str] = []
player.frame_shown.connect(lambda index, image: shown.append(index) if not image.isNull() else None)
player.failed.connect(errors.append)


def wait(ms: int, until=lambda: False) -> None:
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: until() and loop.quit())
    poll.start(10)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    poll.stop()


player.open(media)
wait(10000, lambda: 0 in shown)
player.play(1.0)
wait(1500)
player.pause()
played = max(shown, default=-1)
targets = [media.frames * 2 // 3, media.frames // 4]
for target in targets:
    player.seek(target)
    wait(10000, lambda: shown and shown[-1] == target)
player.close()
ok = 0 in shown and played >= 10 and all(t in shown for t in targets) and not errors
print(f"player: {media.frames} frames, played to frame {played} in 1.5 s, seeks to {targets} "
      f"{'shown' if all(t in shown for t in targets) else 'NOT shown'}" + (f"; errors: {errors}" if errors else ""))
sys.exit(0 if ok else 1)
