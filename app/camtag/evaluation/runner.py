"""Run an engine over labelled clips and score its per-primitive probabilities."""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Callable

from camtag.evaluation.labels import LabelSet
from camtag.evaluation.metrics import Bin, TaskScore, macro_ap, reliability, task_score
from camtag.model import Shot
from camtag.motion.primitives import BY_TAG, BY_TASK, TASKS, Decision, decide_shot
from camtag.reasoner import setup_questions
from camtag.reasoner.calibration import Calibration, sigmoid

ENGINES = ("geometric", "llamacpp", "transformers", "server", "auto")


def analyse_geometric(path: str) -> Shot:
    """The whole clip as one shot through the decoder and the geometric engine."""
    from camtag.media.decode import Decoder
    from camtag.media.probe import probe
    from camtag.motion import create_engine

    media = probe(path)
    engine = create_engine(media)
    for frame in Decoder(path, engine.spec):
        engine.consume(frame)
    return engine.tag_shot(Shot(0, 0, max(1, media.frames)))


def model_analyser(engine: str, settings: dict | None = None) -> Callable[[str], Shot]:
    """An ``analyse`` function for a model engine: the geometric pass, then the reasoner's job
    on the clip as one shot (its fused tags are what gets scored). Raises ``ValueError`` with
    the backend's own reason when that engine cannot run here."""
    from camtag import reasoner
    from camtag.jobs import run_job
    from camtag.media.probe import probe

    backend = reasoner.pick_backend(engine, settings)
    if backend is None:
        why = reasoner.available_backends(settings).get(engine, "") if engine != "auto" else \
            "no model backend can run here (see camtag doctor)"
        raise ValueError(f"engine {engine!r} is not available: {why or 'unknown backend'}")

    def analyse(path: str) -> Shot:
        shot = analyse_geometric(path)
        shots = run_job(reasoner.reason_job(probe(path), [shot], backend))
        return shots[0]

    return analyse


@dataclass
class Report:
    scores: list[TaskScore]
    macro_ap: float
    bins: list[Bin]
    ece: float
    confusions: list[str]
    problems: list[str]
    decisions: dict[str, Decision] = field(default_factory=dict)
    n_items: int = 0
    pairs: list[tuple[str, float, bool]] = field(default_factory=list)   # (tag, P(yes), label)
    # (tag, the model's own P(yes) from its answer letter's probabilities, label): what fusion's
    # calibration file maps; empty for the geometric engine or a model that gave no probabilities
    model_pairs: list[tuple[str, float, bool]] = field(default_factory=list)


def model_p_yes(shot: Shot) -> dict[str, float]:
    """Tag id -> the model's own P(yes) for each binary question it answered with letter
    probabilities, as fusion recorded them (``evidence["reasoner"]["answers"]``), before any
    calibration. Answers read from a letter alone (a server without logprobs) are left out."""
    from camtag.reasoner import prompts

    rec = (shot.evidence or {}).get("reasoner") or {}
    out: dict[str, float] = {}
    for a in rec.get("answers") or ():
        if not isinstance(a, dict) or a.get("kind") != "binary" or not isinstance(a.get("letter_probs"), dict):
            continue
        key = a.get("question")
        if key in prompts.BY_SPLIT:
            q = prompts.binary(key)
        elif key in setup_questions.BY_KEY:
            q = setup_questions.question(key)
        else:
            continue
        out[q.tag] = sum(float(v) for letter, v in a["letter_probs"].items() if q.meaning(letter) == "yes")
    return out


def _said(d: Decision) -> str:
    if not d.measurable:
        return f"not measurable ({d.why_not})"
    top = d.primary()
    if top in d.arc:
        p = d.arc[top]
    elif top in BY_TAG:
        p = d.probabilities[BY_TAG[top].task]
    else:
        p = d.steadiness.get(top, 0.0)
    text = f"{top} {p:.2f}"
    for amb in d.pairs:
        if top in amb.tags:
            text += (f" (pair stated: {amb.tags[0]} {amb.probabilities[0]:.2f} or "
                     f"{amb.tags[1]} {amb.probabilities[1]:.2f}, {amb.why})")
    return text


def calibrated(cal: Calibration, tag: str, p: float) -> float:
    """P(yes) through a calibration file's temperature and offset for ``tag``."""
    return sigmoid(cal.logit(tag, p))


