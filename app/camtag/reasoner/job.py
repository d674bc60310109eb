"""Shot-by-shot model tagging as a job: progress per shot, cancel, resume, never losing geometry.

Each shot's frames are sampled (one file handle and packet scan for the whole job) at the
backend's preset (:mod:`camtag.reasoner.inputs`), the shot's questions (:mod:`plan`) are asked
from one prefill of those frames (``Backend.ask_all``), answers are parsed and fused with the
shot's geometric tags using the model's letter probabilities, and the updated shot is yielded at
once as ``Progress.partial``. When the frames do not fit (context too small, out of memory) the
shot is retried with half the frames, down to 2, and the trace says so. A shot already tagged by the same
model in the same mode (``evidence["reasoner"]["done"]``) is passed through, so re-running
after an interruption resumes. When the model fails, the message says why and the shot keeps
its geometric tags (``evidence["reasoner"]["error"]``); a fatal failure (files, memory, server
down) stops asking for the remaining shots, a passing one (one slow answer) skips one shot.
Cancelling raises :class:`camtag.jobs.Cancelled` between questions; every shot finished before
was already yielded.
"""

from __future__ import annotations

from typing import Sequence

from camtag.jobs import CancelToken, Job, Progress
from camtag.media.errors import MediaError
from camtag.media.frames import FrameCache, FrameSampler
from camtag.model import MediaInfo, Shot
from camtag.reasoner import calibration
from camtag.reasoner import plan as question_plan
from camtag.reasoner.base import Backend, FramesTooMany, ReasonerError
from camtag.reasoner.fusion import fuse
from camtag.reasoner.inputs import thin
from camtag.reasoner.parse import parse
from camtag.reasoner.plan import MODES


def already_done(shot: Shot, model_id: str, mode: str) -> bool:
    rec = (shot.evidence or {}).get("reasoner") or {}
    return bool(rec.get("done")) and rec.get("model") == model_id and rec.get("mode") == mode


def with_error(shot: Shot, message: str, model_id: str, mode: str) -> Shot:
    rec = dict((shot.evidence or {}).get("reasoner") or {})
    rec.update(model=model_id, mode=mode, done=False, error=message)
    return shot.with_(evidence={**(shot.evidence or {}), "reasoner": rec})


def reason_job(media: MediaInfo, shots: Sequence[Shot], backend: Backend, *, mode: str = "plan",
               cancel: CancelToken | None = None, frames: FrameCache | None = None) -> Job[tuple[Shot, ...]]:
    """``frames``: the :class:`FrameCache` filled during the analysis pass, if there was one
    (then no shot is decoded twice); without it each shot's frames are found by seeking."""
    if mode not in MODES:
        raise ValueError(f"unknown question mode {mode!r} (use {' or '.join(MODES)})")
    cancel = cancel or CancelToken()
    result = list(shots)
    total = len(result)
    model_id = backend.model_id
    settings = backend.settings or {}
    budget = backend.budget
    dominant = bool(settings.get("experimental_dominant"))
    setup = bool(settings.get("setup_questions"))
    try:
        cal = calibration.load(settings.get("calibration"))
        cal_note = []
    except ValueError as exc:
        cal, cal_note = calibration.identity(), [f"calibration ignored: {exc}"]
    todo = [i for i, s in enumerate(result) if not already_done(s, model_id, mode)]
    if not todo:
        yield Progress(total, total, "every shot already has model tags")
        return tuple(result)

    yield Progress(total - len(todo), total, f"loading {model_id}")
    fatal = ""
    try:
        backend.load()
    except ReasonerError as exc:
        fatal = f"{backend.name}: {exc}; keeping the geometric tags"
    except Exception as exc:  # a broken optional install must not cost the geometric results
        fatal = f"{backend.name}: unexpected {type(exc).__name__}: {exc}; keeping the geometric tags"
    sampler = None
    try:
        for n, i in enumerate(todo):
            cancel.raise_if_cancelled()
            shot = result[i]
            done = total - len(todo) + n + 1
            if fatal:
                result[i] = with_error(shot, fatal, model_id, mode)
                yield Progress(done, total, fatal, result[i])
                continue
            try:
                if sampler is None:
                    sampler = FrameSampler(media, budget, frames)
                shot_frames = sampler.frames(shot)
            except MediaError as exc:
                result[i] = with_error(shot, f"frames: {exc}", model_id, mode)
                yield Progress(done, total, f"shot {shot.index}: no frames ({exc.reason})", result[i])
                continue
            questions = question_plan.questions(shot, mode, experimental_dominant=dominant, setup=setup)
            before = dict(backend.work)
            answers, error, fatal_now, notes = ask_shot(backend, shot_frames, questions, cancel)
            if fatal_now:
                fatal = error + "; keeping the geometric tags"
            work = {k: v - before.get(k, 0) for k, v in backend.work.items()}
            if answers:
                new = fuse(shot, [(q, p) for q, p, _ in answers], model=model_id, mode=mode,
                           probs=[r.letter_probs for _, _, r in answers], notes=cal_note + notes, calibration=cal,
                           engine=backend.name, work=work)
                if error:
                    new = with_error(new, error, model_id, mode)
            else:
                new = with_error(shot, error or "no question was asked", model_id, mode)
            result[i] = new
            message = f"shot {shot.index}: " + (error or f"{len(answers)} answers, "
                                                + ", ".join(t.id for t in new.tags[:3]))
            yield Progress(done, total, message, new)
    finally:
        if sampler is not None:
            sampler.close()
    return tuple(result)


def ask_shot(backend: Backend, frames, questions, cancel: CancelToken):
    """Ask ``questions`` about ``frames`` from one prefill; on :class:`FramesTooMany` retry with
    half the frames (at least 2). Returns (answers as (question, parsed, reply), error, fatal,
    notes for the trace)."""
    notes: list[str] = []
    used = list(frames)
    while True:
        answers: list = []
        try:
            replies = iter(backend.ask_all(used, questions))
            for q in questions:
                cancel.raise_if_cancelled()
                reply = next(replies)
                answers.append((q, parse(reply.text, q), reply))
                notes.extend(f"{q.key}: {p}" for p in reply.problems)
            return answers, "", False, notes
        except FramesTooMany as exc:
            if len(used) <= 2:
                return answers, f"{backend.name}: {exc}", False, notes
            keep = max(2, len(used) // 2)
            notes.append(f"{exc}; asked again with {keep} of {len(frames)} frames")
            used = thin(used, keep)
        except ReasonerError as exc:
            return answers, f"{backend.name}: {exc}", exc.fatal, notes
        except StopIteration as exc:
            return answers, f"{backend.name}: the backend stopped early ({type(exc).__name__})", True, notes
        except Exception as exc:  # unknown failure inside a model library: stop asking
            return answers, f"{backend.name}: unexpected {type(exc).__name__}: {exc}", True, notes
