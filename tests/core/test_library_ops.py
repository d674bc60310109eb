"""Editor operations: what they change, the Changes they report, undo/redo, events, collections,
and editor work surviving a re-analysis with another engine."""

from __future__ import annotations

import logging

import pytest

from camtag.library import Changes, LibraryError, UndoError, open_library
from camtag.model import Tag
from library_support import make_analysis


@pytest.fixture
def lib(library_url_factory):                   # every test runs on SQLite and on PostgreSQL
    lib = open_library(library_url_factory())
    lib.import_analysis(make_analysis("A001.mov", 8, seed=4))
    yield lib
    lib.close()


def _bounds(lib, media="/footage/A001.mov"):
    return [(s.index, s.start_frame, s.end_frame) for s in lib.shots(media)]


def test_tag_decisions_change_what_search_sees_and_undo_restores_exactly(lib):
    events = []
    lib.events.shots_did_change.connect(events.append)
    shot = lib.shots("/footage/A001.mov")[2]
    proposed = shot.tag_records[0].tag
    original = lib.shot(shot.id)

    changes = lib.reject_tag(shot.id, proposed)
    assert changes == Changes(shots=frozenset({shot.id}), tags=frozenset({(shot.id, proposed)}),
                              label=f"Reject {proposed}")
    assert events == [changes]
    assert shot.id not in lib.search_ids(proposed) and shot.id in lib.search_ids(f"{proposed}:rejected")
    assert proposed not in [t.id for t in lib.shot(shot.id).shot.tags]

    lib.add_tag(shot.id, "crane_up")
    assert lib.shot(shot.id).shot.tags[-1] == Tag("crane_up", 1.0, "editor")
    assert lib.search_ids("crane_up state:added") == [shot.id]
    lib.confirm_tag(shot.id, proposed)
    assert lib.shot(shot.id).tag_state(proposed) == "confirmed"
    assert lib.undo_stack.undo_label == f"Confirm {proposed}"

    for _ in range(3):
        lib.undo()
    assert lib.shot(shot.id) == original and not lib.can_undo
    lib.redo()
    assert lib.shot(shot.id).tag_state(proposed) == "rejected"
    assert lib.undo().inverted() == changes            # undo reports the same shots and tags


def test_split_merge_and_move_cut(lib):
    shots = lib.shots("/footage/A001.mov")
    a, b = shots[1], shots[2]
    lib.add_tag(a.id, "tilt_up", a.start_frame, a.end_frame)   # a ranged tag gets clipped
    lib.edit_note(a.id, "hero shot")
    lib.create_collection("Selects", [a.id])
    before = _bounds(lib)
    cut = a.start_frame + 4

    split = lib.split_shot(a.id, cut)
    (new_id,) = split.added_shots
    later = {s.id for s in shots[2:]}                 # renumbered at once, in the same undo step
    assert split.shots == {a.id} | later
    assert [s.index for s in lib.shots("/footage/A001.mov")] == list(range(len(shots) + 1))
    assert _bounds(lib)[1:3] == [(1, a.start_frame, cut), (2, cut, a.end_frame)]
    first, second = lib.shot(a.id), lib.shot(new_id)
    assert [(t.start_frame, t.end_frame) for t in first.tag_records if t.tag == "tilt_up"] == \
        [(a.start_frame, cut)]
    assert [(t.start_frame, t.end_frame) for t in second.tag_records if t.tag == "tilt_up"] == \
        [(cut, a.end_frame)]
    assert first.shot.note == "hero shot" and second.shot.note == ""
    assert second.shot.evidence == first.shot.evidence and first.shot.evidence["speed"] == 1.5
    assert second.shot.transition_in.start_frame == cut
    assert lib.collection_ids("Selects") == [a.id, new_id]

    merge = lib.merge_shots(a.id)
    assert merge.removed_shots == {new_id} and _bounds(lib) == before
    assert len([t for t in lib.shot(a.id).tag_records if t.tag == "tilt_up"]) == 2   # two ranges

    move = lib.move_cut(b.id, b.start_frame + 3)
    assert move.shots == {a.id, b.id}
    assert lib.shot(a.id).end_frame == lib.shot(b.id).start_frame == b.start_frame + 3
    with pytest.raises(LibraryError, match="must stay inside"):
        lib.move_cut(b.id, b.end_frame)
    with pytest.raises(LibraryError, match="cannot split"):
        lib.split_shot(b.id, b.start_frame)

    for _ in range(3):
        lib.undo()
    assert _bounds(lib) == before
    assert lib.get_shots([new_id]) == []
    lib.redo()                                          # the split comes back with the same id
    assert lib.shot(new_id).start_frame == cut


def test_undo_refuses_when_another_session_changed_the_shot(lib):
    shot_id = lib.search_ids("")[0]
    lib.edit_note(shot_id, "mine")
    other = open_library(str(lib.url))
    other.edit_note(shot_id, "theirs")
    assert lib.poll_external_changes() in (False, True)   # first call primes the counter
    other.edit_note(shot_id, "theirs again")
    assert lib.poll_external_changes() is True
    with pytest.raises(UndoError, match="changed elsewhere"):
        lib.undo()
    assert lib.shot(shot_id).shot.note == "theirs again" and lib.can_undo
    other.close()


def test_a_failing_subscriber_does_not_break_the_library(lib, caplog):
    seen = []
    lib.events.shots_did_change.connect(lambda changes: 1 / 0)
    lib.events.shots_did_change.connect(seen.append)
    with caplog.at_level(logging.WARNING, logger="camtag.library.events"):
        lib.edit_note(lib.search_ids("")[0], "x")
    assert len(seen) == 1 and "subscriber" in caplog.text


def test_reanalysis_with_another_engine_keeps_the_editors_work(library_url_factory):
    lib = open_library(library_url_factory())
    first = make_analysis("A001.mov", 0, seed=1, cuts=[0, 50, 100, 150, 200, 250])
    lib.import_analysis(first)
    s = lib.shots("/footage/A001.mov")
    present = {t.tag for t in s[1].tag_records}
    confirmed = sorted(present)[0]
    rejected = sorted({t.tag for t in s[2].tag_records})[0]
    lib.confirm_tag(s[1].id, confirmed)
    lib.reject_tag(s[2].id, rejected)
    lib.add_tag(s[3].id, "crane_up")
    lib.edit_note(s[4].id, "use this take")
    lib.create_collection("Selects", [s[0].id])
    old_ids = [x.id for x in s]

    # the new engine splits shot 1 in two and moves the last cut
    second = make_analysis("A001.mov", 0, seed=9, engine="vlm", settings={"engine": "vlm"},
                           cuts=[0, 50, 75, 100, 150, 210, 250])
    lib.import_analysis(second)
    new = lib.shots("/footage/A001.mov")
    assert [x.start_frame for x in new] == [0, 50, 75, 100, 150, 210]
    assert not set(old_ids) & {x.id for x in new}
    assert new[1].tag_state(confirmed) == new[2].tag_state(confirmed) == "confirmed"
    assert new[3].tag_state(rejected) == "rejected"
    assert new[3].id not in lib.search_ids(rejected)
    assert new[4].tag_state("crane_up") == "added"
    assert new[5].shot.note == "use this take"              # best overlap of old 200-250
    assert lib.collection_ids("Selects") == [new[0].id]
    # every analysis is kept, with its shots
    assert [(a.engine, a.shots) for a in lib.analyses("/footage/A001.mov")] == [("geometry", 5),
                                                                              ("vlm", 6)]
    assert lib.get_shots(old_ids)[1].tag_state(confirmed) == "confirmed"
    lib.close()
