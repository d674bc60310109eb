"""Queue and resume logic of `library add` with a small stand-in for the pipeline (the real
pipeline, killed with SIGKILL, is in test_library_durable.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from camtag.jobs import Cancelled, CancelToken, Progress, run_job
from camtag.library import LibraryError, LibraryFullError
from camtag.runs.queue import batch_job as _batch_job, make_queue, unfinished_queue


def batch_job(*args, **kwargs):
    """The queue logic in-process: these tests swap in a stand-in pipeline module, which a
    spawned worker process would not see (isolation has its own tests in test_robust_guard)."""
    return _batch_job(*args, isolate=False, **kwargs)
from camtag.media.probe import probe
from camtag.model import Analysis, AnalysisRequest, Shot, Tag
from camtag.pipeline import Resume, ShotCurves
from camtag.runs import analyze_into_library
from library_support import SHOTS_DIR, new_library, raw
from media_paths import HAVE_MEDIA, MISSING_REASON

CLIPS = [os.path.join(SHOTS_DIR, n) for n in ("pyscenedetect_counter.mp4",
                                              "pyscenedetect_issue-134-rotate.mp4")]
pytestmark = pytest.mark.skipif(not HAVE_MEDIA, reason=MISSING_REASON)   # every test queues CLIPS


class FakePipeline:
    """Cuts every 10 frames; records how it was called; can fail or stop the run."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self.fail_on: str | None = None
        self.stop_after: int | None = None          # cancel the token after this many new shots
        self.reason = ""                            # a long reason makes every shot need new pages

    def analyze_job(self, path, request=None, *, cancel=None, resume=None, poster_dir=None,
                    media=None):
        start_frame, done_shots = resume.start_frame, resume.done_shots
        self.calls.append((os.path.basename(path), start_frame, len(done_shots)))
        info = probe(path)
        shots = list(done_shots)
        made = 0
        for start in range(start_frame, info.frames, 10):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if self.fail_on and self.fail_on in path:
                raise RuntimeError("decoder exploded")
            shot = Shot(len(shots), start, min(start + 10, info.frames),
                        tags=(Tag("pan_left", 0.5, reason=self.reason),))
            shots.append(shot)
            made += 1
            yield Progress(shot.end_frame, info.frames, "shots", shot)
            if self.stop_after is not None and made >= self.stop_after and cancel is not None:
                cancel.cancel("test stop")
        return Analysis(info, tuple(shots), detector=request.detector)


@pytest.fixture
def fake(monkeypatch):
    fake = FakePipeline()
    monkeypatch.setitem(sys.modules, "camtag.pipeline",
                        types.SimpleNamespace(analyze_job=fake.analyze_job, Resume=Resume,
                                              ShotCurves=ShotCurves))
    return fake


def test_queue_statuses_and_rerun(tmp_path, fake):
    (tmp_path / "notes.mov").write_text("not a video")
    lib = new_library(tmp_path)
    items = make_queue([CLIPS[0], str(tmp_path / "notes.mov"), str(tmp_path / "gone.mp4"), CLIPS[1]])
    seen = [p.partial.status for p in batch_job(lib, items)
            if p.partial is not None and hasattr(p.partial, "status")]
    assert [(i.name, i.status) for i in items] == [
        ("pyscenedetect_counter.mp4", "done"), ("notes.mov", "failed"),
        ("pyscenedetect_issue-134-rotate.mp4", "done"), ("gone.mp4", "failed")]
    assert "running" in seen and items[1].message.startswith("not a media file")
    assert items[3].message == "file not found"
    assert [i.shots for i in items if i.status == "done"] == [3, 24]
    again = make_queue([CLIPS[0], CLIPS[1]])
    run_job(batch_job(lib, again))
    assert [i.status for i in again] == ["up to date", "up to date"] and len(fake.calls) == 2


