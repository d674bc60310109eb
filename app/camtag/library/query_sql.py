"""Compile a parsed query into a parameterised WHERE clause over the current shots.

The clause is about aliases ``s`` (shots) and ``m`` (media, joined on the media's current
analysis). Every value the user typed travels as a parameter; only our own fixed SQL and the
operator (from a closed set) appear in the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from camtag.library.errors import QueryError
from camtag.library.query import And, Compare, FieldIs, Node, Not, Or, TagTerm, Text, parse
from camtag.library.store import Dialect

_SQL_OPS = {">", ">=", "<", "<=", "=", "!="}
EFFECTIVE_CONFIDENCE = "(CASE WHEN state IN ('confirmed', 'added') THEN 1.0 ELSE confidence END)"

# collection name -> (kind, query) or None; used to expand collection:NAME
CollectionLookup = Callable[[str], Optional[tuple[str, str]]]


@dataclass
class Compiled:
    where: str
    params: list = field(default_factory=list)


def _glob_to_like(glob: str) -> str:
    out = []
    for ch in glob:
        if ch in "\\%_":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    pattern = "".join(out)
    return pattern if any(c in glob for c in "*?") else f"%{pattern}%"


class _Compiler:
    def __init__(self, query: str, dialect: Dialect, lookup: CollectionLookup | None,
                 seen: tuple[str, ...]) -> None:
        self.query = query
        self.dialect = dialect
        self.lookup = lookup
        self.seen = seen
        self.params: list = []

    def node(self, n: Node) -> str:
        if isinstance(n, And):
            return "(" + " AND ".join(self.node(i) for i in n.items) + ")"
        if isinstance(n, Or):
            return "(" + " OR ".join(self.node(i) for i in n.items) + ")"
        if isinstance(n, Not):
            return f"(NOT {self.node(n.item)})"
        if isinstance(n, TagTerm):
            return self.tag(n)
        if isinstance(n, Compare):
            return self.compare(n)
        if isinstance(n, FieldIs):
            return self.field_is(n)
        if isinstance(n, Text):
            return self.text(n)
        raise TypeError(n)

    def op(self, op: str) -> str:
        if op not in _SQL_OPS:                      # closed set, never user text
            raise ValueError(op)
        return "<>" if op == "!=" else op

    def tag(self, n: TagTerm) -> str:
        conds = ["tag = ?"]
        self.params.append(n.tag)
        if n.state:
            conds.append("state = ?")
            self.params.append(n.state)
        else:
            conds.append("state <> 'rejected'")
        if n.source:
            conds.append("source = ?")
            self.params.append(n.source)
        if n.op:
            conds.append(f"{EFFECTIVE_CONFIDENCE} {self.op(n.op)} ?")
            self.params.append(n.value)
        return f"s.id IN (SELECT shot_id FROM tags WHERE {' AND '.join(conds)})"

    def compare(self, n: Compare) -> str:
        op = self.op(n.op)
        self.params.append(n.value)
        if n.field == "confidence":          # the shot's best non-rejected tag
            return f"s.max_confidence {op} ?"
        column = {"duration": "(s.end_frame - s.start_frame)", "start": "s.start_frame",
                  "end": "s.end_frame"}[n.field]
        return f"{column} {op} ?" if n.unit == "f" else f"{column} {op} ? * m.fps"

    def field_is(self, n: FieldIs) -> str:
        if n.field in ("source", "state"):
            self.params.append(n.value)
            extra = "" if n.field == "state" else " AND state <> 'rejected'"
            return f"s.id IN (SELECT shot_id FROM tags WHERE {n.field} = ?{extra})"
        if n.field in ("engine", "detector"):
            self.params.append(n.value)
            return f"s.analysis_id IN (SELECT id FROM analyses WHERE lower({n.field}) = ?)"
        if n.field == "transition":
            self.params.append(n.value)
            return "s.transition_type = ?"
        if n.field == "media":
            self.params.append(_glob_to_like(n.value))
            return self.dialect.like("m.path" if "/" in n.value or "\\" in n.value else "m.name")
        if n.field == "collection":
            return self.collection(n)
        raise TypeError(n.field)

    def collection(self, n: FieldIs) -> str:
        found = self.lookup(n.value) if self.lookup else None
        if found is None:
            raise QueryError(f"no collection named {n.value!r}", self.query, n.pos, len(n.value))
        kind, saved = found
        if kind == "manual":
            self.params.append(n.value)
            return ("s.id IN (SELECT cs.shot_id FROM collection_shots cs JOIN collections c "
                    "ON c.id = cs.collection_id WHERE c.name = ?)")
        if n.value in self.seen:
            raise QueryError(f"smart collection {n.value!r} refers to itself", self.query, n.pos,
                             len(n.value))
        try:
            inner = compile_query(saved, self.dialect, self.lookup, self.seen + (n.value,))
        except QueryError as exc:
            raise QueryError(f"smart collection {n.value!r} is broken: {exc.message}", self.query,
                             n.pos, len(n.value)) from None
        self.params.extend(inner.params)
        return f"({inner.where})"

    def text(self, n: Text) -> str:
        fts = self.dialect.fts_query(n.words, n.prefix)
        scopes = ("traces", "notes") if n.scope == "all" else (n.scope,)
        parts = []
        for scope in scopes:
            parts.append(self.dialect.text_match(scope))
            self.params.append(fts)
        return "(" + " OR ".join(parts) + ")"


def compile_query(query: str, dialect: Dialect, lookup: CollectionLookup | None = None,
                  _seen: tuple[str, ...] = ()) -> Compiled:
    """Parse and compile ``query``; raises QueryError (also for unknown collections)."""
    node = parse(query)
    if node is None:
        return Compiled("1 = 1", [])
    compiler = _Compiler(query, dialect, lookup, _seen)
    return Compiled(compiler.node(node), compiler.params)
