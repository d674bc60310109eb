"""Scoring convention of cuts.json: greedy one-to-one matching with a frame tolerance."""

from __future__ import annotations


def score(detected: list[int], truth: list[dict], tol: int = 1) -> tuple[int, int, int]:
    """(TP, FP, FN). A detection d matches a cut c if |d-c| <= tol, a gradual [s, e] if
    s-tol <= d <= e+1+tol. Matching is greedy one-to-one in detection order."""
    unmatched = list(truth)
    tp = 0
    for d in sorted(detected):
        for t in unmatched:
            s, e = t["start"], t["end"]
            ok = abs(d - s) <= tol if t["type"] == "cut" else s - tol <= d <= e + 1 + tol
            if ok:
                unmatched.remove(t)
                tp += 1
                break
    return tp, len(detected) - tp, len(unmatched)
