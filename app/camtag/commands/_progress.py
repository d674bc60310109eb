"""Drive a job from the command line with a tqdm progress bar; Ctrl-C cancels cleanly.

A job's :class:`Progress` events need not be in order (the pipeline reports decode positions and,
later, the end frames of shots decided behind them): the bar only moves forward, shows the
latest message, and is full once the job has finished."""

from __future__ import annotations

import signal
import sys
from typing import Callable, Optional

from camtag.jobs import CancelToken, Cancelled, Job, Progress, drive


def advance(bar, progress: Progress) -> None:
    """Show ``progress`` on a tqdm ``bar``: forward only, with the latest non-empty message."""
    if progress.total and bar.total != progress.total:
        bar.total = progress.total
    bar.n = max(bar.n, progress.done)
    if progress.message:
        bar.set_postfix_str(progress.message, refresh=False)
    bar.refresh()


class NoBar:
    """The bar of a quiet run or of a stderr that is no terminal: shows nothing, and spares the
    start-up tqdm's import costs (importlib.metadata, multiprocessing's lock)."""

    total = None
    n = 0

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass


def run_with_progress(job: Job, cancel: CancelToken, *, desc: str = "",
                      on_partial: Optional[Callable[[object], None]] = None,
                      quiet: bool = False, bar=None):
    """Run ``job``; the first Ctrl-C asks the job to stop at the next unit, a second one aborts.
    ``bar``: a tqdm bar to drive instead of the one made here (tests)."""
    if bar is None and (quiet or not sys.stderr.isatty()):
        bar = NoBar()
    elif bar is None:
        from tqdm import tqdm

        bar = tqdm(total=None, desc=desc, unit="fr", disable=quiet or not sys.stderr.isatty(),
                   dynamic_ncols=True, leave=False)
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum, frame):
        if cancel.cancelled:
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        cancel.cancel("interrupted by Ctrl-C")

    try:
        signal.signal(signal.SIGINT, on_sigint)
    except ValueError:          # not the main thread
        pass
    try:
        run = drive(job)
        for progress in run:
            advance(bar, progress)
            if progress.partial is not None and on_partial is not None:
                on_partial(progress.partial)
        if bar.total:
            bar.n = bar.total           # finished: full, whatever the last event said
            bar.refresh()
        return run.result
    except Cancelled:
        job.close()
        raise KeyboardInterrupt from None
    finally:
        bar.close()
        try:
            signal.signal(signal.SIGINT, previous)
        except ValueError:
            pass
