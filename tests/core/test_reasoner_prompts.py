"""The prompt builder against the reference sheet: template byte for byte, option order, questions."""

from __future__ import annotations

import re

from camtag.reasoner import prompts
from camtag.reasoner.prompts import binary, dominant

from reasoner_support import shared_dir


def _reference() -> str:
    return (shared_dir() / "reference" / "camreasoner.md").read_text(encoding="utf-8")


def _python_block_strings(block: str) -> str:
    """Concatenate the adjacent Python string literals of a code block, as Python would."""
    return "".join(eval(lit) for lit in re.findall(r'"(?:[^"\\]|\\.)*"', block))  # literals only


def test_template_is_byte_for_byte_the_reference():
    ref = _reference()
    block = ref.split("QUESTION_TEMPLATE = (", 1)[1].split("\n)", 1)[0]
    assert prompts.QUESTION_TEMPLATE == _python_block_strings(block)
    tail_block = ref.split("TYPE_TEMPLATE[\"multiple choice\"]", 2)[1].split("```python", 1)[1].split("```", 1)[0]
    assert prompts.MULTIPLE_CHOICE_TAIL == _python_block_strings(tail_block)


def test_rendered_binary_question_matches_the_reference_layout():
    text = binary("Pan_Left").text
    head = "Does the camera pan to the left?\nOptions:\nA. No\nB. Yes\n\nPlease carefully analyze the video"
    assert text.startswith(head)
    # evaluation appends the tail with no separator
    assert "Follow the format specified in the instructions.Please provide only the single option letter" in text
    assert text.endswith("Example:\n<answer>A</answer>")


def test_fifteen_primitive_questions_are_the_reference_ones():
    ref = _reference()
    table = ref.split("## 4. The 15 binary primitives", 1)[1].split("## 5.", 1)[0]
    rows = re.findall(r"^\| (\w+) \| (.+?) \| \d+ \| \d+ \|$", table, re.M)
    assert len(rows) == 15
    assert [(p.split, p.question) for p in prompts.PRIMITIVES] == rows


def test_option_order_per_format_and_letter_meaning():
    b = binary("Static")
    assert b.options == ("A. No", "B. Yes") and b.meaning("B") == "yes" and b.meaning("A") == "no"
    m = binary("Static", style="match")
    assert m.options == ("A. Yes", "B. No") and m.meaning("A") == "yes" and m.meaning("B") == "no"
    assert m.problem.startswith("Does the camera movement in this video match the following description?\n\n")


def test_dominant_question_covers_every_primitive_once():
    q = dominant()
    meanings = [m for _, m in q.letters]
    assert sorted(meanings) == sorted(p.tag for p in prompts.PRIMITIVES)
    assert [o[:2] for o in q.options] == [f"{letter}." for letter, _ in q.letters]
    assert "\nOptions:\nA. The camera is completely still\nB. " in q.text
