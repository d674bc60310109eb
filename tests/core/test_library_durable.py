"""Durable analysis with the real pipeline on a real clip: kill -9 mid-analysis and resume, Ctrl-C
through the CLI, readers while the writer runs, moved and changed media, re-analysis."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from camtag.jobs import run_job
from camtag.library import open_library
from camtag.runs import AnalysisRequest, analyze_into_library
from library_support import CLIP, SHOTS_DIR, camtag_cmd, raw, subprocess_env

pytest.importorskip("camtag.pipeline")
DETECTOR = os.environ.get("CAMTAG_TEST_DETECTOR", "adaptive")
REQUEST = AnalysisRequest(detector=DETECTOR)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run: the shots every interrupted run must end up with."""
    folder = tmp_path_factory.mktemp("ref")
    lib = open_library(str(folder / "ref.sqlite"))
    t0 = time.monotonic()
    record = run_job(analyze_into_library(lib, CLIP, REQUEST))
    seconds = time.monotonic() - t0
    bounds = [(s.start_frame, s.end_frame) for s in lib.shots(CLIP)]
    lib.close()
    assert record.status == "done" and len(bounds) == record.shots >= 3
    return bounds, seconds


def _wait_for_shots(proc, lib, minimum: int, timeout: float = 120.0) -> list[int]:
    """Poll as a second reader while the subprocess writes; returns the counts seen."""
    counts = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"analysis ended before it could be interrupted: {err[-500:]}")
        n = lib.count("")
        records = lib.search("", limit=50)               # full reads while the writer commits
        assert min(n, 50) <= len(records) <= 50          # a later snapshot never has fewer
        counts.append(n)
        if n >= minimum:
            return counts
        time.sleep(0.02)
    pytest.fail("no shots were stored in time")


def _start_add(url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(camtag_cmd("library", "add", CLIP, "--library", url,
                                       "--detector", DETECTOR, *extra),
                            env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_until_created(path, proc) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if os.path.exists(path):
            try:
                if raw(path).execute("SELECT count(*) FROM shots").fetchone() is not None:
                    return
            except Exception:  # noqa: BLE001 - still being created
                pass
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the library was not created")


def test_kill_9_mid_analysis_then_resume(tmp_path, reference):
    bounds, _ = reference
    path = tmp_path / "lib.sqlite"
    url = f"sqlite:///{path}"
    proc = _start_add(url)
    _wait_until_created(path, proc)
    lib = open_library(url)
    counts = _wait_for_shots(proc, lib, 2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert counts == sorted(counts)                       # the reader only ever saw progress

    kept = [(s.id, s.start_frame, s.end_frame) for s in lib.shots(CLIP)]
    (analysis,) = lib.analyses(CLIP)
    assert analysis.status == "running" and 2 <= len(kept) < len(bounds)

    record = run_job(analyze_into_library(lib, CLIP, REQUEST))
    assert record.resumed_from == kept[-1][2] and record.status == "done"
    shots = lib.shots(CLIP)
    assert [(s.id, s.start_frame, s.end_frame) for s in shots[:len(kept)]] == kept   # not redone
    assert len(shots) == len(bounds)
    assert [(s.start_frame, s.end_frame) for s in shots] == bounds
    lib.close()
    db = raw(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM shots").fetchone()[0] == len(bounds)
    assert db.execute("SELECT status FROM analyses").fetchall() == [("done",)]


def test_ctrl_c_in_the_cli_then_resume_status_and_search(tmp_path, reference):
    bounds, _ = reference
    path = tmp_path / "lib.sqlite"
    url = f"sqlite:///{path}"
    proc = _start_add(url)
    _wait_until_created(path, proc)
    lib = open_library(url)
    _wait_for_shots(proc, lib, 1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted; run the same command again to resume" in err
    assert [a.status for a in lib.analyses(CLIP)] == ["cancelled"]
    kept = lib.count("")

    done = subprocess.run(camtag_cmd("library", "add", CLIP, "--library", url, "--detector", DETECTOR),
                          env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "resuming at frame" in done.stderr and f"({kept} shots kept)" in done.stderr
    status = json.loads(subprocess.run(camtag_cmd("library", "status", "--json", "--library", url),
                                       env=subprocess_env(), capture_output=True, text=True).stdout)
    assert status["shots"] == len(bounds) and status["unfinished"] == []
    found = subprocess.run(camtag_cmd("search", "--json", "--library", url, ""),
                           env=subprocess_env(), capture_output=True, text=True)
    shots = json.loads(found.stdout)["shots"]
    assert [(s["start_frame"], s["end_frame"]) for s in shots] == bounds
    lib.close()


def test_moved_media_is_relinked_and_changed_media_reanalysed(tmp_path):
    small = os.path.join(SHOTS_DIR, "pyscenedetect_counter.mp4")
    other = os.path.join(SHOTS_DIR, "pyscenedetect_issue-236-split-copy.mkv")
    first = tmp_path / "A001.mp4"
    shutil.copy(small, first)
    lib = open_library(str(tmp_path / "lib.sqlite"))
    run_job(analyze_into_library(lib, str(first), REQUEST))
    shot = lib.shots(str(first))[0]
    proposed = shot.tag_records[0].tag
    lib.confirm_tag(shot.id, proposed)
    lib.add_tag(shot.id, "hero")

    moved = tmp_path / "card" / "A001.mp4"
    moved.parent.mkdir()
    shutil.move(first, moved)
    assert [m.path for m in lib.status().missing_media] == [str(first)]
    notes = []
    record = run_job(analyze_into_library(lib, str(moved), REQUEST),
                     lambda p: notes.append(p.message))
    assert record.skipped and any("re-linked moved media" in n for n in notes)
    assert lib.shots(str(moved))[0].id == shot.id and lib.status().missing_media == ()

    shutil.copy(other, moved)                            # same name, other content
    notes.clear()
    record = run_job(analyze_into_library(lib, str(moved), REQUEST), lambda p: notes.append(p.message))
    assert not record.skipped and any("changed since it was analysed" in n for n in notes)
    assert len(lib.analyses(str(moved))) == 2               # the old analysis is kept
    new = lib.shots(str(moved))[0]                         # the editor's decisions carry over
    assert (new.tag_state(proposed), new.tag_state("hero")) == ("confirmed", "added")
    lib.close()
