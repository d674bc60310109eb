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
                   settings: dict | None = None, tagging=None,
                   on_progress: ProgressFn | None = None) -> list[FileResult]:
    """``tagging``: a :class:`~camtag.scale.tagger_actor.TagSpec` to tag the shots with a model
    after the geometric pass (the model is loaded once for the whole batch)."""
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
    if tagging is not None:
        from camtag.scale.tagger_actor import tag_in_process

        ok = [r for r in results if r.status != "failed"]
        for r, (tagged, problem) in zip(ok, tag_in_process(library_url, [r.path for r in ok],
                                                            tagging).values()):
            _note_tagging(r, tagged, problem)
    return results


def _note_tagging(result: FileResult, tagged: int, problem: str) -> None:
    result.tagged = tagged
    if problem:
        text = f"model: {problem}"
        result.message = f"{result.message}; {text}" if result.message else text


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


def _pool(tagging, actors: int | None, gpus_per_actor: float | None):
    """The model actors: ``gpus_per_actor`` defaults to 1 when the cluster has GPUs (else 0, CPU
    models), ``actors`` to one per GPU (else 1); an actor takes a CPU only if tasks keep one."""
    import ray

    from camtag.scale.tagger_actor import TaggerPool

    res = ray.cluster_resources()
    gpus, cpus = res.get("GPU", 0), res.get("CPU", 0)
    if gpus_per_actor is None:
        gpus_per_actor = 1 if gpus else 0
    if actors is None:
        actors = max(1, int(gpus // gpus_per_actor)) if gpus_per_actor else 1
    if gpus_per_actor and actors * gpus_per_actor > gpus:
        raise ValueError(f"{actors} model actor(s) x {gpus_per_actor} GPU need more GPUs than the "
                         f"cluster has ({gpus:g})")
    pool = TaggerPool(tagging, actors, gpus_per_actor, 1 if cpus > actors else 0)
    pool.start()
    return pool


def run_on_ray(paths: Sequence[str], library_url: str, *, detector: str = "fused",
               settings: dict | None = None, max_retries: int = 2, tagging=None,
               actors: int | None = None, gpus_per_actor: float | None = None,
               on_progress: ProgressFn | None = None, poll_s: float = 0.5) -> list[FileResult]:
    """``tagging`` (a TagSpec): once a file's task has stored its shots, they are fed one by
    one to the model actors, which store the fused result; model failures keep the geometry."""
    import ray
    from ray.exceptions import RayError

    pool = _pool(tagging, actors, gpus_per_actor) if tagging is not None else None
    problem = ""
    if pool is not None and not pool.actors:
        problem = f"model not run ({pool.problem}); geometric tags kept"
        pool = None
    board = ray.remote(num_cpus=0)(_Totals).remote()

    def remote_task(url, path, detector, settings, board):
        # a task holds one CPU (num_cpus=1): decode, OpenCV and torch keep to one thread each,
        # so N workers scale over N cores instead of fighting over them
        os.environ["CAMTAG_THREADS"] = "1"
        return analyze_file(url, path, detector=detector, settings=settings,
                            report=lambda p, d, t: board.report.remote(p, d, t))

    task = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=True)(remote_task)
    refs = {task.remote(library_url, os.path.abspath(p), detector, settings, board): p for p in paths}
    results: dict[str, FileResult] = {}
    tagged = {p: [0, ""] for p in paths}              # path -> [shots tagged, first problem]
    pending = list(refs)
    lib = None
    try:
        while pending or (pool is not None and pool.busy):
            waiting = pending + (list(pool.busy) if pool is not None else [])
            ready, _ = ray.wait(waiting, num_returns=len(waiting), timeout=poll_s)
            for ref in ready:
                if ref in refs:
                    pending.remove(ref)
                    path = refs[ref]
                    try:
                        results[path] = ray.get(ref)
                    except RayError as exc:
                        cause = getattr(exc, "cause", None) or exc
                        results[path] = FileResult(
                            path, "failed", message=f"gave up after {max_retries + 1} attempts: "
                                                    f"{_one_line(cause)}")
                    if pool is not None and results[path].status != "failed":
                        if lib is None:
                            from camtag.library import open_library
                            lib = open_library(library_url, create=False)
                        pool.add_file(lib, os.path.abspath(path))
                    continue
                path, outcome, failure = pool.finished(ref)
                key = next(p for p in paths if os.path.abspath(p) == path)
                if outcome is not None and not outcome.error:
                    tagged[key][0] += 1
                tagged[key][1] = tagged[key][1] or failure or (outcome.error if outcome else "")
            if pool is not None:
                for path in pool.orphans():
                    key = next(p for p in paths if os.path.abspath(p) == path)
                    tagged[key][1] = tagged[key][1] or "every model actor died"
                pool.feed(library_url)
            if on_progress:
                on_progress(*_sum(ray.get(board.snapshot.remote())))
    finally:
        ray.kill(board)
        if pool is not None:
            pool.close()
        if lib is not None:
            lib.close()
    for p in paths:
        if results[p].status == "failed" or tagging is None:
            continue
        if pool is None:
            _note_tagging(results[p], 0, problem)
        else:
            _note_tagging(results[p], tagged[p][0],
                          tagged[p][1] and f"{tagged[p][1]}; those shots keep their geometric tags")
    return [results[p] for p in paths]


def run_batch(paths: Sequence[str], library_url: str, *, ray_address: str | None = None,
              workers: int | None = None, **kw) -> list[FileResult]:
    """In-process without ``ray_address``; on Ray otherwise."""
    if not ray_address:
        for key in ("max_retries", "actors", "gpus_per_actor"):
            kw.pop(key, None)
        return run_in_process(paths, library_url, **kw)
    init_ray(ray_address, workers)
    return run_on_ray(paths, library_url, **kw)


