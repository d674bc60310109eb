"""The search language editors type, parsed by hand (tokenizer + recursive descent) into an AST.

    pan_left and not handheld        zoom_in or dolly_in         tilt_up duration>2s
    confidence>0.8                   dolly_in>0.7 (tag with confidence)   pan_left:confirmed
    media:"A001*"                    "push in"  text:push*  note:reshoot  trace:parallax
    tag:x  source:vlm  state:rejected  engine:vlm  detector:fused  transition:dissolve
    collection:"Dolly picks"         frames>=48   duration<500ms  start>10s  -handheld

Precedence: ``not``/``-`` > ``and`` (or juxtaposition) > ``or``; parentheses group. Bare words are
tag ids; quoted strings are free text (traces and notes). Durations take ``s``, ``ms``, ``min`` or ``f``
(frames). Errors are :class:`~camtag.library.errors.QueryError` pointing at the spot.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Optional, Union

from camtag.library.errors import QueryError
from camtag.model import TAG_SOURCES, TRANSITION_TYPES

TAG_STATES = ("proposed", "confirmed", "rejected", "added")
TEXT_FIELDS = {"text": "all", "note": "notes", "notes": "notes", "trace": "traces", "traces": "traces"}
VALUE_FIELDS = ("tag", "source", "state", "media", "engine", "detector", "transition", "collection")
NUMERIC_FIELDS = {"duration": "duration", "dur": "duration", "length": "duration",
                  "frames": "frames", "start": "start", "end": "end",
                  "confidence": "confidence", "conf": "confidence"}
OPS = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "=", "!=": "!=", "≥": ">=", "≤": "<=",
       "≠": "!=", ":": "="}
TAG_RE = re.compile(r"^[a-z][a-z0-9_]*$")
NUMBER_RE = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(ms|s|sec|secs|min|f|fr|frames|%)?$", re.I)
_WORD_STOP = set(" \t\r\n()\"':<>=!≥≤≠&|")


# -- AST -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


@dataclass(frozen=True)
class TagTerm:
    tag: str
    state: Optional[str] = None
    source: Optional[str] = None
    op: Optional[str] = None            # with value: the tag's confidence compared
    value: Optional[float] = None


@dataclass(frozen=True)
class FieldIs:
    field: str                          # source/state/media/engine/detector/transition/collection
    value: str
    pos: int = dataclasses.field(default=0, compare=False)   # for errors found while compiling


@dataclass(frozen=True)
class Compare:
    field: str                          # duration/frames/start/end -> unit s|f; confidence
    op: str
    value: float
    unit: str = ""                      # "s" or "f" for times, "" for confidence


@dataclass(frozen=True)
class Text:
    scope: str                          # all / notes / traces
    words: tuple
    prefix: bool = False


Node = Union[And, Or, Not, TagTerm, FieldIs, Compare, Text]


# -- tokens ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str        # WORD STRING OP LPAREN RPAREN AND OR NOT EOF
    text: str
    pos: int
    end: int


def tokenize(query: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append(Token("LPAREN" if c == "(" else "RPAREN", c, i, i + 1))
            i += 1
        elif c in "\"'":
            j, buf = i + 1, []
            while j < n and query[j] != c:
                if query[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(query[j])
                j += 1
            if j >= n:
                raise QueryError(f"unterminated quote {c}", query, i)
            out.append(Token("STRING", "".join(buf), i, j + 1))
            i = j + 1
        elif query.startswith(("&&", "||"), i):
            out.append(Token("AND" if c == "&" else "OR", query[i:i + 2], i, i + 2))
            i += 2
        elif c in "&|":
            out.append(Token("AND" if c == "&" else "OR", c, i, i + 1))
            i += 1
        elif query.startswith((">=", "<=", "!="), i):
            out.append(Token("OP", query[i:i + 2], i, i + 2))
            i += 2
        elif c in "<>=:≥≤≠":
            out.append(Token("OP", c, i, i + 1))
            i += 1
        elif c == "!":
            out.append(Token("NOT", c, i, i + 1))
            i += 1
        elif c == "-" and (not out or out[-1].kind in ("LPAREN", "AND", "OR", "NOT")
                           or out[-1].end < i) and i + 1 < n and not query[i + 1].isspace():
            out.append(Token("NOT", c, i, i + 1))
            i += 1
        else:
            j = i
            while j < n and query[j] not in _WORD_STOP:
                j += 1
            word = query[i:j]
            kind = {"and": "AND", "or": "OR", "not": "NOT"}.get(word.lower(), "WORD")
            out.append(Token(kind, word, i, j))
            i = j
    out.append(Token("EOF", "", n, n))
    return out


# -- parser ----------------------------------------------------------------------------------
MAX_NESTING = 50


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0
        self.depth = 0   # nested '(' and 'not': bounded, so a hostile query never exhausts the stack

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def error(self, message: str, tok: Token | None = None) -> QueryError:
        tok = tok or self.tok
        return QueryError(message, self.query, tok.pos, max(1, tok.end - tok.pos))

    def parse(self) -> Node | None:
        if self.tok.kind == "EOF":
            return None
        node = self.or_expr()
        if self.tok.kind == "RPAREN":
            raise self.error("')' without a matching '('")
        if self.tok.kind != "EOF":
            raise self.error(f"unexpected {self.tok.text!r}")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.tok.kind == "OR":
            op = self.take()
            if self.tok.kind in ("EOF", "RPAREN", "OR", "AND"):
                raise self.error(f"expected a term after {op.text!r}")
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.tok.kind not in ("OR", "RPAREN", "EOF"):
            if self.tok.kind == "AND":
                op = self.take()
                if self.tok.kind in ("EOF", "RPAREN", "OR", "AND"):
                    raise self.error(f"expected a term after {op.text!r}")
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        if self.tok.kind == "NOT":
            op = self.take()
            if self.tok.kind in ("EOF", "RPAREN", "OR", "AND"):
                raise self.error(f"expected a term after {op.text!r}")
            return Not(self.nested(self.unary, op))
        return self.primary()

    def nested(self, parse, tok: Token) -> Node:
        if self.depth >= MAX_NESTING:
            raise self.error(f"the query nests deeper than {MAX_NESTING} levels", tok)
        self.depth += 1
        try:
            return parse()
        finally:
            self.depth -= 1

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "LPAREN":
            self.take()
            if self.tok.kind == "RPAREN":
                raise self.error("empty parentheses")
            node = self.nested(self.or_expr, tok)
            if self.tok.kind != "RPAREN":
                raise self.error(f"expected ')' to close the '(' at column {tok.pos + 1}")
            self.take()
            return node
        if tok.kind == "STRING":
            self.take()
            return self.text("all", tok)
        if tok.kind == "WORD":
            self.take()
            if self.tok.kind == "OP":
                return self.field(tok, self.take())
            return self.tag_word(tok)
        if tok.kind in ("AND", "OR"):
            raise self.error(f"{tok.text!r} needs a term before it")
        if tok.kind == "RPAREN":
            raise self.error("')' without a matching '('")
        if tok.kind == "OP":
            raise self.error(f"{tok.text!r} needs a field or tag before it, e.g. duration{tok.text}2s")
        raise self.error("expected a tag, a field like duration>2s, a \"quoted text\" or '('")

    # terms --------------------------------------------------------------------------------
    def tag_word(self, tok: Token) -> TagTerm:
        tag = tok.text.lower().replace("-", "_")
        if not TAG_RE.match(tag):
            raise self.error(f"{tok.text!r} is not a tag id (letters, digits and _); "
                             f"quote free text: \"{tok.text}\"", tok)
        return TagTerm(tag)

    def value(self, after: Token) -> Token:
        if self.tok.kind not in ("WORD", "STRING"):
            raise self.error(f"expected a value after {after.text!r}")
        return self.take()

    def field(self, name_tok: Token, op_tok: Token) -> Node:
        name = name_tok.text.lower()
        op = OPS[op_tok.text]
        if name in NUMERIC_FIELDS:
            return self.compare(NUMERIC_FIELDS[name], op, self.value(op_tok))
        if op_tok.text != ":":
            tag = self.tag_word(name_tok)
            val = self.value(op_tok)
            number, unit = self.number(val)
            if unit:
                raise self.error(f"unknown field {name_tok.text!r} (a tag's confidence takes "
                                 f"a plain number)", name_tok)
            return TagTerm(tag.tag, op=op, value=self.confidence(number, val))
        val = self.value(op_tok)
        if name in TEXT_FIELDS:
            return self.text(TEXT_FIELDS[name], val)
        if name in VALUE_FIELDS:
            return self.value_field(name, val)
        qual = val.text.lower()
        if qual in TAG_STATES:
            return TagTerm(self.tag_word(name_tok).tag, state=qual)
        if qual in TAG_SOURCES:
            return TagTerm(self.tag_word(name_tok).tag, source=qual)
        raise self.error(f"unknown field {name_tok.text!r}; fields are "
                         f"{', '.join(VALUE_FIELDS + tuple(TEXT_FIELDS))}, or TAG:STATE / TAG:SOURCE",
                         name_tok)

    def value_field(self, name: str, val: Token) -> Node:
        text = val.text.strip()
        if not text:
            raise self.error(f"{name}: needs a value", val)
        low = text.lower()
        if name == "tag":
            return TagTerm(self.tag_word(val).tag)
        choices = {"source": TAG_SOURCES, "state": TAG_STATES, "transition": TRANSITION_TYPES}.get(name)
        if choices is not None:
            if low not in choices:
                raise self.error(f"{name} must be one of {', '.join(choices)}", val)
            return FieldIs(name, low, val.pos)
        if name in ("engine", "detector"):
            return FieldIs(name, low, val.pos)
        return FieldIs(name, text, val.pos)        # media glob, collection name

    def text(self, scope: str, val: Token) -> Text:
        words = tuple(re.findall(r"\w+", val.text.lower()))
        if not words:
            raise self.error("free text needs at least one word", val)
        return Text(scope, words, val.text.rstrip().endswith("*"))

    def number(self, val: Token) -> tuple[float, str]:
        m = NUMBER_RE.match(val.text.strip())
        if not m or val.kind != "WORD":
            raise self.error(f"expected a number such as 2s, 1.5s, 500ms or 48f, got {val.text!r}", val)
        unit = (m.group(2) or "").lower()
        unit = {"sec": "s", "secs": "s", "fr": "f", "frames": "f"}.get(unit, unit)
        return float(m.group(1)), unit

    def confidence(self, number: float, val: Token, unit: str = "") -> float:
        value = number / 100 if unit == "%" else number
        if not 0 <= value <= 1:
            raise self.error("confidence is between 0 and 1 (or 0% and 100%)", val)
        return value

    def compare(self, field: str, op: str, val: Token) -> Compare:
        number, unit = self.number(val)
        if field == "confidence":
            if unit not in ("", "%"):
                raise self.error("confidence takes a plain number like 0.8 or 80%", val)
            return Compare("confidence", op, self.confidence(number, val, unit))
        if unit == "%":
            raise self.error(f"{field} takes a time (2s, 500ms, 1min) or frames (48f)", val)
        unit = unit or ("f" if field == "frames" else "s")
        field = "duration" if field == "frames" else field
        if unit == "ms":
            number, unit = number / 1000, "s"
        elif unit == "min":
            number, unit = number * 60, "s"
        return Compare(field, op, number, unit)


def parse(query: str) -> Node | None:
    """Parse a query; None for an empty one (matches every shot). Raises QueryError."""
    return _Parser(query).parse()


def format_query(node: Node | None) -> str:
    """Canonical text for an AST (parse(format_query(n)) == n)."""
    if node is None:
        return ""
    if isinstance(node, Or):
        return " or ".join(_wrap(i, Or) for i in node.items)
    if isinstance(node, And):
        return " and ".join(_wrap(i, (Or, And)) for i in node.items)
    if isinstance(node, Not):
        return "not " + _wrap(node.item, (Or, And))
    if isinstance(node, TagTerm):
        if node.state or node.source:
            return f"{node.tag}:{node.state or node.source}"
        return f"{node.tag}{node.op}{_num(node.value)}" if node.op else node.tag
    if isinstance(node, FieldIs):
        return f"{node.field}:{_quote(node.value)}"
    if isinstance(node, Compare):
        unit = node.unit if node.field != "confidence" else ""
        op = ":" if node.op == "=" else node.op
        return f"{node.field}{op}{_num(node.value)}{unit}"
    if isinstance(node, Text):
        name = {"all": "text", "notes": "note", "traces": "trace"}[node.scope]
        return f"{name}:{_quote(' '.join(node.words) + ('*' if node.prefix else ''))}"
    raise TypeError(node)


def _wrap(node: Node, kinds) -> str:
    text = format_query(node)
    return f"({text})" if isinstance(node, kinds) else text


def _num(value: float) -> str:
    return repr(float(value)).rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
