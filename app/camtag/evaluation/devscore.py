"""Score the geometric engine on the failure-class development set (:mod:`camtag.motion.devset`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from camtag.evaluation.metrics import TaskScore, macro_ap, reliability, task_score
from camtag.evaluation.runner import analyse_geometric
from camtag.model import Shot
from camtag.motion import devset
from camtag.motion.primitives import TASKS, Decision, decide_shot


@dataclass
class CaseResult:
    case: devset.DevCase
    shot: Shot
    decision: Decision

    @property
    def answer(self) -> str:
        return self.decision.primary()

    @property
    def right(self) -> bool:
        """Primary right: the expected tag is the answer, or the stated pair holds it."""
        if self.case.pair:
            return self.case.primary in self.decision.stated()
        return self.answer == self.case.primary


@dataclass
class DevReport:
    results: list[CaseResult]
    scores: list[TaskScore] = field(default_factory=list)
    macro_ap: float = float("nan")
    ece: float = float("nan")

    def accuracy(self, failure_class: str | None = None) -> float:
        rows = [r for r in self.results if failure_class is None or r.case.failure_class == failure_class]
        return sum(r.right for r in rows) / len(rows) if rows else float("nan")

    def lines(self) -> list[str]:
        out = [f"{r.case.name:<20} {r.case.failure_class:<28} want {r.case.primary:<13} "
               f"got {r.answer:<13} {'ok' if r.right else 'WRONG'}" for r in self.results]
        classes = sorted({r.case.failure_class for r in self.results})
        out.append(f"primary right {self.accuracy():.0%} of {len(self.results)} clips; "
                   + ", ".join(f"{c} {self.accuracy(c):.0%}" for c in classes))
        out.append(f"binary macro AP {self.macro_ap * 100:.1f}, ECE {self.ece:.3f}")
        return out


def score(folder: str, names=None) -> DevReport:
    paths = devset.render_all(folder, names)
    results = []
    for case in devset.CASES:
        if case.name in paths:
            shot = analyse_geometric(paths[case.name])
            results.append(CaseResult(case, shot, decide_shot(shot)))
    rep = DevReport(results)
    all_y, all_p = [], []
    for task in TASKS:
        y = [task in r.case.positives for r in results]
        p = [r.decision.probabilities[task] for r in results]
        rep.scores.append(task_score(task, y, p))
        all_y += y
        all_p += p
    rep.macro_ap = macro_ap(rep.scores)
    rep.ece = reliability(all_y, all_p)[1]
    return rep
