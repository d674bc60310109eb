"""Question plan (proposed primitives + confusable twins + Static; 15 when thorough) and fusion."""

from __future__ import annotations

from camtag.reasoner.fusion import conflicts, fuse
from camtag.reasoner.parse import parse
from camtag.reasoner.calibration import Calibration, Scale
from camtag.reasoner.plan import questions
from camtag.reasoner.prompts import PRIMITIVES, binary

from reasoner_support import geo_shot


def said(q, letter):
    return q, parse(f"<observation>o</observation><think>t</think><answer>{letter}</answer>", q)


def keys(shot, mode="plan", **kw):
    return [q.key for q in questions(shot, mode, **kw)]


def test_plan_asks_each_proposed_primitive_its_confusable_twins_and_static():
    assert keys(geo_shot(pan_left=0.9)) == ["Move_Left", "Pan_Left", "Static"]
    assert keys(geo_shot(tilt_up=0.4)) == ["Move_Up", "Tilt_Up", "Static"]
    assert keys(geo_shot(zoom_in=0.8)) == ["Move_In", "Zoom_In", "Zoom_Out", "Static"]
    assert keys(geo_shot(dolly_out=0.5)) == ["Move_In", "Move_Out", "Zoom_Out", "Static"]
    assert keys(geo_shot(roll_cw=0.6)) == ["Roll_Clockwise", "Roll_Counterclockwise", "Static"]
    # two proposals: both families, no duplicates; non-primitive tags ask nothing extra
    assert keys(geo_shot(pan_left=0.9, truck_left=0.3, handheld=0.8)) == ["Move_Left", "Pan_Left", "Static"]
    assert keys(geo_shot()) == ["Static"]
    assert keys(geo_shot(static=0.9)) == ["Static"]


def test_no_invented_question_unless_asked_for_and_thorough_is_all_fifteen():
    assert all(q.kind == "binary" for q in questions(geo_shot(pan_left=0.9, zoom_in=0.5)))
    assert keys(geo_shot(), experimental_dominant=True) == ["dominant", "Static"]
    assert keys(geo_shot(pan_left=0.9), "thorough") == [p.split for p in PRIMITIVES]
    assert [q.text for q in questions(geo_shot(), "thorough")] == [binary(p.split).text for p in PRIMITIVES]


def test_model_probability_drives_the_fused_confidence():
    shot = geo_shot(pan_left=0.7)
    q = binary("Pan_Left")
    conf = {p: fuse(shot, [said(q, "B")], probs=[{"A": 1 - p, "B": p}]).tags[0].confidence
            for p in (0.55, 0.8, 0.97)}
    assert 0.7 < conf[0.55] < conf[0.8] < conf[0.97] < 1
    doubt = fuse(shot, [said(q, "A")], probs=[{"A": 0.9, "B": 0.1}]).tags[0]
    assert doubt.reason.startswith("disputed:") and doubt.confidence < 0.7
    record = fuse(shot, [said(q, "B")], probs=[{"A": 0.2, "B": 0.8}], engine="llamacpp").evidence["reasoner"]
    assert record["answers"][0]["letter_probs"] == {"A": 0.2, "B": 0.8} and record["engine"] == "llamacpp"
    # no probabilities (a server without logprobs): the letter's fixed weight, said in the trace
    plain = fuse(shot, [said(q, "B")], probs=[None])
    assert "letter only" in plain.tags[0].reason


def test_calibration_moves_the_model_belief():
    shot = geo_shot()
    q = binary("Zoom_In")
    base = fuse(shot, [said(q, "B")], probs=[{"A": 0.3, "B": 0.7}]).tags[0].confidence
    cooled = Calibration({"zoom_in": Scale(temperature=3.0, offset=0.0)})
    shifted = Calibration({"zoom_in": Scale(temperature=1.0, offset=-2.0)})
    assert 0.5 < fuse(shot, [said(q, "B")], probs=[{"A": 0.3, "B": 0.7}], calibration=cooled).tags[0].confidence < base
    assert fuse(shot, [said(q, "B")], probs=[{"A": 0.3, "B": 0.7}], calibration=shifted).tags == ()


def test_agreement_raises_confidence_and_marks_fusion():
    shot = geo_shot(pan_left=0.7, handheld=0.6)
    out = fuse(shot, [said(binary("Move_Left"), "A"), said(binary("Pan_Left"), "B")], model="m")
    tags = {t.id: t for t in out.tags}
    assert tags["pan_left"].source == "fusion" and tags["pan_left"].confidence > 0.8
    assert tags["handheld"] == shot.tags[1]                       # not asked: unchanged
    assert out.evidence["reasoner"]["disagreements"] == []
    assert out.evidence["pan_px"] == -120.0                       # geometry evidence kept
    trace = out.traces[0]
    assert trace.source == "fusion" and "Geometry: the background moved" in trace.observation
    assert "### Move_Left" in trace.raw and "### Pan_Left" in trace.raw
    assert out.traces[1].source == "geometry"                     # geometry's own trace kept too


def test_disagreement_is_kept_and_flagged_never_dropped():
    shot = geo_shot(truck_left=0.85)
    answers = [said(binary("Pan_Left"), "B"), said(binary("Move_Left"), "A")]
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
