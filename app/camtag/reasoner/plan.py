"""Which questions to ask about a shot: affordable by default, all 15 primitives on request.

Each question is one full O-T-A generation (~250-400 tokens), so asking all 15 CameraBench
primitives costs 15 generations per shot. The default ``plan`` mode asks at most
``max_questions`` (4):

1. one multiple-choice question for the dominant movement (15 options, one per primitive);
2. then yes/no primitives only where the geometric engine leaves doubt:
   - the model's pick, when geometry confidently measured something else (both sides are
     asked, so the disagreement rests on two answers, not one);
   - the confusable twin of the model's pick (pan/truck, tilt/pedestal, zoom/dolly) unless
     geometry's parallax test already decided between them (a confident tag, and fewer than
     ``AMBIGUOUS`` of its windows without parallax evidence: ``evidence["geometry"]["windows"]``);
   - each geometric primitive tag whose confidence is below ``CONFIDENT``;
   - "Static?" when the dominant answer could not be read.

``thorough`` asks the 15 binary primitives in CameraBench order and nothing else.
"""

from __future__ import annotations

from typing import Sequence

from camtag.model import Shot
from camtag.reasoner import prompts
from camtag.reasoner.parse import ParsedOutput
from camtag.reasoner.prompts import Question

MODES = ("plan", "thorough")
CONFIDENT = 0.75
AMBIGUOUS = 0.3            # share of windows where the parallax test could not decide
DEFAULT_MAX_QUESTIONS = 4

TWINS = {  # rotation/zoom vs translation with the same image motion
    "pan_left": "truck_left", "pan_right": "truck_right", "tilt_up": "pedestal_down",
    "tilt_down": "pedestal_up", "zoom_in": "dolly_in", "zoom_out": "dolly_out",
}
TWINS.update({v: k for k, v in list(TWINS.items())})


def ambiguous_share(shot: Shot) -> float:
    """Share of the geometric engine's windows that could not tell rotation/zoom from translation."""
    try:
        return float(((shot.evidence or {}).get("geometry") or {}).get("windows", {}).get("ambiguous") or 0.0)
    except (AttributeError, TypeError, ValueError):
        return 0.0


def geometry_primitives(shot: Shot) -> dict[str, float]:
    """Primitive tag id -> the geometric engine's confidence (highest if repeated)."""
    out: dict[str, float] = {}
    for tag in shot.tags:
        if tag.source == "geometry" and tag.id in prompts.BY_TAG:
            out[tag.id] = max(out.get(tag.id, 0.0), float(tag.confidence or 0.0))
    return out


class QuestionPlan:
    """Feed answers in, get the next questions out: ``for q in plan: plan.record(q, parsed)``."""

    def __init__(self, shot: Shot, mode: str = "plan", max_questions: int = DEFAULT_MAX_QUESTIONS):
        if mode not in MODES:
            raise ValueError(f"unknown question mode {mode!r} (use {' or '.join(MODES)})")
        self.shot = shot
        self.mode = mode
        self.max_questions = 15 if mode == "thorough" else max(1, int(max_questions))
        self.answers: list[tuple[Question, ParsedOutput]] = []
        self._queue: list[Question] = (
            [prompts.binary(p.split) for p in prompts.PRIMITIVES] if mode == "thorough"
            else [prompts.dominant()])
        self._asked: set[str] = set()

    def __iter__(self):
        while self._queue and len(self._asked) < self.max_questions:
            q = self._queue.pop(0)
            if q.key in self._asked:
                continue
            self._asked.add(q.key)
            yield q

    def record(self, question: Question, parsed: ParsedOutput) -> None:
        self.answers.append((question, parsed))
        if self.mode == "plan" and question.kind == "choice":
            self._queue.extend(prompts.binary(prompts.BY_TAG[t].split)
                               for t in self.followups(parsed.meaning))

    def followups(self, pick: str | None) -> list[str]:
        geo = geometry_primitives(self.shot)
        firm = {t for t, c in geo.items() if c >= CONFIDENT}
        wanted: list[str] = []
        if pick is None:
            wanted.append("static")
        elif firm and pick not in firm:
            wanted.append(pick)
            wanted.extend(sorted(firm, key=lambda t: -geo[t])[:1])
        settled = firm if ambiguous_share(self.shot) < AMBIGUOUS else set()
        twin = TWINS.get(pick or "")
        if twin and not ({pick, twin} & settled):
            wanted.append(twin)
        wanted.extend(sorted((t for t, c in geo.items() if c < CONFIDENT), key=lambda t: geo[t]))
        return list(dict.fromkeys(wanted))


def plan_cost(mode: str, max_questions: int = DEFAULT_MAX_QUESTIONS) -> int:
    """Upper bound of generations per shot."""
    return 15 if mode == "thorough" else max_questions


def questions_for(shot: Shot, mode: str, answers: Sequence[ParsedOutput]) -> list[Question]:
    """Replay a plan against given answers (tests and benchmarks): the questions it asked."""
    plan = QuestionPlan(shot, mode)
    asked, it = [], iter(answers)
    for q in plan:
        asked.append(q)
        parsed = next(it, None)
        if parsed is None:
            break
        plan.record(q, parsed)
    return asked
