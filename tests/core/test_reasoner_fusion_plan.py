"""Question plan (affordable by default, 15 primitives when thorough) and fusion with geometry."""

from __future__ import annotations

from camtag.reasoner.fusion import conflicts, fuse
from camtag.reasoner.parse import parse
from camtag.reasoner.plan import QuestionPlan, questions_for
from camtag.reasoner.prompts import PRIMITIVES, binary, dominant

from reasoner_support import geo_shot


def said(q, letter):
    return q, parse(f"<observation>o</observation><think>t</think><answer>{letter}</answer>", q)


def letter_for(tag):
    return next(letter for letter, meaning in dominant().letters if meaning == tag)


def run_plan(shot, mode, replies):
    """Answer each question with replies[key] (or 'A'); return the keys asked."""
    plan = QuestionPlan(shot, mode)
    asked = []
    for q in plan:
        asked.append(q.key)
        plan.record(*said(q, replies.get(q.key, "A")))
    return asked, plan


def test_agreement_costs_one_generation():
    asked, _ = run_plan(geo_shot(pan_left=0.9), "plan", {"dominant": letter_for("pan_left")})
    assert asked == ["dominant"]


def test_doubt_and_disagreement_add_bounded_yes_no_questions():
    # model picks pan_left; geometry firmly measured truck_left (parallax): both sides are asked
    asked, _ = run_plan(geo_shot(truck_left=0.85), "plan", {"dominant": letter_for("pan_left")})
    assert asked == ["dominant", "Pan_Left", "Move_Left"]
    # a doubtful geometric tag gets its own question; twin of a pick with no firm geometry too
    asked, _ = run_plan(geo_shot(tilt_up=0.4), "plan", {"dominant": letter_for("zoom_in")})
    assert asked == ["dominant", "Move_In", "Tilt_Up"]
    # never more than max_questions
    asked, _ = run_plan(geo_shot(tilt_up=0.4, zoom_out=0.3, roll_cw=0.2, pan_right=0.5), "plan",
                        {"dominant": letter_for("zoom_in")})
    assert len(asked) == 4 and asked[0] == "dominant"


def test_parallax_doubt_reopens_the_confusable_pair():
    shot = geo_shot(pan_left=0.9)
    asked, _ = run_plan(shot, "plan", {"dominant": letter_for("pan_left")})
    assert asked == ["dominant"]
    doubtful = shot.with_(evidence={"geometry": {"windows": {"ambiguous": 0.6}}})
    asked, _ = run_plan(doubtful, "plan", {"dominant": letter_for("pan_left")})
    assert asked == ["dominant", "Move_Left"]


def test_unreadable_dominant_answer_asks_static():
    plan = QuestionPlan(geo_shot(), "plan")
    qs = iter(plan)
    q = next(qs)
    plan.record(q, parse("garbage", q))
    assert [x.key for x in qs] == ["Static"]


def test_thorough_asks_all_fifteen_primitives_in_order():
    asked, _ = run_plan(geo_shot(pan_left=0.9), "thorough", {})
    assert asked == [p.split for p in PRIMITIVES]
    assert [q.key for q in questions_for(geo_shot(), "thorough", [])] == ["Move_In"]


def test_agreement_raises_confidence_and_marks_fusion():
    shot = geo_shot(pan_left=0.7, handheld=0.6)
    out = fuse(shot, [said(dominant(), letter_for("pan_left")), said(binary("Pan_Left"), "B")], model="m")
    tags = {t.id: t for t in out.tags}
    assert tags["pan_left"].source == "fusion" and tags["pan_left"].confidence > 0.85
    assert tags["handheld"] == shot.tags[1]                       # not asked: unchanged
    assert out.evidence["reasoner"]["disagreements"] == []
    assert out.evidence["pan_px"] == -120.0                       # geometry evidence kept
    trace = out.traces[0]
    assert trace.source == "fusion" and "Geometry: the background moved" in trace.observation
    assert "### dominant" in trace.raw and "### Pan_Left" in trace.raw
    assert out.traces[1].source == "geometry"                     # geometry's own trace kept too


def test_disagreement_is_kept_and_flagged_never_dropped():
    shot = geo_shot(truck_left=0.85)
    answers = [said(dominant(), letter_for("pan_left")), said(binary("Pan_Left"), "B"), said(binary("Move_Left"), "A")]
    out = fuse(shot, answers, model="m")
    tags = {t.id: t for t in out.tags}
    assert tags["truck_left"].reason.startswith("disputed:") and tags["truck_left"].confidence < 0.85
    assert tags["pan_left"].source == "vlm" and tags["pan_left"].reason.startswith("disputed:")
    pairs = {(d["tag"], d["other"]) for d in out.evidence["reasoner"]["disagreements"]}
    assert pairs == {("truck_left", "truck_left"), ("pan_left", "truck_left")}
    assert sum("disagreement" in p for p in out.traces[0].problems) == 2


def test_unreadable_answers_are_no_answer_not_no():
    shot = geo_shot(pan_left=0.7)
    out = fuse(shot, [(binary("Pan_Left"), parse("<answer>maybe</answer>", binary("Pan_Left")))], model="m")
    assert out.tags == shot.tags
    assert any("not an option letter" in p for p in out.traces[0].problems)


def test_guessed_letters_weigh_less_than_well_formed_ones():
    shot = geo_shot()
    clean = fuse(shot, [said(binary("Zoom_In"), "B")], model="m").tags[0].confidence
    q = binary("Zoom_In")
    sloppy = fuse(shot, [(q, parse("the answer is B", q))], model="m").tags[0].confidence
    assert 0.5 < sloppy < clean


def test_fusing_twice_is_idempotent_and_keeps_original_geometry():
    shot = geo_shot(pan_left=0.7)
    once = fuse(shot, [said(binary("Pan_Left"), "A")], model="m")
    twice = fuse(once, [said(binary("Pan_Left"), "A")], model="m")
    assert once.tags == twice.tags
    assert twice.evidence["reasoner"]["geometry_tags"][0]["confidence"] == 0.7


def test_conflict_table():
    assert conflicts("pan_left", "pan_right") and conflicts("pan_left", "truck_left")
    assert conflicts("static", "handheld") and conflicts("zoom_in", "static")
    assert not conflicts("pan_left", "tilt_up") and not conflicts("pan_left", "pan_left")
