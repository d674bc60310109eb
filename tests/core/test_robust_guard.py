"""Crash isolation: a worker that segfaults or hangs fails its file with a reason; the batch goes on."""

from __future__ import annotations

import os
import signal

import pytest

import badmedia
from camtag.jobs import run_job
from camtag.media.errors import MediaError
from camtag.model import AnalysisRequest
from camtag.pipeline import analyze_job
from camtag.runs.guard import isolated_analyze_job, worker_pids

REQUEST = AnalysisRequest(detector="adaptive")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("guard")
    return str(badmedia.encode(d / "clip.mp4", n=240, w=160, h=120, options={"preset": "ultrafast"}))


def _run_with_signal(path, sig, tmp_path, **kw):
    """Drive the isolated job; send ``sig`` to the worker once it has reported progress."""
    job = isolated_analyze_job(path, REQUEST, poster_dir=str(tmp_path / "p"), **kw)
    sent = False
    try:
        while True:
            p = next(job)
            if not sent and p.message.startswith("probing"):
                pids = worker_pids()
                assert len(pids) == 1
                os.kill(pids[0], sig)
                sent = True
    except StopIteration as stop:
        return stop.value
    finally:
        job.close()


def test_isolated_run_matches_in_process_run(clip, tmp_path):
    partial = []
    direct = run_job(analyze_job(clip, REQUEST, poster_dir=str(tmp_path / "a")))
    job = isolated_analyze_job(clip, REQUEST, poster_dir=str(tmp_path / "b"))
    try:
        while True:
            p = next(job)
            if p.partial is not None:
                partial.append(p.partial)
    except StopIteration as stop:
        isolated = stop.value
    assert [(s.start_frame, s.end_frame) for s in isolated.shots] == \
           [(s.start_frame, s.end_frame) for s in direct.shots]
    assert [s.index for s in partial] == [s.index for s in isolated.shots]
    assert [t.id for t in isolated.shots[0].tags] == [t.id for t in direct.shots[0].tags]
    assert worker_pids() == []


def test_segfault_in_worker_fails_the_file_and_the_batch_goes_on(clip, tmp_path):
    outcomes = []
    for n, sig in enumerate((None, signal.SIGSEGV, None, signal.SIGKILL)):
        try:
            if sig is None:
                a = _run_with_signal(clip, 0, tmp_path / str(n))     # signal 0: no-op probe
            else:
                a = _run_with_signal(clip, sig, tmp_path / str(n))
            outcomes.append(("done", len(a.shots)))
        except MediaError as exc:
            assert exc.path == clip and "\n" not in str(exc)
            outcomes.append(("failed", exc.reason))
    assert outcomes[0][0] == outcomes[2][0] == "done" and outcomes[0][1] >= 1
    assert outcomes[1] == ("failed", "the decoder crashed (SIGSEGV); the file is probably damaged")
    assert outcomes[3] == ("failed", "the decoder crashed (SIGKILL); the file is probably damaged")
    assert worker_pids() == []


def test_hung_worker_is_stopped_by_the_watchdog(clip, tmp_path):
    with pytest.raises(MediaError, match=r"analysis hung: no progress for 1.5 s"):
        _run_with_signal(clip, signal.SIGSTOP, tmp_path, stall_timeout=1.5)
    assert worker_pids() == []


def test_total_timeout_and_media_errors_pass_through(clip, tmp_path):
    with pytest.raises(MediaError, match=r"took longer than 0.3 s"):
        run_job(isolated_analyze_job(clip, REQUEST, total_timeout=0.3))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError) as info:
        run_job(isolated_analyze_job(str(empty), REQUEST))
    assert info.value.reason == "file is empty (0 bytes)"
    assert worker_pids() == []
