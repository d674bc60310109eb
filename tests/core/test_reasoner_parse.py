"""Parser: well-formed and malformed outputs, never raising; a garbled-output fuzz through fusion."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camtag.reasoner.fusion import fuse
from camtag.reasoner.parse import parse
from camtag.reasoner.prompts import binary, dominant

from reasoner_support import geo_shot

Q = binary("Pan_Left")


def ota(obs="The frames shift right.", think="So the camera pans left.", answer="B"):
    return f"<observation>{obs}</observation>\n<think>{think}</think>\n<answer>{answer}</answer>"


def test_well_formed_output():
    p = parse(ota(answer=" B "), Q)
    assert (p.letter, p.meaning, p.format_ok, p.guessed, p.problems) == ("B", "yes", True, False, ())
    assert p.observation == "The frames shift right." and p.think == "So the camera pans left."


@pytest.mark.parametrize("raw, letter, problem", [
    (ota(answer="b"), "B", None),                                                   # wrong case
    (ota(answer="B. Yes"), "B", None),                                              # option text kept
    (ota(answer="Yes"), "B", None),                                                 # option text only
    (ota() + " Hope this helps!", "B", "text outside"),                             # extra text
    ("<OBSERVATION>x</OBSERVATION><THINK>y</THINK><ANSWER>A</ANSWER>", "A", "case or spacing"),
    ("<observation>x<think>y</think><answer>B", "B", "not closed"),                 # unclosed tags
    ("<observation>x</observation><think>y</think>", None, "no <answer>"),          # missing answer
    ("The answer is B.", "B", "guessed"),                                           # no tags at all
    (ota(answer="C"), None, "not one of the options"),                              # not an option
    (ota(answer="maybe"), None, "not an option letter"),
    ("<answer>A</answer><answer>B</answer>", None, "conflicting"),
    ("", None, "empty output"),
])
def test_malformed_outputs_read_what_they_can(raw, letter, problem):
    p = parse(raw, Q)
    assert p.letter == letter
    assert p.raw == raw
    if problem:
        assert any(problem in x for x in p.problems), p.problems
    if letter is None:
        assert p.meaning is None and not p.readable
    if not p.format_ok and letter:
        assert p.guessed


def test_format_check_is_the_reward_regex_after_whitespace_normalisation():
    assert parse(" <observation> a </observation>\n\n< think >b</think><answer> B </answer>\n", Q).format_ok
    assert not parse(ota() + "x", Q).format_ok
    assert not parse("<think>b</think><observation>a</observation><answer>B</answer>", Q).format_ok


def test_multiple_choice_maps_letters_to_tags():
    q = dominant()
    assert parse(ota(answer="C"), q).meaning == "pan_right"
    assert parse(ota(answer="Z"), q).letter is None


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary(), st.none(), st.integers()))
def test_parser_never_raises_and_keeps_raw(raw):
    p = parse(raw, Q)
    assert isinstance(p.raw, str)
    assert p.letter in (None, "A", "B")
    assert (p.meaning is None) == (p.letter is None)
    if isinstance(raw, str):
        assert p.raw == raw


_PIECES = ["<observation>", "</observation>", "<think>", "</think>", "<answer>", "</answer>", "<ANSWER>",
           "< answer >", "</ answer>", "A", "B", "b", "Z", "Yes", "No", "B. Yes", " ", "\n", "answer is ",
           "option", "(", ")", ".", "<", ">", "/", "\x00", "é", "💥"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES + ["camera pans"]), max_size=30))
def test_tag_soup_is_read_consistently(pieces):
    raw = "".join(pieces)
    p = parse(raw, Q)
    if p.format_ok:
        assert not p.guessed and "<answer>" not in p.answer_text
    if p.letter is not None:
        assert p.meaning == {"A": "no", "B": "yes"}[p.letter]
    # wrapping a readable answer in the trained format never changes the decision
    if p.letter and not p.guessed:
        assert parse(ota(answer=p.letter), Q).letter == p.letter


def test_ten_thousand_garbled_outputs_through_parser_and_fusion():
    rng = random.Random(4)
    shot = geo_shot(pan_left=0.6, truck_left=0.8, handheld=0.7)
    questions = [dominant(), binary("Pan_Left"), binary("Move_Left"), binary("Static")]
    alphabet = _PIECES + ["".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(5))]
    readable = 0
    for _ in range(10_000):
        answers = []
        for q in rng.sample(questions, rng.randint(1, 4)):
            raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
            if rng.random() < 0.1:
                raw = raw.encode("utf-8", "replace")[: rng.randint(0, 40)]     # bytes, cut mid-character
            p = parse(raw, q)
            readable += p.readable
            answers.append((q, p))
        out = fuse(shot, answers, model="fuzz")
        assert out.traces[0].source == "fusion"
        assert all(0.0 <= t.confidence <= 1.0 for t in out.tags)
        assert {"pan_left", "truck_left", "handheld"} <= {t.id for t in out.tags}   # geometry never dropped
    assert readable > 1000          # the fuzz exercised the readable paths, not only the failures
