"""EXPERIMENTAL camera set-up questions: asked only when switched on, as branches of the same
prefill, stored as their own tag family, and scored by `camtag eval` when labels have them."""

from __future__ import annotations

import json
from typing import Iterator, Sequence

from camtag.evaluation.labels import load_labels
from camtag.evaluation.runner import evaluate
from camtag.jobs import run_job
from camtag.media.probe import probe
from camtag.model import AnalysisRequest, Shot
from camtag.reasoner import calibration, plan, reason_job
from camtag.reasoner.base import Reply, new_work
from camtag.reasoner.inputs import budget_from_settings
from camtag.reasoner.prompts import QUESTION_TEMPLATE, Question
from camtag.reasoner.setup_questions import BY_KEY, SETUP, p_yes, task_key
from camtag.taxonomy import default_taxonomy

from reasoner_support import geo_shot, media_path

YES = {"shot_size_is_wide": 0.9, "camera_angle_is_level_angle": 0.8, "height_wrt_ground_is_eye_level": 0.7}


class ScriptedBackend:
    """A backend double: answers B (yes) with the scripted P(yes) to YES's questions, A (no,
    P(yes) 0.1) to every other one, from one 'prefill' per shot."""

    name = "scripted"

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.work = new_work()
        self.budget = budget_from_settings(settings)
        self.asked: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return "scripted-model"

    def availability(self) -> str:
        return "ok"

    def load(self) -> None:
        pass

    def ask_all(self, frames: Sequence, questions: Sequence[Question]) -> Iterator[Reply]:
        self.work["prefills"] += 1
        self.asked.append([q.key for q in questions])
        for q in questions:
            p = YES.get(q.key, 0.9 if q.key == "Static" else 0.1)
            letter = "B" if p >= 0.5 else "A"
            yield Reply(f"<observation>o</observation><think>t</think><answer>{letter}</answer>",
                        letter_probs={"A": 1 - p, "B": p})

    def ask(self, frames, question):
        return next(self.ask_all(frames, [question]))

    def close(self) -> None:
        pass


def test_set_up_questions_are_off_by_default_and_come_from_camerabench_labels():
    shot = geo_shot(0, static=0.8)
    assert not any(q.key in BY_KEY for q in plan.questions(shot, "thorough"))
    asked = plan.questions(shot, "plan", setup=True)
    assert [q.key for q in asked] == ["Static"] + [p.split for p in SETUP]
    assert plan.plan_cost(shot, "plan", setup=True) == 21
    tax = default_taxonomy()
    for q in asked[1:]:
        prim = BY_KEY[q.key]
        assert q.options == ("A. No", "B. Yes") and q.problem.endswith("?")
        assert q.text.startswith(QUESTION_TEMPLATE.split("{Question}")[0] + q.problem)
        tag = tax.get(q.tag)      # every set-up tag is in the taxonomy, family setup, with its label
        assert tag.family == "setup" and tag.label == prim.label and prim.label.endswith(q.key)
    assert {t.id for t in tax.family("setup")} == {p.tag for p in SETUP}
    assert task_key("Shot Size Is Close Up") == task_key("size_close_up") == "shot_size_is_close_up"
    assert task_key("Pan Left") is None
    # `--set setup_questions=true` reaches the reasoner's settings
    assert AnalysisRequest.from_settings({"setup_questions": True}).reasoner["setup_questions"] is True


def test_job_asks_them_from_the_same_prefill_and_stores_the_setup_family():
    media = probe(media_path("camera", "camerabench_3pxrECZYEAA.2.3.gif"))
    shot = geo_shot(0, 0, 60, static=0.8)
    backend = ScriptedBackend({"setup_questions": True})
    out = run_job(reason_job(media, [shot], backend))[0]
    assert backend.work["prefills"] == 1 and len(backend.asked[0]) == 21
    tags = {t.id: t for t in out.tags}
    setup = {t for t in tags if default_taxonomy().get(t).family == "setup"}
    assert setup == {"size_wide", "angle_level", "height_eye"}
    assert tags["size_wide"].source == "vlm" and tags["size_wide"].confidence == 0.9
    assert "experimental set-up" in tags["angle_level"].reason
    assert tags["static"].source == "fusion"                 # the motion answer still fuses
    assert p_yes(out)["shot_size_is_medium"] == 0.1 and len(p_yes(out)) == 20

    # without the setting nothing about set-up is asked or tagged
    plain = ScriptedBackend({})
    out2 = run_job(reason_job(media, [shot], plain))[0]
    assert plain.asked == [["Static"]] and not p_yes(out2)


def test_eval_scores_set_up_labels_and_says_when_they_were_not_asked(tmp_path):
    (tmp_path / "a.gif").write_bytes(b"")
    (tmp_path / "b.gif").write_bytes(b"")
    f = tmp_path / "labels.json"
    f.write_text(json.dumps({"clips": {
        "a.gif": {"positives": ["shot_size_is_wide", "Static"], "negatives": ["Shot Size Is Close Up"]},
        "b.gif": {"positives": ["size_close_up"], "negatives": ["shot_size_is_wide"]}}}))
    labels = load_labels(str(f))
    assert not labels.problems and len(labels.items) == 5
    media = probe(media_path("camera", "camerabench_3pxrECZYEAA.2.3.gif"))
    answered = run_job(reason_job(media, [geo_shot(0, 0, 60, static=0.8)], ScriptedBackend({"setup_questions": True})))[0]
    report = evaluate(labels, analyse=lambda v: answered)
    by = {s.task: s for s in report.scores}
    # P(yes): wide 0.9 on both clips (a: yes, b: no), close-up 0.1 on both (a: no, b: yes)
    assert by["shot_size_is_wide"].n == 2 and by["shot_size_is_wide"].accuracy == 0.5
    assert by["shot_size_is_close_up"].n == 2 and by["shot_size_is_close_up"].positives == 1
    assert ("size_wide", 0.9, True) in report.pairs and ("size_close_up", 0.1, True) in report.pairs
    fitted = calibration.from_json(calibration.fit(report.pairs).to_json())    # a fit reads back
    assert "size_wide" in fitted.primitives

    geometric_only = evaluate(labels, analyse=lambda v: Shot(0, 0, 10))
    assert [s.task for s in geometric_only.scores] == ["Static"]
    assert any("4 camera set-up label(s) not scored" in p for p in geometric_only.problems)
