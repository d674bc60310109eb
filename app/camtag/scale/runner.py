"""Spread a batch over Ray tasks (or run it in-process) and gather one result per file.

With Ray, each file is one task (``num_cpus=1``) that writes its shots to the library itself;
progress flows through a small actor and is summed into one bar by the caller's ``on_progress``;
a task whose worker dies or whose library call fails is retried ``max_retries`` times (resuming
from the shots already stored) and then reported as failed with the reason.
"""

from __future__ import annotations

import os
from typing import Callable, Optional, Sequence

from camtag.scale.tasks import FileResult, analyze_file

ProgressFn = Callable[[int, Optional[int]], None]      # (frames done, frames total) over the batch


class _Totals:
    """Per-file (done, total) frames; the sum is the batch's progress."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, Optional[int]]] = {}

    def report(self, path: str, done: int, total: Optional[int]) -> None:
        old_done, old_total = self.files.get(path, (0, None))
        self.files[path] = (max(old_done, done), total or old_total)

    def snapshot(self) -> dict:
        return dict(self.files)


def _sum(files: dict) -> tuple[int, Optional[int]]:
    done = sum(d for d, _ in files.values())
    totals = [t for _, t in files.values()]
    return done, (sum(totals) if totals and all(totals) else None)


def run_in_process(paths: Sequence[str], library_url: str, *, detector: str = "fused",
                   settings: dict | None = None,
                   on_progress: ProgressFn | None = None) -> list[FileResult]:
    totals = _Totals()

    def report(path, done, total):
        totals.report(path, done, total)
        if on_progress:
            on_progress(*_sum(totals.files))

    results = []
    for path in paths:
        try:
            results.append(analyze_file(library_url, path, detector=detector, settings=settings,
                                        report=report))
        except Exception as exc:            # library-wide trouble: report it for this file
            results.append(FileResult(path, "failed", message=_one_line(exc)))
    return results


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def init_ray(address: str | None, workers: int | None = None) -> None:
    """Connect to the Ray cluster at ``address`` (``auto``: the running one, else a local one)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if ray.is_initialized():
        return
    common = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    if address in (None, "", "local"):
        ray.init(num_cpus=workers, **common)
        return
    try:
        ray.init(address=address, **common)
    except ConnectionError:
        if address != "auto":
            raise
        ray.init(num_cpus=workers, **common)       # no cluster running: a local one


def run_on_ray(paths: Sequence[str], library_url: str, *, detector: str = "fused",
               settings: dict | None = None, max_retries: int = 2,
               on_progress: ProgressFn | None = None, poll_s: float = 0.5) -> list[FileResult]:
    import ray
    from ray.exceptions import RayError

    board = ray.remote(num_cpus=0)(_Totals).remote()

    def remote_task(url, path, detector, settings, board):
        return analyze_file(url, path, detector=detector, settings=settings,
                            report=lambda p, d, t: board.report.remote(p, d, t))

    task = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=True)(remote_task)
    refs = {task.remote(library_url, os.path.abspath(p), detector, settings, board): p for p in paths}
    results: dict[str, FileResult] = {}
    pending = list(refs)
    while pending:
        ready, pending = ray.wait(pending, num_returns=len(pending), timeout=poll_s)
        for ref in ready:
            path = refs[ref]
            try:
                results[path] = ray.get(ref)
            except RayError as exc:
                cause = getattr(exc, "cause", None) or exc
                results[path] = FileResult(path, "failed",
                                           message=f"gave up after {max_retries + 1} attempts: "
                                                   f"{_one_line(cause)}")
        if on_progress:
            on_progress(*_sum(ray.get(board.snapshot.remote())))
    ray.kill(board)
    return [results[p] for p in paths]


def run_batch(paths: Sequence[str], library_url: str, *, ray_address: str | None = None,
              workers: int | None = None, **kw) -> list[FileResult]:
    """In-process without ``ray_address``; on Ray otherwise."""
    if not ray_address:
        kw.pop("max_retries", None)
        return run_in_process(paths, library_url, **kw)
    init_ray(ray_address, workers)
    return run_on_ray(paths, library_url, **kw)


