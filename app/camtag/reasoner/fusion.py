"""Fuse the model's answers with the geometric engine's tags into final tags and one trace.

Beliefs are combined in log-odds: fused logit = ``W_GEOMETRY`` x logit(geometry confidence) +
``W_MODEL`` x model logit (both 1.0: two independent pieces of evidence on an even prior, i.e.
naive Bayes). The model logit of a binary answer is the model's own P(yes) at the step it wrote
the answer letter (``Reply.letter_probs``), passed through the per-primitive calibration
(:mod:`calibration`, identity by default) and clipped to +-``MODEL_LOGIT_CAP`` so one answer
cannot overrule firm geometry alone. When the engine gave no probabilities (a server without
logprobs) a readable letter counts as evidence of a fixed strength (``ANSWER_WEIGHT``; lower when
it was read from malformed output); an unreadable answer counts as nothing: a format miss is
"no answer", never "no". Outcomes per primitive tag:

- geometry and model agree: one tag, ``source="fusion"``, confidence raised;
- they disagree: the tag is **kept**, ``source="fusion"``, confidence lowered, its reason
  starts with ``disputed:`` and the disagreement is listed in the trace's ``problems`` and in
  ``shot.evidence["reasoner"]["disagreements"]``;
- only the model says yes: ``source="vlm"``; a firm geometric tag it contradicts (pan vs
  truck, left vs right, static vs moving) is flagged on both;
- geometry tags the model was not asked about are kept unchanged.
"""

from __future__ import annotations

import math
from typing import Sequence

from camtag.model import Shot, Tag, Trace
from camtag.reasoner import prompts, setup_questions
from camtag.reasoner.calibration import Calibration, identity
from camtag.reasoner.parse import ParsedOutput
from camtag.reasoner.plan import CONFIDENT, TWINS
from camtag.reasoner.prompts import Question

ANSWER_WEIGHT = {"binary": 0.70, "match": 0.70, "choice": 0.62}   # letter only, no probabilities
GUESSED_WEIGHT = 0.55
W_GEOMETRY = 1.0
W_MODEL = 1.0
MODEL_LOGIT_CAP = 4.0          # |logit| <= 4: P within [0.018, 0.982]
_OPPOSITE = {"pan_left": "pan_right", "tilt_up": "tilt_down", "zoom_in": "zoom_out",
             "dolly_in": "dolly_out", "truck_left": "truck_right", "pedestal_up": "pedestal_down",
             "roll_cw": "roll_ccw"}
_OPPOSITE.update({v: k for k, v in list(_OPPOSITE.items())})
_MOVING = {"handheld", "static_shake", "moving", "speed_fast", "speed_slow"}


def conflicts(a: str, b: str) -> bool:
    """Two tags that cannot both describe the same moment of a shot."""
    if a == b:
        return False
    if _OPPOSITE.get(a) == b or TWINS.get(a) == b:
        return True
    motions = set(prompts.BY_TAG) - {"static"} | _MOVING
    return (a == "static" and b in motions) or (b == "static" and a in motions)


def _logit(p: float) -> float:
    p = min(0.99, max(0.01, float(p)))
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, x))))


def _tag_dict(t: Tag) -> dict:
    return {"id": t.id, "confidence": t.confidence, "source": t.source, "reason": t.reason,
            "start_frame": t.start_frame, "end_frame": t.end_frame}


def _geometry_tags(shot: Shot) -> list[Tag]:
    saved = (shot.evidence or {}).get("reasoner", {}).get("geometry_tags")
    if isinstance(saved, list):
        return [Tag(**d) for d in saved if isinstance(d, dict)]
    return [t for t in shot.tags if t.source != "vlm" and t.source != "fusion"]


def answer_logit(q: Question, p: ParsedOutput, probs: dict | None, cal: Calibration) -> tuple[str, float, str] | None:
    """(tag, model logit that the tag happens, what was said) for one answer, or None."""
    if p.meaning is None:
        return None
    if q.kind == "choice":
        tag = p.meaning
        x = _logit(GUESSED_WEIGHT if p.guessed else ANSWER_WEIGHT["choice"])
        return (tag, x, f"{q.key} (experimental): {tag}") if tag in prompts.BY_TAG else None
    said = f"{q.key}{' (experimental set-up)' if q.tag in setup_questions.BY_TAG else ''}: {p.meaning}"
    if probs:
        p_yes = sum(v for letter, v in probs.items() if q.meaning(letter) == "yes")
        x = cal.logit(q.tag, p_yes)
        said += f" (P(yes) {p_yes:.2f})"
    else:
        x = _logit(GUESSED_WEIGHT if p.guessed else ANSWER_WEIGHT.get(q.kind, 0.6))
        x = x if p.meaning == "yes" else -x
        said += " (letter only)"
    return q.tag, max(-MODEL_LOGIT_CAP, min(MODEL_LOGIT_CAP, x)), said


def model_beliefs(answers: Sequence[tuple[Question, ParsedOutput]], probs: Sequence[dict | None] | None = None,
                  calibration: Calibration | None = None) -> dict[str, tuple[float, list[str]]]:
    """Tag id -> (probability the model says it happens, the answers behind it)."""
    cal = calibration or identity()
    probs = list(probs or [])
    logits: dict[str, float] = {}
    why: dict[str, list[str]] = {}
    for k, (q, p) in enumerate(answers):
        got = answer_logit(q, p, probs[k] if k < len(probs) else None, cal)
        if got is None:
            continue
        tag, x, said = got
        logits[tag] = logits.get(tag, 0.0) + x
        why.setdefault(tag, []).append(said + (" (read from malformed output)" if p.guessed else ""))
    return {t: (_sigmoid(x), why[t]) for t, x in logits.items()}