def test_cancel_then_resume_recomputes_nothing(tmp_path, fake):
    lib = new_library(tmp_path)
    fake.stop_after = 5
    token = CancelToken()
    items = make_queue([CLIPS[1], CLIPS[0]])
    run_job(batch_job(lib, items, cancel=token))
    assert [i.status for i in items] == ["cancelled", "queued"]
    (analysis,) = lib.analyses(CLIPS[1])
    assert (analysis.status, analysis.shots, analysis.frames_done) == ("cancelled", 5, 50)
    kept = [(s.id, s.start_frame) for s in lib.shots(CLIPS[1])]
    with pytest.raises(LibraryError, match="analysis is unfinished"):
        lib.analysis(CLIPS[1])                    # exporters get no silently partial result
    assert len(lib.analysis(CLIPS[1], partial=True).shots) == 5

    fake.stop_after = None
    items = unfinished_queue(lib) + make_queue([CLIPS[0]])     # `library add --unfinished PATH`
    assert [(i.path, i.request and i.request.detector) for i in items] == \
        [(CLIPS[1], "fused"), (CLIPS[0], None)]
    run_job(batch_job(lib, items, AnalysisRequest(detector="adaptive")))
    assert [i.status for i in items] == ["done", "done"] and items[0].resumed_from == 50
    assert fake.calls[-2] == ("pyscenedetect_issue-134-rotate.mp4", 50, 5)
    shots = lib.shots(CLIPS[1])
    assert [(s.id, s.start_frame) for s in shots[:5]] == kept          # the same rows, untouched
    assert [s.start_frame for s in shots] == list(range(0, 240, 10))
    assert [a.status for a in lib.analyses(CLIPS[1])] == ["done"]
    assert [s.start_frame for s in lib.analysis(CLIPS[1]).shots] == list(range(0, 240, 10))


def test_a_failing_file_is_reported_and_the_queue_goes_on(tmp_path, fake):
    lib = new_library(tmp_path)
    fake.fail_on = "counter"
    items = make_queue([CLIPS[0], CLIPS[1]])
    run_job(batch_job(lib, items))
    assert [(i.status, i.message) for i in items] == [
        ("failed", "RuntimeError: decoder exploded"), ("done", "")]
    (failed,) = lib.analyses(CLIPS[0])
    assert failed.status == "failed" and failed.error == "decoder exploded"


def test_library_full_stops_the_batch_with_the_shots_so_far_kept(tmp_path, fake):
    lib = new_library(tmp_path)
    path = tmp_path / "lib.sqlite"
    fake.reason = "the background slides left " * 400

    def fill_up(changes):                 # after the 3rd stored shot, no room for another page
        if lib.count("") == 3:
            conn = lib.store.connection()
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")

    lib.events.shots_did_change.connect(fill_up)
    items = make_queue([CLIPS[1], CLIPS[0]])
    with pytest.raises(LibraryFullError):
        run_job(batch_job(lib, items))
    assert [i.status for i in items] == ["failed", "queued"]
    db = raw(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM shots").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM tags").fetchone()[0] == 3      # no half-written shot
    lib.close()
    lib = new_library(tmp_path)                                          # room again: resume
    run_job(batch_job(lib, make_queue([CLIPS[1]])))
    assert fake.calls[-1] == ("pyscenedetect_issue-134-rotate.mp4", 30, 3)
    assert lib.count("") == 24


def test_a_live_owner_blocks_and_a_dead_one_is_taken_over(tmp_path, fake):
    lib = new_library(tmp_path)
    fake.stop_after = 2
    with pytest.raises(Cancelled):
        run_job(analyze_into_library(lib, CLIPS[1], cancel=CancelToken()))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with lib.store.write() as tx:
            tx.execute("UPDATE analyses SET status = 'running', owner = ?, heartbeat_at = ?",
                       (f"{os.uname().nodename}:{sleeper.pid}", "2999-01-01T00:00:00+00:00"))
        items = make_queue([CLIPS[1]])
        run_job(batch_job(lib, items, wait_s=0))      # not waiting for the live owner
        assert items[0].status == "failed" and "being analysed by another camtag process" in items[0].message
    finally:
        sleeper.kill()
        sleeper.wait()
    fake.stop_after = None
    items = make_queue([CLIPS[1]])
    run_job(batch_job(lib, items))
    assert items[0].status == "done" and items[0].resumed_from == 20
