"""Crash isolation: a worker that segfaults or hangs fails its file with a reason; the batch goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import badmedia
from camtag.jobs import drive, run_job
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
    run = drive(isolated_analyze_job(path, REQUEST, poster_dir=str(tmp_path / "p"), **kw))
    sent = False
    try:
        for p in run:
            if not sent and p.message.startswith("probing"):
                pids = worker_pids()
                assert len(pids) == 1
                os.kill(pids[0], sig)
                sent = True
        return run.result
    finally:
        run.close()


def test_isolated_run_matches_in_process_run(clip, tmp_path):
    partial = []
    direct = run_job(analyze_job(clip, REQUEST, poster_dir=str(tmp_path / "a")))
    run = drive(isolated_analyze_job(clip, REQUEST, poster_dir=str(tmp_path / "b")))
    for p in run:
        if p.partial is not None:
            partial.append(p.partial)
    isolated = run.result
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


_PARENT = """
import sys
from camtag.model import AnalysisRequest
from camtag.runs.guard import isolated_analyze_job, worker_pids
for p in isolated_analyze_job(sys.argv[1], AnalysisRequest(detector="adaptive", posters=False)):
    if worker_pids():
        print(worker_pids()[0], flush=True)
        sys.stdin.read()            # wait here until killed
"""


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:                                # an unreaped zombie has finished all the same
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("guard-long")
    return str(badmedia.encode(d / "long.mp4", n=2400, w=160, h=120,
                               options={"preset": "ultrafast"}))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_worker_whose_parent_is_killed_ends_with_one_line(long_clip, tmp_path, sig):
    """The parent dies (SIGTERM/SIGHUP, no handler): its worker meets a closed pipe and stops with
    one line on stderr, not a BrokenPipeError traceback."""
    err = tmp_path / "err.txt"
    with open(err, "w") as fh:
        parent = subprocess.Popen([sys.executable, "-c", _PARENT, long_clip], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=fh, text=True)
        worker = int(parent.stdout.readline())
        parent.send_signal(sig)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _gone(worker):
                break
            time.sleep(0.1)
        else:
            os.kill(worker, signal.SIGKILL)
            pytest.fail("the orphaned worker did not stop")
    text = err.read_text()
    assert "Traceback" not in text and "BrokenPipeError" not in text
    assert "analysis worker stopped (its parent has gone)" in text
