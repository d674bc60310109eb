"""Editor words -> query language (camtag.taxonomy.translate_query): synonyms, display names,
quoted phrases, the confidence floor, "did you mean", and that every translation parses."""

from __future__ import annotations

import pytest

from camtag.library.query import TagTerm, parse
from camtag.taxonomy import (TaxonomyError, default_taxonomy, parse_taxonomy, translate_query)


@pytest.fixture(scope="module")
def tax():
    return default_taxonomy()


@pytest.mark.parametrize("text, expected", [
    ("pan left", "pan_left>=0.5"),
    ("Pan_Left", "pan_left>=0.5"),
    ("pan", "(pan_left>=0.5 or pan_right>=0.5)"),
    ("dolly", "(dolly_in>=0.5 or dolly_out>=0.5)"),
    ('"push in"', '(dolly_in>=0.5 or "push in")'),
    ("push in duration>2s", "dolly_in>=0.5 duration>2s"),
    ("locked off and not handheld", "static>=0.5 and not handheld>=0.5"),
    ("-pan", "-(pan_left>=0.5 or pan_right>=0.5)"),
    ("pan_left:confirmed", "pan_left:confirmed"),          # qualified terms pass unchanged
    ("tilt_up>0.7 or note:reshoot", "tilt_up>0.7 or note:reshoot"),
    ('"reshoot"', '"reshoot"'),                            # free text that names no tag
])
def test_editor_words_become_tag_ids(tax, text, expected):
    result = translate_query(text, tax)
    assert result.query == expected
    assert parse(result.query) is not None                 # always valid query language


def test_floor_is_a_parameter_and_terms_carry_it(tax):
    node = parse(translate_query("pan right", tax, min_confidence=0.7).query)
    assert node == TagTerm("pan_right", op=">=", value=0.7)
    assert translate_query("pan right", tax, min_confidence=0).query == "pan_right"


def test_notes_and_did_you_mean(tax):
    r = translate_query("pan", tax)
    assert r.notes == ("pan → Pan Left, Pan Right",)
    r = translate_query("pan_lef and tilt_dwn", tax)
    assert r.query == "pan_lef and tilt_dwn"               # kept: the editor decides
    assert r.suggestions == (("pan_lef", "pan_left"), ("tilt_dwn", "tilt_down"))
    assert translate_query("xyzzy", tax).suggestions == ()


def test_resolve_and_twins(tax):
    assert tax.resolve("push in") == ("dolly_in",)
    assert tax.resolve("Dolly In") == ("dolly_in",)
    assert tax.resolve("nothing like it") == ()
    assert tax.get("pan_left").confusable == "truck_left"
    assert tax.is_movement("pan_left") and not tax.is_movement("stable")


def test_bad_synonyms_and_twins_are_one_line_errors():
    base = '[[tag]]\nid = "a"\nname = "A"\ncolor = "#000000"\nfamily = "other"\n'
    with pytest.raises(TaxonomyError, match="synonyms must be a list"):
        parse_taxonomy(base + 'synonyms = "a"\n')
    with pytest.raises(TaxonomyError, match="confusable 'b' is not a tag"):
        parse_taxonomy(base + 'confusable = "b"\n')
