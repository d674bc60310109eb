"""Fuse the model's answers with the geometric engine's tags into final tags and one trace.

Beliefs are combined in log-odds. A readable model answer counts as evidence of a fixed
strength (``ANSWER_WEIGHT``; lower when the letter was read from malformed output, none when
it could not be read: a format miss is "no answer", never "no"). Geometry tags carry their own
confidence. Outcomes per primitive tag:

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
from camtag.reasoner import prompts
from camtag.reasoner.parse import ParsedOutput
from camtag.reasoner.plan import CONFIDENT, TWINS
from camtag.reasoner.prompts import Question

ANSWER_WEIGHT = {"binary": 0.70, "match": 0.70, "choice": 0.62}
GUESSED_WEIGHT = 0.55
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


def model_beliefs(answers: Sequence[tuple[Question, ParsedOutput]]) -> dict[str, tuple[float, list[str]]]:
    """Tag id -> (probability the model says it happens, the answers behind it)."""
    logits: dict[str, float] = {}
    why: dict[str, list[str]] = {}
    for q, p in answers:
        if p.meaning is None:
            continue
        w = _logit(GUESSED_WEIGHT if p.guessed else ANSWER_WEIGHT.get(q.kind, 0.6))
        if q.kind == "choice":
            tag, sign, said = p.meaning, 1.0, f"{q.key}: {p.meaning}"
        else:
            tag, sign = q.tag, (1.0 if p.meaning == "yes" else -1.0)
            said = f"{q.key}: {p.meaning}"
        if tag not in prompts.BY_TAG:
            continue
        logits[tag] = logits.get(tag, 0.0) + sign * w
        why.setdefault(tag, []).append(said + (" (read from malformed output)" if p.guessed else ""))
    return {t: (_sigmoid(x), why[t]) for t, x in logits.items()}


def fuse(shot: Shot, answers: Sequence[tuple[Question, ParsedOutput]], *, model: str = "",
         mode: str = "plan") -> Shot:
    geo_tags = _geometry_tags(shot)
    geo = {t.id: t for t in geo_tags}
    beliefs = model_beliefs(answers)
    out: list[Tag] = []
    disagreements: list[dict] = []
    notes: list[str] = []

    for t in geo_tags:
        if t.id not in beliefs:
            out.append(t)
            continue
        b, said = beliefs[t.id]
        conf = round(_sigmoid(_logit(t.confidence) + _logit(b)), 3)
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

    trace = combined_trace(shot, answers, out, notes, disagreements)
    record = {
        "model": model, "mode": mode, "done": True,
        "geometry_tags": [_tag_dict(t) for t in geo_tags],
        "answers": [{"question": q.key, "kind": q.kind, "letter": p.letter, "meaning": p.meaning,
                     "format_ok": p.format_ok, "guessed": p.guessed, "problems": list(p.problems)}
                    for q, p in answers],
        "disagreements": disagreements,
    }
    traces = (trace,) + tuple(t for t in shot.traces if t.source not in ("fusion", "vlm"))
    return shot.with_(tags=tuple(out), traces=traces, evidence={**(shot.evidence or {}), "reasoner": record})


def combined_trace(shot: Shot, answers, tags: Sequence[Tag], notes: list[str],
                   disagreements: list[dict]) -> Trace:
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
    for d in disagreements:
        problems.append(f"disagreement: {d['note']}")
    answer = ", ".join(f"{t.id} {t.confidence:.2f} ({t.source})" for t in tags) or "no movement tags"
    return Trace(observation="\n".join(obs), reasoning="\n".join(think), answer=answer,
                 source="fusion", raw="\n\n".join(raw), problems=tuple(problems))
