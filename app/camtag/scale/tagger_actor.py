"""Model tagging for a batch: one reasoner model per actor (one actor per GPU), fed shot by shot.

:class:`ShotTagger` loads one reasoner backend (``camtag.reasoner.pick_backend``) once and tags
one shot per call through the one model pass (:func:`camtag.runs.model_pass.tag_stored_shots`:
frames, questions, parsing, fusion, then the result stored on the shot it tags).
On Ray it is an actor with ``num_gpus`` GPUs, restarted when its process dies (``max_restarts``)
with the unfinished calls retried (``max_task_retries``); a shot the model fails on keeps its
geometric tags (the error is kept in its evidence). :func:`tag_in_process` does the same work
without Ray. :class:`TaggerPool` spreads a file's shots over the actors, a few in flight each.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from typing import Optional

FAULT_ENV = "CAMTAG_FAULT_ACTOR_EXIT_AFTER_SHOTS"   # "N:MARKER": test hook, die once after N shots
IN_FLIGHT = 2                                       # calls queued per actor (keeps a GPU busy)


@dataclass
class TagSpec:
    """What the batch asks of the model (picklable; sent to every actor)."""

    engine: str = "auto"            # llamacpp | transformers | server | auto
    settings: dict = field(default_factory=dict)   # reasoner settings: model_path, mmproj_path...
    mode: str = "plan"


@dataclass
class ShotOutcome:
    shot_id: int
    tags: tuple[str, ...] = ()
    error: str = ""
    stored: bool = True


class ShotTagger:
    """Holds one model; ``tag`` one shot at a time and store the result in the library."""

    def __init__(self, spec: TagSpec) -> None:
        from camtag.reasoner import pick_backend

        self.spec = spec
        self.libraries: dict = {}
        self.count = 0
        self.problem = ""
        try:
            self.backend = pick_backend(spec.engine, dict(spec.settings))
        except Exception as exc:             # a broken optional install: no model, geometry stays
            self.backend, self.problem = None, f"{type(exc).__name__}: {exc}"
        if self.backend is None and not self.problem:
            self.problem = f"no usable model engine for {spec.engine!r} on {os.uname().nodename}"

    def ready(self) -> tuple[Optional[str], str]:
        """(the key of this model's results or None, why not): loads the model so the first shot
        does not pay for it (see :func:`camtag.runs.model_pass.result_key`)."""
        from camtag.runs.model_pass import result_key

        if self.backend is None:
            return None, self.problem
        try:
            self.backend.load()
        except Exception as exc:
            return None, f"{self.backend.name}: {exc}"
        return result_key(self.backend.model_id, self.spec.mode, self.backend.settings), ""

    def _library(self, url: str):
        from camtag.library import open_library

        if url not in self.libraries:
            self.libraries[url] = open_library(url, create=False)
        return self.libraries[url]

    def tag(self, library_url: str, shot_id: int, media, shot) -> ShotOutcome:
        from camtag.jobs import run_job
        from camtag.runs.model_pass import model_failure, tag_stored_shots

        _fault(self.count)
        done = run_job(tag_stored_shots(self._library(library_url), media, [(shot_id, shot)],
                                        self.backend, mode=self.spec.mode))
        self.count += 1
        (new,) = done.shots
        return ShotOutcome(shot_id, tuple(t.id for t in new.tags), model_failure(new),
                           bool(done.stored))

    def close(self) -> None:
        for lib in self.libraries.values():
            lib.close()
        if self.backend is not None:
            self.backend.close()


def _fault(count: int) -> None:
    spec = os.environ.get(FAULT_ENV, "")
    if spec:
        n, _, marker = spec.partition(":")
        if count >= int(n) and marker and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(3)                      # the actor's process dies mid-shot (as on a GPU fault)


def tag_in_process(library_url: str, paths, spec: TagSpec) -> dict[str, tuple[int, str]]:
    """Tag the stored shots of ``paths`` here: path -> (shots tagged, first problem)."""
    from camtag.jobs import run_job
    from camtag.library import open_library
    from camtag.runs.model_pass import tag_into_library

    tagger = ShotTagger(spec)
    out: dict[str, tuple[int, str]] = {}
    lib = open_library(library_url, create=False)
    try:
        key, problem = tagger.ready()
        for path in paths:
            if key is None:
                out[path] = (0, f"model not run ({problem}); geometric tags kept")
                continue
            assert tagger.backend is not None
            done = run_job(tag_into_library(lib, path, tagger.backend, mode=spec.mode))
            out[path] = (done.tagged, done.problem)
    finally:
        lib.close()
        tagger.close()
    return out


class TaggerPool:
    """Ray actors (one model each) fed shot by shot, at most ``IN_FLIGHT`` calls per actor."""

    def __init__(self, spec: TagSpec, actors: int, gpus_per_actor: float, cpus_per_actor: float,
                 max_restarts: int = 2) -> None:
        import ray

        cls = ray.remote(num_gpus=gpus_per_actor, num_cpus=cpus_per_actor, max_restarts=max_restarts,
                         max_task_retries=max_restarts)(ShotTagger)
        self.actors = [cls.remote(spec) for _ in range(max(1, actors))]
        self.mode = spec.mode
        self.queue: deque = deque()               # (path, shot id, media, shot)
        self.busy: dict = {}                      # ref -> (actor, path, shot id)
        self.load: dict = {a: 0 for a in self.actors}
        self.key: Optional[str] = None           # what the actors' results are keyed by
        self.problem = ""

    def start(self) -> None:
        """Wait for the models to load; actors without one are dropped (the reason is kept)."""
        import ray

        keep = []
        for actor, (key, problem) in zip(self.actors, ray.get([a.ready.remote() for a in self.actors])):
            if key is None:
                self.problem = self.problem or problem
                ray.kill(actor)
            else:
                keep.append(actor)
                self.key = self.key or key
        self.actors = keep
        self.load = {a: 0 for a in keep}

    def add_file(self, lib, path: str) -> int:
        from camtag.runs.model_pass import pending_shots

        assert self.key is not None
        media, todo = pending_shots(lib, path, self.key)
        self.queue.extend((path, sid, media, shot) for sid, shot in todo)
        return len(todo)

    def feed(self, library_url: str) -> None:
        while self.queue and self.actors:
            actor = min(self.actors, key=lambda a: self.load[a])
            if self.load[actor] >= IN_FLIGHT:
                return
            path, sid, media, shot = self.queue.popleft()
            self.busy[actor.tag.remote(library_url, sid, media, shot)] = (actor, path, sid)
            self.load[actor] += 1

    def finished(self, ref) -> tuple[str, Optional[ShotOutcome], str]:
        """(path, outcome or None, failure) for a ready call; a dead actor leaves the pool."""
        import ray
        from ray.exceptions import RayError

        from camtag.scale.tasks import ray_failure

        actor, path, sid = self.busy.pop(ref)
        self.load[actor] -= 1
        try:
            return path, ray.get(ref), ""
        except RayError as exc:
            if actor in self.load and isinstance(exc, ray.exceptions.RayActorError):
                self.actors.remove(actor)
                del self.load[actor]
            return path, None, f"shot {sid}: {ray_failure(exc)}"

    def orphans(self) -> list[str]:
        """Paths of queued shots no actor is left to take (then the queue is emptied)."""
        if self.actors:
            return []
        paths = [q[0] for q in self.queue]
        self.queue.clear()
        return paths

    def close(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)