def fuse(shot: Shot, answers: Sequence[tuple[Question, ParsedOutput]], *, model: str = "",
         mode: str = "plan", probs: Sequence[dict | None] | None = None, calibration: Calibration | None = None,
         notes: Sequence[str] = (), engine: str = "", work: dict | None = None) -> Shot:
    """``probs``: each answer's letter probabilities (aligned with ``answers``); ``notes``:
    problems to keep in the trace (fewer frames, no logprobs); ``engine``: the backend that ran."""
    geo_tags = _geometry_tags(shot)
    geo = {t.id: t for t in geo_tags}
    beliefs = model_beliefs(answers, probs, calibration)
    out: list[Tag] = []
    disagreements: list[dict] = []
    extra_problems = list(notes)
    notes: list[str] = []

    for t in geo_tags:
        if t.id not in beliefs:
            out.append(t)
            continue
        b, said = beliefs[t.id]
        conf = round(_sigmoid(W_GEOMETRY * _logit(t.confidence) + W_MODEL * _logit(b)), 3)
        if b >= 0.5:
            reason = f"geometry {t.confidence:.2f} and model ({'; '.join(said)}) agree"
            notes.append(f"{t.id}: agreed ({reason}).")
        else:
            reason = (f"disputed: geometry measured {t.id} ({t.confidence:.2f}) but the model "
                      f"answered {'; '.join(said)}")
            disagreements.append({"tag": t.id, "other": t.id, "geometry": t.confidence,
                                  "model": round(b, 3), "note": reason})
        if t.reason:
            reason += f". Geometry: {t.reason}"
        out.append(Tag(t.id, conf, "fusion", reason, t.start_frame, t.end_frame))

    for tag_id, (b, said) in beliefs.items():
        if tag_id in geo:
            continue
        if b < 0.5:
            notes.append(f"{tag_id}: model answered {'; '.join(said)}; geometry did not tag it either.")
            continue
        against = [g for g in geo_tags if conflicts(tag_id, g.id) and g.confidence >= CONFIDENT / 2]
        reason = f"model ({'; '.join(said)})"
        if against:
            names = ", ".join(f"{g.id} {g.confidence:.2f}" for g in against)
            reason = f"disputed: {reason}; geometry measured {names}"
            for g in against:
                disagreements.append({"tag": tag_id, "other": g.id, "geometry": g.confidence,
                                      "model": round(b, 3), "note": f"model says {tag_id}, geometry measured {g.id}"})
        out.append(Tag(tag_id, round(b, 3), "vlm", reason))

    flagged = {d["other"] for d in disagreements if d["other"] != d["tag"]}
    out = [Tag(t.id, t.confidence, t.source, f"disputed: model disagrees ({t.reason})" if (
        t.id in flagged and not t.reason.startswith("disputed")) else t.reason, t.start_frame, t.end_frame)
           for t in out]
    out.sort(key=lambda t: -t.confidence)

    trace = combined_trace(shot, answers, out, notes, disagreements, extra_problems)
    probs = list(probs or [])
    record = {
        "model": model, "mode": mode, "done": True, "engine": engine, "work": dict(work or {}),
        "geometry_tags": [_tag_dict(t) for t in geo_tags],
        "answers": [{"question": q.key, "kind": q.kind, "letter": p.letter, "meaning": p.meaning,
                     "format_ok": p.format_ok, "guessed": p.guessed, "problems": list(p.problems),
                     "letter_probs": ({k: round(v, 4) for k, v in probs[n].items()}
                                      if n < len(probs) and probs[n] else None)}
                    for n, (q, p) in enumerate(answers)],
        "disagreements": disagreements,
    }
    traces = (trace,) + tuple(t for t in shot.traces if t.source not in ("fusion", "vlm"))
    return shot.with_(tags=tuple(out), traces=traces, evidence={**(shot.evidence or {}), "reasoner": record})


def combined_trace(shot: Shot, answers, tags: Sequence[Tag], notes: list[str],
                   disagreements: list[dict], extra_problems: Sequence[str] = ()) -> Trace:
    geo_trace = next((t for t in shot.traces if t.source == "geometry"), None)
    obs, think, raw, problems = [], [], [], []
    if geo_trace and geo_trace.observation:
        obs.append(f"Geometry: {geo_trace.observation}")
    for q, p in answers:
        if p.observation:
            obs.append(f"Model ({q.key}): {p.observation}")
        if p.think:
            think.append(f"Model ({q.key}): {p.think}")
        raw.append(f"### {q.key}\n{p.raw}")
        problems.extend(f"{q.key}: {x}" for x in p.problems)
    if geo_trace and geo_trace.reasoning:
        think.append(f"Geometry: {geo_trace.reasoning}")
    think.extend(notes)
    problems.extend(extra_problems)
    for d in disagreements:
        problems.append(f"disagreement: {d['note']}")
    answer = ", ".join(f"{t.id} {t.confidence:.2f} ({t.source})" for t in tags) or "no movement tags"
    return Trace(observation="\n".join(obs), reasoning="\n".join(think), answer=answer,
                 source="fusion", raw="\n\n".join(raw), problems=tuple(problems))
