"""A split half keeps only what is true of its frames: an engine's whole-shot tag stays where the
half's segments name it, the editor's decisions stay, the parent's trace becomes one line saying to
re-analyse; a merge leaves one trace; undo restores the parent exactly."""

from __future__ import annotations

import pytest

from camtag.library import open_library
from library_support import make_analysis


@pytest.fixture
def lib(library_url_factory):
    lib = open_library(library_url_factory())
    lib.import_analysis(make_analysis("A001.mov", 12, seed=7))
    yield lib
    lib.close()


def _engine_whole(rec) -> set[str]:
    return {t.tag for t in rec.tag_records
            if t.state == "proposed" and t.source != "editor" and t.start_frame is None}


def test_split_keeps_supported_tags_and_one_reanalyse_trace(lib):
    shots = lib.shots("/footage/A001.mov")
    a = next(s for s in shots if s.end_frame - s.start_frame >= 4
             and _engine_whole(s) - set(s.shot.segments[0].tags))
    named = set(a.shot.segments[0].tags)
    unsupported = _engine_whole(a) - named
    lib.add_tag(a.id, "crane_up")                             # an editor decision stays on both
    original = lib.shot(a.id)
    (new_id,) = lib.split_shot(a.id, a.start_frame + 2).added_shots
    for sid in (a.id, new_id):
        rec = lib.shot(sid)
        tags = {t.tag for t in rec.tag_records}
        assert "crane_up" in tags and not tags & unsupported
        assert _engine_whole(original) & named <= tags
        (trace,) = rec.shot.traces
        assert "Re-analyse to update" in trace.observation
        assert f"{a.start_frame}-{a.end_frame}" in trace.observation
    lib.merge_shots(a.id)
    assert len(lib.shot(a.id).shot.traces) == 1
    lib.undo()
    lib.undo()
    assert lib.shot(a.id) == original and lib.get_shots([new_id]) == []
