"""The model-tagging pass: one job for the CLI, the UI and Ray, and the one way its results are stored.

:func:`model_pass` tags shots with a reasoner backend (``reasoner.reason_job``: frames, questions,
parsing, fusion), yielding each tagged shot as it is done, and returns a :class:`ModelPass` that
names the engine that actually answered. ``camtag analyze`` writes its shots as JSON.

:func:`tag_stored_shots` runs the same pass over shots already in the library and stores each
result as it comes, by the one rule (``library.model_results``): **a model result is stored on the
shot it tags, in the analysis that shot belongs to** (never as a new analysis); it replaces the
shot's *proposed* tags, traces and evidence, keeps the editor's decisions, and the analysis records
the engine and model once a shot is done. The result's key is the shot's
``evidence["reasoner"]`` (model id and question mode): a shot already tagged by the same model in
the same mode is not asked again, so a stopped pass resumes. :func:`tag_into_library` (the UI's
queue, ``camtag batch --engine``) and the Ray model actors (``scale.tagger_actor``, one shot per
call) both go through it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from camtag.jobs import CancelToken, Job, Progress, drive
from camtag.library.model_results import store_model_result
from camtag.model import MediaInfo, Shot
from camtag.reasoner.job import already_done as model_done
from camtag.reasoner.job import reason_job

if TYPE_CHECKING:
    from camtag.library import Library
    from camtag.media.frames import FrameCache
    from camtag.reasoner.base import Backend


@dataclass(frozen=True)
class ModelPass:
    """What a model pass did. ``engine``: the backend that answered at least one shot ("" when the
    model tagged none, e.g. it failed to load: the shots keep their geometric tags)."""

    shots: tuple[Shot, ...]
    engine: str = ""
    model: str = ""
    tagged: int = 0            # shots the model finished in this pass
    problem: str = ""          # the first failure, one line ("" if none)
    stored: int = 0            # results written to the library (tag_stored_shots)


def model_failure(shot: object) -> str:
    """The model's error recorded on a shot ("" when it has none)."""
    if not isinstance(shot, Shot):
        return ""
    return str(((shot.evidence or {}).get("reasoner") or {}).get("error") or "")


def model_pass(media: MediaInfo, shots: Sequence[Shot], backend: "Backend", *, mode: str = "plan",
               cancel: CancelToken | None = None,
               frames: "FrameCache | None" = None) -> Job[ModelPass]:
    """Tag ``shots`` with ``backend``; ``Progress.partial`` is each tagged shot as it is done."""
    model_id = backend.model_id
    todo = {s.start_frame for s in shots if not model_done(s, model_id, mode)}
    result = yield from reason_job(media, shots, backend, mode=mode, cancel=cancel, frames=frames)
    fresh = [s for s in result if s.start_frame in todo]
    tagged = sum(model_done(s, model_id, mode) for s in fresh)
    problem = next((e for e in map(model_failure, fresh) if e), "")
    return ModelPass(result, backend.name if tagged else "", model_id, tagged, problem)


def tag_stored_shots(lib: "Library", media: MediaInfo, todo: Sequence[tuple[int, Shot]],
                     backend: "Backend", *, mode: str = "plan",
                     cancel: CancelToken | None = None) -> Job[ModelPass]:
    """Tag stored shots ``(shot id, shot)`` and store each result as it comes (the module's rule)."""
    ids = {shot.start_frame: shot_id for shot_id, shot in todo}
    stored = 0
    run = drive(model_pass(media, [s for _, s in todo], backend, mode=mode, cancel=cancel))
    for progress in run:
        shot = progress.partial
        if isinstance(shot, Shot) and shot.start_frame in ids:
            stored += store_model_result(lib, ids[shot.start_frame], shot, engine=backend.name)
        yield progress
    done = run.result
    return ModelPass(done.shots, done.engine, done.model, done.tagged, done.problem, stored)


def pending_shots(lib: "Library", path: str, model_id: str,
                  mode: str) -> tuple[MediaInfo | None, list[tuple[int, Shot]]]:
    """(media, [(shot id, shot)]) of ``path``'s current analysis still lacking this model's result."""
    media = lib.find_media(os.path.abspath(path))
    if media is None or media.info is None:
        return None, []
    return media.info, [(r.id, r.shot) for r in lib.shots(media)
                        if not model_done(r.shot, model_id, mode)]


def tag_into_library(lib: "Library", path: str, backend: "Backend", *, mode: str = "plan",
                     cancel: CancelToken | None = None) -> Job[ModelPass]:
    """Tag the shots of ``path``'s current analysis that lack this model's result, storing each."""
    media, todo = pending_shots(lib, path, backend.model_id, mode)
    if media is None or not todo:
        yield Progress(1, 1, "every shot already has model tags")
        return ModelPass(())
    result = yield from tag_stored_shots(lib, media, todo, backend, mode=mode, cancel=cancel)
    return result
