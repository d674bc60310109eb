"""The model-tagging pass: one job for the CLI, the UI and Ray, and the one way its results are stored.

:func:`model_pass` tags shots with a reasoner backend (``reasoner.reason_job``: frames, questions,
parsing, fusion), yielding each tagged shot as it is done, and returns a :class:`ModelPass` that
names the engine that actually answered. ``camtag analyze`` writes its shots as JSON.

:func:`tag_stored_shots` runs the same pass over shots already in the library and stores each
result as it comes, by the one rule (``library.model_results``): **a model result is stored on the
shot it tags, in the analysis that shot belongs to** (never as a new analysis); it replaces the
shot's *proposed* tags, traces and evidence, keeps the editor's decisions, and the analysis records
the engine and model once a shot is done. Each result carries its key (:func:`result_key`,
kept in ``evidence["reasoner"]["key"]``): the model id, the model files as they are now (path,
size, modification time), the question mode and the settings that change answers. A shot already
holding a result with the same key is not asked again, so a stopped pass resumes and a second one
changes nothing; a new model file, mode or setting asks again (fusion starts from the shot's
geometric tags, never from an earlier model's). :func:`tag_into_library` (the UI's
queue, ``camtag batch --engine``) and the Ray model actors (``scale.tagger_actor``, one shot per
call) both go through it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from camtag.jobs import CancelToken, Job, Progress, drive
from camtag.library.model_results import store_model_result
from camtag.model import MediaInfo, Shot
from camtag.reasoner.job import reason_job
from camtag.runs.request import file_identity

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


MODEL_FILES = ("model_path", "mmproj_path", "hf_model_dir", "calibration")
ANSWER_SETTINGS = ("preset", "max_new_tokens", "experimental_dominant", "setup_questions",
                   "quantization", "merge_frames", "n_ctx")          # settings that can change the answers


def result_key(model_id: str, mode: str, settings: Mapping | None) -> str:
    """What a model result depends on: the model and its files, the question mode, the settings
    that change answers. Stored with every result; equal keys mean "already done"."""
    settings = settings or {}
    return json.dumps({"model": model_id, "mode": mode,
                       "files": [file_identity(str(settings[k])) for k in MODEL_FILES if settings.get(k)],
                       "settings": {k: settings[k] for k in ANSWER_SETTINGS if k in settings}},
                      sort_keys=True, default=str)


def _record(shot: Shot) -> dict:
    return dict((shot.evidence or {}).get("reasoner") or {})


def has_result(shot: Shot, key: str) -> bool:
    """Does ``shot`` already hold a finished model result with this key?"""
    rec = _record(shot)
    return bool(rec.get("done")) and rec.get("key") == key


def _with_record(shot: Shot, **changes) -> Shot:
    return shot.with_(evidence={**(shot.evidence or {}), "reasoner": {**_record(shot), **changes}})


def model_failure(shot: object) -> str:
    """The model's error recorded on a shot ("" when it has none)."""
    if not isinstance(shot, Shot):
        return ""
    return str(((shot.evidence or {}).get("reasoner") or {}).get("error") or "")


def model_pass(media: MediaInfo, shots: Sequence[Shot], backend: "Backend", *, mode: str = "plan",
               cancel: CancelToken | None = None,
               frames: "FrameCache | None" = None) -> Job[ModelPass]:
    """Tag ``shots`` with ``backend``; ``Progress.partial`` is each tagged shot as it is done,
    carrying its :func:`result_key`."""
    key = result_key(backend.model_id, mode, backend.settings)
    todo = {s.start_frame for s in shots if not has_result(s, key)}
    # a result made with other files or settings is asked again (reason_job skips "done" shots)
    given = [s if s.start_frame not in todo or not _record(s).get("done") else _with_record(s, done=False)
             for s in shots]
    run = drive(reason_job(media, given, backend, mode=mode, cancel=cancel, frames=frames))
    for progress in run:
        shot = progress.partial
        if isinstance(shot, Shot):
            shot = _with_record(shot, key=key)
            progress = Progress(progress.done, progress.total, progress.message, shot)
        yield progress
    result = tuple(_with_record(s, key=key) if s.start_frame in todo else s for s in run.result)
    fresh = [s for s in result if s.start_frame in todo]
    tagged = sum(has_result(s, key) for s in fresh)
    problem = next((e for e in map(model_failure, fresh) if e), "")
    return ModelPass(result, backend.name if tagged else "", backend.model_id, tagged, problem)


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


def pending_shots(lib: "Library", path: str,
                  key: str) -> tuple[MediaInfo | None, list[tuple[int, Shot]]]:
    """(media, [(shot id, shot)]) of ``path``'s current analysis lacking a result with ``key``."""
    media = lib.find_media(os.path.abspath(path))
    if media is None or media.info is None:
        return None, []
    return media.info, [(r.id, r.shot) for r in lib.shots(media) if not has_result(r.shot, key)]


def tag_into_library(lib: "Library", path: str, backend: "Backend", *, mode: str = "plan",
                     cancel: CancelToken | None = None) -> Job[ModelPass]:
    """Tag the shots of ``path``'s current analysis that lack this model's result, storing each."""
    media, todo = pending_shots(lib, path, result_key(backend.model_id, mode, backend.settings))
    if media is None or not todo:
        yield Progress(1, 1, "every shot already has model tags")
        return ModelPass(())
    result = yield from tag_stored_shots(lib, media, todo, backend, mode=mode, cancel=cancel)
    return result