def evaluate(labels: LabelSet, analyse: Callable[[str], Shot] = analyse_geometric,
             progress: Callable[[str], None] | None = None,
             calibration: Calibration | None = None) -> Report:
    """Analyse every labelled clip once and score it; ``calibration`` (when given) is applied to
    each P(yes) before scoring, the way fusion applies it to a model's answers."""
    problems = list(labels.problems)
    decisions: dict[str, Decision] = {}
    setup: dict[str, dict[str, float]] = {}       # video -> set-up question key -> P(yes)
    raw: dict[str, dict[str, float]] = {}         # video -> tag -> the model's own P(yes)
    for video in labels.videos():
        if progress:
            progress(video)
        try:
            shot = analyse(video)
            decisions[video] = decide_shot(shot)
            setup[video] = setup_questions.p_yes(shot)
            raw[video] = model_p_yes(shot)
        except Exception as exc:                       # one bad clip must not stop the rest
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            problems.append(f"{os.path.basename(video)}: could not be analysed ({first})")
    if calibration is not None:
        decisions = {v: replace(d, probabilities={t: calibrated(calibration, BY_TASK[t].tag, p)
                                                  for t, p in d.probabilities.items()})
                     for v, d in decisions.items()}
    for v, d in decisions.items():                   # set-up answers ride along with the motion ones
        decisions[v] = replace(d, probabilities={**d.probabilities, **setup[v]})
    unasked = [i for i in labels.items if i.video in decisions and i.task not in decisions[i.video].probabilities]
    if unasked:
        problems.append(f"{len(unasked)} camera set-up label(s) not scored: the engine did not ask the set-up "
                        "questions (a model engine with the reasoner setting setup_questions)")
    items = [i for i in labels.items if i.video in decisions and i not in unasked]
    scores, all_y, all_p, pairs = [], [], [], []
    for task in TASKS + tuple(p.split for p in setup_questions.SETUP):
        mine = [i for i in items if i.task == task]
        if not mine:
            continue
        y = [i.label for i in mine]
        p = [decisions[i.video].probabilities[task] for i in mine]
        scores.append(task_score(task, y, p))
        all_y += y
        all_p += p
        tag = BY_TASK[task].tag if task in BY_TASK else setup_questions.BY_KEY[task].tag
        pairs += [(tag, pi, yi) for pi, yi in zip(p, y)]
    model_pairs = [(tag, raw[i.video][tag], i.label) for i in items
                   for tag in [BY_TASK[i.task].tag if i.task in BY_TASK else setup_questions.BY_KEY[i.task].tag]
                   if tag in raw[i.video]]
    bins, ece = reliability(all_y, all_p)
    confusions, counts = [], Counter()
    for i in items:
        d = decisions[i.video]
        p = d.probabilities[i.task]
        if (p >= 0.5) == i.label:
            continue
        kind = "missed" if i.label else "false yes"
        counts[(i.task, kind, d.primary())] += 1
        confusions.append(f"{i.task} {kind} on {os.path.basename(i.video)} (P {p:.2f}); "
                          f"the engine said {_said(d)}")
    summary = [f"{n} × {task} {kind}, answered {said}" for (task, kind, said), n in counts.most_common()]
    return Report(scores, macro_ap(scores), bins, ece, summary + confusions, problems, decisions,
                  len(items), pairs, model_pairs)


def _f(x: float, pct: bool = True) -> str:
    if x != x or x is None or (isinstance(x, float) and math.isinf(x)):
        return "   n/a"
    return f"{x * 100:6.1f}" if pct else f"{x:6.3f}"


def format_report(r: Report) -> list[str]:
    out = [f"{r.n_items} labels on {len(r.decisions)} clips"]
    out.append(f"{'primitive':<22} {'n':>4} {'yes':>4} {'prec':>6} {'recall':>6} {'acc':>6} {'AP':>6}")
    for s in r.scores:
        out.append(f"{s.task:<22} {s.n:>4} {s.positives:>4} {_f(s.precision)} {_f(s.recall)} "
                   f"{_f(s.accuracy)} {_f(s.ap)}")
    out.append(f"macro AP {_f(r.macro_ap).strip()} over {sum(1 for s in r.scores if s.ap == s.ap)} "
               f"primitives with a positive")
    out.append("reliability (P(yes) bin: n, mean confidence, observed yes share)")
    for b in r.bins:
        out.append(f"  {b.lo:.1f}-{b.hi:.1f}: {b.n:>4}  {b.confidence:.2f}  {b.frequency:.2f}")
    out.append(f"expected calibration error {_f(r.ece, pct=False).strip()}")
    if r.confusions:
        out.append("confusions")
        out += [f"  {c}" for c in r.confusions]
    if r.problems:
        out.append(f"{len(r.problems)} label problem(s), skipped")
        out += [f"  {p}" for p in r.problems]
    return out
