"""The CLI progress bar: a job's Progress events may arrive out of order (decode positions, then
the end frame of a shot decided behind them); the bar never moves back, shows the latest
message and is full when the job ends."""

from __future__ import annotations

import importlib
import io

from tqdm import tqdm

from camtag.jobs import CancelToken, Progress

# the commands' own helper module (private to camtag.commands), tested where it lives
run_with_progress = importlib.import_module("camtag.commands._progress").run_with_progress


class RecordingBar(tqdm):
    def __init__(self, **kw):
        self.seen: list[tuple[float, str]] = []
        super().__init__(file=io.StringIO(), mininterval=0, **kw)

    def refresh(self, *a, **kw):
        self.seen.append((self.n, self.postfix or ""))
        return super().refresh(*a, **kw)


def scripted_job():
    """What the pipeline reports on a 1000-frame clip: probe, decode positions, a shot decided
    late (its end far behind the decode position), a message with no position, the end."""
    yield Progress(0, None, "probing clip.mp4")
    yield Progress(270, 1000, "analysing")
    yield Progress(120, 1000, "shot 1", partial="shot-1")
    yield Progress(0, 1000, "loading TransNetV2")
    yield Progress(650, 1000, "analysing")
    yield Progress(300, 1000, "", partial="curves")
    yield Progress(640, 1000, "shot 2", partial="shot-2")
    yield Progress(990, 1000, "analysing")
    return "result"


def test_the_bar_only_moves_forward_and_ends_full():
    bar = RecordingBar(total=None)
    bar.seen.clear()                                  # (tqdm draws once when made)
    partials = []
    result = run_with_progress(scripted_job(), CancelToken(), on_partial=partials.append, bar=bar)
    assert result == "result" and partials == ["shot-1", "curves", "shot-2"]
    ns = [n for n, _ in bar.seen]
    assert ns == sorted(ns), ns                       # never decreases
    assert ns[:5] == [0, 270, 270, 270, 650]              # the late shot end does not pull it back
    assert ns[-2:] == [990, 1000] and bar.total == 1000   # full once the job has ended
    messages = [m for _, m in bar.seen]
    assert messages[2] == "shot 1" and messages[3] == "loading TransNetV2"
    assert messages[5] == "analysing"                 # an empty message keeps the last one
