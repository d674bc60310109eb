"""Read CamReasoner's <observation>/<think>/<answer> output. Never raises.

Rules (shared/reference/camreasoner.md §5): whitespace around tag characters is normalised
before the format check, exactly like the RL reward code; ``format_ok`` is the reward's
anchored O-T-A regex. Beyond that we read what we can from malformed output (unclosed or
missing tags, wrong case, extra text, an option text instead of its letter) and record in
``problems`` every part we could not read or had to guess. The raw text is always kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from camtag.reasoner.prompts import Question

OTA_PATTERN = re.compile(
    r"\A\s*<observation>.*?</observation>\s*<think>.*?</think>\s*<answer>.*?</answer>\s*\Z", re.DOTALL)
_NORMALISE = re.compile(r"\s*(<|>|/)\s*")
_TAGS = ("observation", "think", "answer")
_ANY_TAG = re.compile(r"<\s*/?\s*(?:observation|think|answer)\s*>", re.IGNORECASE)
_LOOSE_ANSWER = re.compile(
    r"(?:answer|option|choice)\s*(?:is|:|=)?\s*[\(\[\"']?\s*([A-Za-z])\s*[\)\]\"']?(?:[.:,)\s]|\Z)",
    re.IGNORECASE)


@dataclass(frozen=True)
class ParsedOutput:
    raw: str
    observation: str = ""
    think: str = ""
    answer_text: str = ""
    letter: str | None = None        # a valid option letter, or None when unreadable
    meaning: str | None = None       # "yes"/"no" or a tag id, from the question's letter table
    format_ok: bool = False          # the trained O-T-A format, as the reward checks it
    guessed: bool = False            # the letter was read from malformed output
    problems: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        return self.letter is not None


def _open(tag: str) -> re.Pattern:
    return re.compile(rf"<\s*{tag}\s*>", re.IGNORECASE)


def _close(tag: str) -> re.Pattern:
    return re.compile(rf"<\s*/\s*{tag}\s*>", re.IGNORECASE)


def _section(text: str, tag: str, problems: list[str]) -> tuple[list[str], bool]:
    """All contents of ``<tag>``; an unclosed tag runs to the next tag or the end."""
    found: list[str] = []
    pos, closed_all = 0, True
    opener, closer = _open(tag), _close(tag)
    while True:
        m = opener.search(text, pos)
        if not m:
            break
        end = closer.search(text, m.end())
        nxt = _ANY_TAG.search(text, m.end())
        if end and (nxt is None or nxt.start() >= end.start()):
            found.append(text[m.end():end.start()].strip())
            pos = end.end()
        else:
            stop = nxt.start() if nxt else len(text)
            found.append(text[m.end():stop].strip())
            closed_all = False
            pos = max(stop, m.end())
    if not closed_all:
        problems.append(f"<{tag}> not closed")
    return found, closed_all


def _letter_from(text: str, question: Question | None) -> tuple[str | None, str]:
    """A letter from answer text: 'B', 'b', 'B. Yes', '(B)', 'Yes' (an option's text)."""
    s = text.strip().strip("*`\"'").strip()
    if not s:
        return None, "empty answer"
    if question is not None:
        for letter, _ in question.letters:
            for option in question.options:
                if option.startswith(letter + ".") and s.lower().rstrip(".") == option[2:].strip().lower():
                    return letter, ""
    m = re.match(r"\(?\s*([A-Za-z])\s*\)?(?:$|[.:,)\s])", s)
    if m:
        return m.group(1).upper(), ""
    return None, f"answer {s[:40]!r} is not an option letter"


def parse(raw: object, question: Question | None = None) -> ParsedOutput:
    """Parse one model output. ``question`` (if given) validates the letter and maps its meaning."""
    try:
        return _parse(raw, question)
    except Exception as exc:  # the parser must never take the job down
        text = raw if isinstance(raw, str) else repr(raw)
        return ParsedOutput(raw=text, problems=(f"parser error: {type(exc).__name__}: {exc}",))


def _parse(raw: object, question: Question | None) -> ParsedOutput:
    if raw is None:
        text = ""
    elif isinstance(raw, bytes):
        text = raw.decode("utf-8", "replace")
    else:
        text = str(raw)
    problems: list[str] = []
    if not text.strip():
        return ParsedOutput(raw=text, problems=("empty output",))
    format_ok = bool(OTA_PATTERN.match(_NORMALISE.sub(r"\1", text)))

    obs, _ = _section(text, "observation", problems)
    think, _ = _section(text, "think", problems)
    answers, _ = _section(text, "answer", problems)
    if not obs:
        problems.append("no <observation>")
    if not think:
        problems.append("no <think>")
    if not format_ok and obs and think and answers:
        problems.append("text outside the O-T-A tags or tags out of order")

    letter, guessed, answer_text = None, False, ""
    if answers:
        letters = []
        for a in answers:
            got, why = _letter_from(a, question)
            if got is None:
                problems.append(why)
            letters.append(got)
        answer_text = answers[-1]
        distinct = {x for x in letters if x}
        if len(answers) > 1:
            problems.append(f"{len(answers)} <answer> tags")
        if len(distinct) > 1:
            problems.append("conflicting answers: " + ", ".join(sorted(distinct)))
        elif distinct:
            letter = distinct.pop()
    else:
        problems.append("no <answer>")
        body = _ANY_TAG.sub(" ", text)
        hits = _LOOSE_ANSWER.findall(body)
        if hits:
            letter, guessed = hits[-1].upper(), True
            problems.append(f"letter {letter} guessed from text without <answer>")
        else:
            got, _ = _letter_from(body, question)
            if got and len(body.strip()) <= 12:
                letter, guessed = got, True
                problems.append(f"letter {letter} guessed from a bare reply")
    if letter and answers and not format_ok:
        guessed = True
    if letter and answers and not re.search(r"<answer>", text):
        problems.append("tag case or spacing differs from the trained format")

    meaning = None
    if letter is not None and question is not None:
        meaning = question.meaning(letter)
        if meaning is None:
            problems.append(f"answer {letter} is not one of the options "
                            + "".join(l for l, _ in question.letters))
            letter = None
    return ParsedOutput(raw=text, observation="\n".join(x for x in obs if x),
                        think="\n".join(x for x in think if x), answer_text=answer_text,
                        letter=letter, meaning=meaning, format_ok=format_ok,
                        guessed=guessed if letter else False, problems=tuple(dict.fromkeys(problems)))
