"""Spread a batch over Ray tasks (or run it in-process) and gather one result per file.

With Ray, each file is one task (``num_cpus=1``) that writes its shots to the library itself; a
file longer than two parts (``segment_minutes``) is split: its first task plans the parts,
one task per part follows, and a last task checks the seams and finishes the analysis.
Progress flows through a small actor (one entry per file or part) and is summed into one bar
by the caller's ``on_progress``; a task whose worker dies or whose library call fails is retried
``max_retries`` times (resuming from the shots already stored) and then reported as failed with
the reason (naming the part).
"""

from __future__ import annotations

import os
import time
from typing import Callable, Optional, Sequence

from camtag.library.leases import HEARTBEAT_S, owner_id
from camtag.model import AnalysisRequest
from camtag.scale.tasks import FileResult, analyze_file, one_line, ray_failure

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


def run_in_process(paths: Sequence[str], library_url: str, request: AnalysisRequest | None = None,
                   *, tagging=None,
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
            results.append(analyze_file(library_url, path, request, report=report))
        except Exception as exc:            # library-wide trouble: report it for this file
            results.append(FileResult(path, "failed", message=one_line(exc)))
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




def init_ray(address: str | None, workers: int | None = None) -> None:
    """Connect to the Ray cluster at ``address`` (``auto``: the running one, else a local one).
    A ``local`` instance serves this process only: its GCS, raylet and workers listen on loopback
    (Ray's own switch for single-machine use, read when ray is first imported)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address in (None, "", "local"):
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    if ray.is_initialized():
        return
    common = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    local = dict(num_cpus=workers, **common)
    if address in (None, "", "local"):
        ray.init(**local)
        return
    try:
        ray.init(address=address, **common)
    except ConnectionError:
        if address != "auto":
            raise
        ray.init(**local)                          # no cluster running: a local one


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


def run_on_ray(paths: Sequence[str], library_url: str, request: AnalysisRequest | None = None,
               *, max_retries: int = 2, tagging=None,
               actors: int | None = None, gpus_per_actor: float | None = None,
               on_progress: ProgressFn | None = None, poll_s: float = 0.5,
               segment_minutes: float = 0.0, segment_frames: int = 0,
               preroll: int | None = None) -> list[FileResult]:
    """``tagging`` (a TagSpec): once a file's task has stored its shots, they are fed one by
    one to the model actors, which store the fused result; model failures keep the geometry.

    ``segment_minutes`` (or ``segment_frames``, for tests): files longer than that are split
    into parts that run as separate tasks (see :mod:`camtag.runs.parts`); 0: one task
    per file. ``preroll``: frames each part decodes before its own range (default 64)."""
    import ray
    from ray.exceptions import RayError

    from camtag.scale.part_tasks import (FilePlan, analyze_part, finish_file, part_key,
                                            plan_or_analyze)

    pool = _pool(tagging, actors, gpus_per_actor) if tagging is not None else None
    problem = ""
    if pool is not None and not pool.actors:
        problem = f"model not run ({pool.problem}); geometric tags kept"
        pool = None
    board = ray.remote(num_cpus=0)(_Totals).remote()
    split = bool(segment_minutes and segment_minutes > 0 or segment_frames and segment_frames > 0)
    request = request or AnalysisRequest()
    owner = owner_id()                   # the driver holds the lease of the files it splits

    def one_cpu():
        # a task holds one CPU (num_cpus=1): decode, OpenCV and torch keep to one thread each,
        # so N workers scale over N cores instead of fighting over them
        os.environ["CAMTAG_THREADS"] = "1"

    def remote_task(url, path, request, board):
        one_cpu()
        report = lambda p, d, t: board.report.remote(p, d, t)     # noqa: E731
        if not split:
            return analyze_file(url, path, request, report=report)
        return plan_or_analyze(url, path, request,
                               minutes=segment_minutes, part_frames=segment_frames,
                               owner=owner, preroll=preroll, report=report)

    def part_task(url, path, analysis_id, part, board):
        one_cpu()
        return analyze_part(url, path, analysis_id, part,
                            report=lambda k, d, t: board.report.remote(k, d, t))

    def finish_task(url, path, analysis_id):
        one_cpu()
        return finish_file(url, path, analysis_id)

    options = dict(num_cpus=1, max_retries=max_retries, retry_exceptions=True)
    task = ray.remote(**options)(remote_task)
    part_remote = ray.remote(**options)(part_task)
    finish_remote = ray.remote(**options)(finish_task)
    refs = {task.remote(library_url, os.path.abspath(p), request, board): ("file", p, None)
            for p in paths}
    results: dict[str, FileResult] = {}
    plans: dict[str, FilePlan] = {}
    waiting: dict[str, set] = {}                      # path -> parts still running
    failures: dict[str, list[str]] = {}               # path -> parts that failed, with why
    tagged = {p: [0, ""] for p in paths}              # path -> [shots tagged, first problem]
    pending = list(refs)
    lib = None
    beat = time.monotonic()

    def library():
        nonlocal lib
        if lib is None:
            from camtag.library import open_library
            lib = open_library(library_url, create=False)
        return lib

    def gave_up(exc: RayError) -> str:
        return f"gave up after {max_retries + 1} attempts: {ray_failure(exc)}"

    def submit(what: tuple, ref) -> None:
        refs[ref] = what
        pending.append(ref)

    def file_done(path: str, result: FileResult) -> None:
        results[path] = result
        if pool is not None and result.status != "failed":
            pool.add_file(library(), os.path.abspath(path))

    def part_over(path: str, part: int | None) -> None:
        waiting[path].discard(part)
        if waiting[path]:
            return
        plan = plans[path]
        if failures[path]:
            results[path] = FileResult(path, "failed", message="; ".join(failures[path]),
                                       analysis_id=plan.analysis_id)
        else:
            submit(("finish", path, None), finish_remote.remote(library_url, plan.path,
                                                                plan.analysis_id))

    try:
        while pending or (pool is not None and pool.busy):
            waiting_refs = pending + (list(pool.busy) if pool is not None else [])
            ready, _ = ray.wait(waiting_refs, num_returns=len(waiting_refs), timeout=poll_s)
            for ref in ready:
                if ref not in refs:
                    path, outcome, failure = pool.finished(ref)
                    key = next(p for p in paths if os.path.abspath(p) == path)
                    if outcome is not None and not outcome.error:
                        tagged[key][0] += 1
                    tagged[key][1] = tagged[key][1] or failure or (outcome.error if outcome else "")
                    continue
                pending.remove(ref)
                kind, path, part = refs.pop(ref)
                try:
                    value = ray.get(ref)
                except RayError as exc:
                    if kind == "part":
                        failures[path].append(f"{plans[path].label(part)}: {gave_up(exc)}")
                        part_over(path, part)
                    else:
                        where = "finishing (seam check): " if kind == "finish" else ""
                        results[path] = FileResult(path, "failed", message=where + gave_up(exc))
                    continue
                if kind == "part":
                    if value.status == "failed":
                        failures[path].append(f"{plans[path].label(part)}: {value.message}")
                    part_over(path, part)
                elif isinstance(value, FilePlan):
                    plans[path], failures[path] = value, []
                    waiting[path] = {k for k, _, _, status in value.parts if status != "done"}
                    for k, _, _, status in value.parts:
                        if status == "done":
                            board.report.remote(part_key(value.path, k), value.span(k), value.span(k))
                        else:
                            submit(("part", path, k), part_remote.remote(
                                library_url, value.path, value.analysis_id, k, board))
                    if not waiting[path]:                # every part was done before
                        part_over(path, None)
                else:
                    if kind == "finish" and plans[path].resumed:
                        value.message = "; ".join(m for m in ("resumed split analysis",
                                                              value.message) if m)
                    file_done(path, value)
            if plans and time.monotonic() - beat > HEARTBEAT_S / 2:
                from camtag.library.analyses import heartbeat
                heartbeat(library(), [pl.analysis_id for p, pl in plans.items()
                                       if p not in results], owner)
                beat = time.monotonic()
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
        for key in ("max_retries", "actors", "gpus_per_actor", "segment_minutes", "segment_frames",
                    "preroll"):
            kw.pop(key, None)
        return run_in_process(paths, library_url, **kw)
    init_ray(ray_address, workers)
    return run_on_ray(paths, library_url, **kw)


