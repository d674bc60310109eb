"""The search language: parsing, errors with a caret, parameterised SQL, and SQL results equal to an
independent Python evaluation over a small library (hypothesis)."""

from __future__ import annotations

import fnmatch
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camtag.library import QueryError, open_library
from camtag.library.query import (And, Compare, FieldIs, Not, Or, TagTerm, Text, format_query,
                                  parse)
from camtag.library.query_sql import compile_query
from camtag.library.sqlite_store import SQLiteDialect
from library_support import SOURCES, TAGS, WORDS, make_analysis

STATES = ["proposed", "confirmed", "rejected", "added"]
OPS = [">", ">=", "<", "<=", "=", "!="]


@pytest.mark.parametrize("text, expected", [
    ("pan_left and not handheld", And((TagTerm("pan_left"), Not(TagTerm("handheld"))))),
    ("zoom_in or dolly_in", Or((TagTerm("zoom_in"), TagTerm("dolly_in")))),
    ("tilt_up duration>2s", And((TagTerm("tilt_up"), Compare("duration", ">", 2.0, "s")))),
    ("confidence>0.8", Compare("confidence", ">", 0.8)),
    ("confidence >= 80%", Compare("confidence", ">=", 0.8)),
    ('media:"A001*"', FieldIs("media", "A001*")),
    ('"push in"', Text("all", ("push", "in"))),
    ("text:push*", Text("all", ("push",), True)),
    ("note:reshoot", Text("notes", ("reshoot",))),
    ("tag:Pan-Left source:vlm state:confirmed",
     And((TagTerm("pan_left"), FieldIs("source", "vlm"), FieldIs("state", "confirmed")))),
    ("dolly_in>0.7", TagTerm("dolly_in", op=">", value=0.7)),
    ("pan_left:confirmed pan_right:vlm",
     And((TagTerm("pan_left", state="confirmed"), TagTerm("pan_right", source="vlm")))),
    ("frames>=48", Compare("duration", ">=", 48.0, "f")),
    ("duration<500ms", Compare("duration", "<", 0.5, "s")),
    ("duration>48f", Compare("duration", ">", 48.0, "f")),
    ("start>1min", Compare("start", ">", 60.0, "s")),
    ("-handheld && (a || b)", And((Not(TagTerm("handheld")), Or((TagTerm("a"), TagTerm("b")))))),
    ("not not a", Not(Not(TagTerm("a")))),
    ("a or b c", Or((TagTerm("a"), And((TagTerm("b"), TagTerm("c")))))),
    ("", None),
    ("   ", None),
])
def test_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text, column, message", [
    ("pan_left and", 12, "expected a term after 'and'"),
    ("and pan_left", 0, "'and' needs a term before it"),
    ("(pan_left or tilt_up", 20, "expected ')' to close the '(' at column 1"),
    ("pan_left)", 8, "')' without a matching '('"),
    ("()", 1, "empty parentheses"),
    ("tilt_up duration>2x", 17, "expected a number"),
    ("confidence>1.5", 11, "between 0 and 1"),
    ('media:"A001', 6, "unterminated quote"),
    ("source:robot", 7, "source must be one of"),
    ("durashun>2s", 0, "unknown field 'durashun'"),
    ("pan_left:maybe", 0, "unknown field 'pan_left'"),
    ("> 2s", 0, "needs a field or tag before it"),
    ("text:", 5, "expected a value after ':'"),
    ('note:"..."', 5, "free text needs at least one word"),
    ("2s", 0, "is not a tag id"),
    ("pan_left duration>", 18, "expected a value after '>'"),
])
def test_errors_point_at_the_spot(text, column, message):
    with pytest.raises(QueryError) as info:
        parse(text)
    err = info.value
    assert err.column == column and message in err.message
    lines = str(err).splitlines()
    assert lines[0].endswith(f"(column {column + 1})") and lines[1] == "  " + text
    assert lines[2].index("^") - 2 == column


@given(st.lists(st.sampled_from(list("ab_ :()\"'<>=!-&|*.0123456789sf%≥")
                                + ["and ", "or ", "not ", "duration", "confidence", "media"]),
                max_size=15).map("".join))
@settings(max_examples=300, deadline=None)
def test_any_input_parses_or_raises_query_error(text):
    try:
        node = parse(text)
    except QueryError as err:
        assert 0 <= err.column <= len(text)
        return
    if node is not None:                                  # what parses re-parses identically
        assert parse(format_query(node)) == node


def test_user_values_never_reach_the_sql_text():
    nasty = "x'); DROP TABLE shots; --"
    for query in (f'media:"{nasty}"', f'note:"{nasty}"', f'"{nasty}"', f'collection:"{nasty}"'):
        c = compile_query(query, SQLiteDialect(), lambda name: ("manual", ""))
        assert "DROP" not in c.where and "x'" not in c.where
        assert any("DROP" in str(p) or "drop" in str(p) for p in c.params)


# -- SQL results equal an independent evaluation ---------------------------------------------------
@pytest.fixture(scope="module")
def small_library(library_url_factory):         # on SQLite and on PostgreSQL
    lib = open_library(library_url_factory())
    for i, name in enumerate(["A001_C001.mov", "A002_C001.mov", "B001_C007.mov"]):
        lib.import_analysis(make_analysis(name, 25, seed=i, engine=["geometry", "vlm"][i % 2]))
    shots = [s for m in lib.media() for s in lib.shots(m)]
    for k, s in enumerate(shots):                          # editor decisions through the ops
        tag = s.tag_records[0].tag
        if k % 5 == 0:
            lib.confirm_tag(s.id, tag)
        elif k % 7 == 0 and len(s.tag_records) > 1:
            lib.reject_tag(s.id, tag)
        elif k % 11 == 0:
            lib.add_tag(s.id, "tilt_up" if tag != "tilt_up" else "zoom_in")
    yield lib
    lib.close()


