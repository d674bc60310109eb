"""Per-primitive calibration of the model's P(yes): a temperature and an offset in log-odds.

File format (JSON)::

    {"schema": "camtag.calibration/1",
     "primitives": {"pan_left": {"temperature": 1.0, "offset": 0.0}, ...}}

calibrated logit = logit(p) / temperature + offset. Identity values ship with camtag
(:func:`identity`); ``camtag eval --fit-calibration`` (motion issue) can refit them from labelled
clips with :func:`fit` and save them with :func:`save`. A missing primitive means identity.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Iterable

from camtag.reasoner.prompts import PRIMITIVES
from camtag.reasoner.setup_questions import BY_TAG as SETUP_TAGS

SCHEMA = "camtag.calibration/1"
EPS = 1e-4


@dataclass(frozen=True)
class Scale:
    temperature: float = 1.0
    offset: float = 0.0

    def logit(self, p: float) -> float:
        return logit(p) / self.temperature + self.offset


def logit(p: float) -> float:
    p = min(1 - EPS, max(EPS, float(p)))
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, x))))


class Calibration:
    def __init__(self, primitives: dict[str, Scale] | None = None) -> None:
        self.primitives = dict(primitives or {})

    def scale(self, tag: str) -> Scale:
        return self.primitives.get(tag, Scale())

    def logit(self, tag: str, p: float) -> float:
        return self.scale(tag).logit(p)

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "primitives": {
            t: {"temperature": s.temperature, "offset": s.offset} for t, s in sorted(self.primitives.items())}}


def identity() -> Calibration:
    return Calibration({p.tag: Scale() for p in PRIMITIVES})


def from_json(data: object) -> Calibration:
    """Validate and read a calibration document; ValueError with one line when malformed."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} document")
    prims = data.get("primitives")
    if not isinstance(prims, dict):
        raise ValueError("'primitives' must be an object")
    known = {p.tag for p in PRIMITIVES} | set(SETUP_TAGS)       # set-up: experimental questions
    out = {}
    for tag, v in prims.items():
        if tag not in known:
            raise ValueError(f"unknown primitive {tag!r}")
        try:
            t, b = float(v["temperature"]), float(v["offset"])
        except (TypeError, KeyError, ValueError):
            raise ValueError(f"{tag}: needs numeric 'temperature' and 'offset'") from None
        if not (math.isfinite(t) and math.isfinite(b)) or t <= 0:
            raise ValueError(f"{tag}: temperature must be > 0 and both values finite")
        out[tag] = Scale(t, b)
    return Calibration(out)


def load(path: str | os.PathLike | None) -> Calibration:
    """The calibration at ``path``; identity when ``path`` is None. ValueError on a bad file."""
    if path is None:
        return identity()
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read calibration ({exc})") from None
    return from_json(data)


def save(cal: Calibration, path: str | os.PathLike) -> None:
    from camtag.atomic import write_json_atomic

    write_json_atomic(os.fspath(path), cal.to_json(), indent=2)


def _loss(data, a: float, b: float, l2: float) -> float:
    total = 0.5 * l2 * ((a - 1) ** 2 + b * b)
    for x, y in data:
        z = a * x + b
        # log(1 + e^z) - y*z, computed stably
        total += (z if z > 0 else 0.0) + math.log1p(math.exp(-abs(z))) - y * z
    return total


def fit_one(pairs: Iterable[tuple[float, bool]], l2: float = 0.01, steps: int = 50) -> Scale:
    """Temperature and offset minimising log-loss of (P(yes), label) pairs: damped Newton on
    (a, b) with calibrated logit = a*logit(p) + b, a = 1/T, and a small L2 pull to identity."""
    data = [(logit(p), 1.0 if y else 0.0) for p, y in pairs]
    a, b = 1.0, 0.0
    if not data:
        return Scale()
    loss = _loss(data, a, b, l2)
    for _ in range(steps):
        ga, gb = l2 * (a - 1), l2 * b
        haa, hab, hbb = l2, 0.0, l2
        for x, y in data:
            q = sigmoid(a * x + b)
            r, w = q - y, q * (1 - q)
            ga += r * x
            gb += r
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab
        if det <= 1e-12:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        step = 1.0
        while step > 1e-6:
            new = _loss(data, a - step * da, b - step * db, l2)
            if new <= loss:
                break
            step /= 2
        else:
            break
        a, b, improved = a - step * da, b - step * db, loss - new
        loss = new
        if improved < 1e-10:
            break
    a = max(a, 1e-3)            # a positive slope: the model's ranking is kept
    return Scale(1 / a, b)


def fit(pairs: Iterable[tuple[str, float, bool]]) -> Calibration:
    """Fit each primitive from (tag, model P(yes), true label) triples."""
    by: dict[str, list[tuple[float, bool]]] = {}
    for tag, p, y in pairs:
        by.setdefault(tag, []).append((p, y))
    cal = identity()
    cal.primitives.update({t: fit_one(v) for t, v in by.items()})
    return cal
