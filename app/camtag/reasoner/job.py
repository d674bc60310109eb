"""Shot-by-shot model tagging as a job: progress per shot, cancel, resume, never losing geometry.

Each shot's frames are sampled (one file handle and packet scan for the whole job), the
question plan is asked, answers are parsed and fused with the shot's geometric tags, and the
updated shot is yielded at once as ``Progress.partial``. A shot already tagged by the same
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
from camtag.media.frames import FrameBudget, FrameCache, FrameSampler
from camtag.model import MediaInfo, Shot
from camtag.reasoner.base import Backend, ReasonerError
from camtag.reasoner.fusion import fuse
from camtag.reasoner.parse import parse
from camtag.reasoner.plan import DEFAULT_MAX_QUESTIONS, MODES, QuestionPlan


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
    settings = getattr(backend, "settings", {}) or {}
    budget = getattr(backend, "budget", None) or FrameBudget.from_settings(settings)
    max_q = int(settings.get("max_questions", DEFAULT_MAX_QUESTIONS))
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
                frames = sampler.frames(shot)
            except MediaError as exc:
                result[i] = with_error(shot, f"frames: {exc}", model_id, mode)
                yield Progress(done, total, f"shot {shot.index}: no frames ({exc.reason})", result[i])
                continue
            plan = QuestionPlan(shot, mode, max_q)
            error = ""
            for question in plan:
                cancel.raise_if_cancelled()
                try:
                    reply = backend.ask(frames, question)
                except ReasonerError as exc:
                    error = f"{backend.name}: {exc}"
                    if exc.fatal:
                        fatal = error + "; keeping the geometric tags"
                    break
                except Exception as exc:  # unknown failure inside a model library: stop asking
                    error = f"{backend.name}: unexpected {type(exc).__name__}: {exc}"
                    fatal = error + "; keeping the geometric tags"
                    break
                plan.record(question, parse(reply.text, question))
            if plan.answers:
                new = fuse(shot, plan.answers, model=model_id, mode=mode)
                if error:
                    new = with_error(new, error, model_id, mode)
            else:
                new = with_error(shot, error or "no question was asked", model_id, mode)
            result[i] = new
            message = f"shot {shot.index}: " + (error or f"{len(plan.answers)} answers, "
                                                + ", ".join(t.id for t in new.tags[:3]))
            yield Progress(done, total, message, new)
    finally:
        if sampler is not None:
            sampler.close()
    return tuple(result)