def _eff(t) -> float:
    return 1.0 if t.state in ("confirmed", "added") else t.confidence


def _cmp(a, op, b) -> bool:
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b, "=": a == b, "!=": a != b}[op]


def evaluate(node, s, media, analyses) -> bool:
    """Independent reading of the documented semantics."""
    rows = s.tag_records
    if isinstance(node, And):
        return all(evaluate(i, s, media, analyses) for i in node.items)
    if isinstance(node, Or):
        return any(evaluate(i, s, media, analyses) for i in node.items)
    if isinstance(node, Not):
        return not evaluate(node.item, s, media, analyses)
    if isinstance(node, TagTerm):
        return any(t.tag == node.tag and (t.state == node.state if node.state else t.state != "rejected")
                   and (node.source is None or t.source == node.source)
                   and (node.op is None or _cmp(_eff(t), node.op, node.value)) for t in rows)
    if isinstance(node, Compare):
        if node.field == "confidence":
            return _cmp(max(_eff(t) for t in rows if t.state != "rejected"), node.op, node.value)
        frame = {"duration": s.shot.frames, "start": s.start_frame, "end": s.end_frame}[node.field]
        limit = node.value if node.unit == "f" else node.value * float(media.info.rate)
        return _cmp(frame, node.op, limit)
    if isinstance(node, FieldIs):
        if node.field == "source":
            return any(t.source == node.value and t.state != "rejected" for t in rows)
        if node.field == "state":
            return any(t.state == node.value for t in rows)
        if node.field == "transition":
            return s.shot.transition_in.type == node.value
        if node.field == "engine":
            return analyses[s.analysis_id] == node.value
        pattern = node.value.lower() if "*" in node.value else f"*{node.value.lower()}*"
        return fnmatch.fnmatchcase(media.name.lower(), pattern)
    if isinstance(node, Text):
        texts = [] if node.scope == "notes" else [
            f"{t.observation} {t.reasoning} {t.answer}" for t in s.shot.traces]
        if node.scope != "traces":
            texts.append(s.shot.note)
        return any(node.words[0] in re.findall(r"\w+", t.lower()) for t in texts)
    raise TypeError(node)


leaves = st.one_of(
    st.builds(TagTerm, st.sampled_from(TAGS)),
    st.builds(lambda t, s: TagTerm(t, state=s), st.sampled_from(TAGS), st.sampled_from(STATES)),
    st.builds(lambda t, s: TagTerm(t, source=s), st.sampled_from(TAGS), st.sampled_from(SOURCES)),
    st.builds(lambda t, o, v: TagTerm(t, op=o, value=v), st.sampled_from(TAGS), st.sampled_from(OPS),
              st.sampled_from([0.2, 0.5, 0.7, 1.0])),
    st.builds(Compare, st.just("confidence"), st.sampled_from(OPS), st.sampled_from([0.4, 0.7, 1.0])),
    st.builds(Compare, st.sampled_from(["duration", "start", "end"]), st.sampled_from(OPS),
              st.sampled_from([2.0, 40.0, 500.0]), st.sampled_from(["s", "f"])),
    st.builds(FieldIs, st.just("source"), st.sampled_from(SOURCES + ["editor"])),
    st.builds(FieldIs, st.just("state"), st.sampled_from(STATES)),
    st.builds(FieldIs, st.just("transition"), st.sampled_from(["cut", "dissolve"])),
    st.builds(FieldIs, st.just("engine"), st.sampled_from(["geometry", "vlm"])),
    st.builds(FieldIs, st.just("media"), st.sampled_from(["A00*", "a002_*", "C007", "*.mov", "Z*"])),
    st.builds(lambda scope, w: Text(scope, (w,)), st.sampled_from(["all", "notes", "traces"]),
              st.sampled_from(WORDS)),
)
trees = st.recursive(leaves, lambda kids: st.one_of(
    st.builds(Not, kids),
    st.lists(kids, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
    st.lists(kids, min_size=2, max_size=3).map(lambda items: Or(tuple(items)))), max_leaves=6)


@given(trees)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sql_matches_independent_evaluation(small_library, tree):
    lib = small_library
    text = format_query(tree)
    assert parse(text) == tree
    media = {m.id: m for m in lib.media()}
    analyses = {a.id: a.engine for m in media.values() for a in lib.analyses(m)}
    shots = [s for m in sorted(media.values(), key=lambda m: m.path) for s in lib.shots(m)]
    expected = [s.id for s in shots if evaluate(tree, s, media[s.media_id], analyses)]
    assert lib.search_ids(text) == expected
    assert lib.count(text) == len(expected)


def test_collections_in_queries(small_library):
    lib = small_library
    ids = lib.search_ids("pan_left")[:3]
    lib.create_collection("Picks", ids)
    lib.save_search("Pans", "pan_left or pan_right")
    lib.save_search("Steady pans", 'collection:"Pans" and not handheld')
    assert lib.collection_ids("Picks") == ids
    assert lib.collection_ids("Steady pans") == lib.search_ids("(pan_left or pan_right) and not handheld")
    assert lib.search_ids('collection:Picks and collection:"Pans"') == ids
    with pytest.raises(QueryError) as info:
        lib.search("pan_left and collection:Nope")
    assert info.value.column == 24 and "no collection named 'Nope'" in info.value.message
    with pytest.raises(QueryError):
        lib.save_search("Broken", "pan_left and")
    assert [c.name for c in lib.collections()] == ["Pans", "Picks", "Steady pans"]
