"""Scores for probabilistic yes/no answers: precision, recall, accuracy, average precision
(the step-wise definition sklearn's ``average_precision_score`` uses, which CameraBench reports),
macro AP, a reliability table and the expected calibration error (ECE)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def average_precision(labels, scores) -> float:
    """Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds; NaN without a positive."""
    y = np.asarray(labels, bool)
    s = np.asarray(scores, float)
    pos = int(y.sum())
    if pos == 0 or len(y) == 0:
        return math.nan
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    tp = np.cumsum(y)
    fp = np.cumsum(~y)
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]     # end of each run of equal scores
    precision = tp[last] / (tp[last] + fp[last])
    recall = tp[last] / pos
    prev = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - prev) * precision))


@dataclass(frozen=True)
class TaskScore:
    task: str
    n: int
    positives: int
    precision: float
    recall: float
    accuracy: float
    ap: float


def task_score(task: str, labels, scores, threshold: float = 0.5) -> TaskScore:
    y = np.asarray(labels, bool)
    p = np.asarray(scores, float) >= threshold
    tp, fp = int(np.sum(p & y)), int(np.sum(p & ~y))
    fn = int(np.sum(~p & y))
    prec = tp / (tp + fp) if tp + fp else math.nan
    rec = tp / (tp + fn) if tp + fn else math.nan
    acc = float(np.mean(p == y)) if len(y) else math.nan
    return TaskScore(task, len(y), int(y.sum()), prec, rec, acc, average_precision(y, scores))


def macro_ap(scores: list[TaskScore]) -> float:
    aps = [s.ap for s in scores if s.ap == s.ap]
    return float(np.mean(aps)) if aps else math.nan


@dataclass(frozen=True)
class Bin:
    lo: float
    hi: float
    n: int
    confidence: float       # mean predicted probability
    frequency: float        # observed share of yes


def reliability(labels, scores, bins: int = 10) -> tuple[list[Bin], float]:
    """Equal-width bins of predicted P(yes) and the ECE (Σ nᵦ/N·|conf − freq|)."""
    y = np.asarray(labels, float)
    s = np.clip(np.asarray(scores, float), 0.0, 1.0)
    out: list[Bin] = []
    ece = 0.0
    if len(y) == 0:
        return out, math.nan
    idx = np.minimum((s * bins).astype(int), bins - 1)
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        conf, freq = float(s[m].mean()), float(y[m].mean())
        out.append(Bin(b / bins, (b + 1) / bins, int(m.sum()), conf, freq))
        ece += m.sum() / len(y) * abs(conf - freq)
    return out, float(ece)
