"""kill -9 at random points of analysis, model tagging and export (issue 9, "kill and resume").

Real subprocesses are SIGKILLed at seeded random times spread over a run's measured duration and
then run again. After every kill: the SQLite library passes ``PRAGMA integrity_check``, no finished
shot was lost or changed, no worker process outlives its killed parent, and an export target is
either absent or byte-identical to an uninterrupted export. Every round ends with an uninterrupted
resume whose result must equal an uninterrupted run's.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from fractions import Fraction
from pathlib import Path

import pytest

from library_support import APP, CLIP, camtag_cmd
from media_paths import HAVE_MEDIA, MISSING_REASON

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX kill -9")]

ANALYSIS_KILLS = 20
KILLS_PER_ROUND = 10
MARKER = "CAMTAG_KILL_TEST_MARKER"


def _env(marker: str = "") -> dict:
    env = dict(os.environ)
    core = os.path.dirname(os.path.abspath(__file__))
    env["PYTHONPATH"] = os.pathsep.join([APP, core, os.path.dirname(core), env.get("PYTHONPATH", "")])
    env[MARKER] = marker
    return env


def _start(cmd: list[str], marker: str, stderr=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=_env(marker), stdout=subprocess.DEVNULL, stderr=stderr,
                            text=True)


def _run_or_kill(cmd: list[str], delay: float) -> tuple[bool, str, int, str]:
    """Start ``cmd`` and SIGKILL it ``delay`` s later, unless it ended before.
    Returns (was it killed?, its marker, its return code, its stderr)."""
    marker = uuid.uuid4().hex
    proc = _start(cmd, marker)
    try:
        _, err = proc.communicate(timeout=delay)
        return False, marker, proc.returncode, err
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)      # it may have finished in the meantime
        _, err = proc.communicate()
    if proc.returncode != -signal.SIGKILL:     # it won the race: a normal end, not a kill
        return False, marker, proc.returncode, err
    return True, marker, proc.returncode, err


def _marked_pids(marker: str) -> list[int]:
    """Live processes started (directly or not) by the run tagged ``marker`` (Linux /proc)."""
    needle = f"{MARKER}={marker}".encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    pids.append(int(entry))
        except OSError:
            pass                            # gone meanwhile, or a zombie
    return pids


def _assert_no_orphans(marker: str, within: float = 5.0) -> None:
    """The decode worker (and multiprocessing's helpers) must die with their killed parent."""
    if not os.path.isdir("/proc"):
        return
    deadline = time.monotonic() + within
    while (alive := _marked_pids(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive, f"processes outlived their SIGKILLed parent: {alive}"


# -- analysis into the library -------------------------------------------------------------------
def _library_state(path: Path) -> tuple[str, set[tuple[int, int, int]], list[str]]:
    """(integrity_check, finished shots as (id, start, end), analysis statuses), read straight
    from the file by an independent sqlite3 connection, as a restarted app would."""
    if not path.exists():
        return "ok", set(), []
    db = sqlite3.connect(str(path), timeout=30)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        shots = set(db.execute("SELECT id, start_frame, end_frame FROM shots")) \
            if "shots" in tables else set()
        statuses = [r[0] for r in db.execute("SELECT status FROM analyses ORDER BY id")] \
            if "analyses" in tables else []
    finally:
        db.close()
    return integrity, shots, statuses


def _add_cmd(path: Path) -> list[str]:
    return camtag_cmd("library", "add", CLIP, "--library", f"sqlite:///{path}",
                      "--detector", "adaptive")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """One uninterrupted `camtag library add`: its shots, and when the first shot and the end came."""
    if not HAVE_MEDIA:
        pytest.skip(MISSING_REASON)
    folder = tmp_path_factory.mktemp("ref")
    path, log = folder / "ref.sqlite", open(folder / "stderr.txt", "w+")
    t0 = time.monotonic()
    proc = _start(_add_cmd(path), uuid.uuid4().hex, stderr=log)
    first = None
    while proc.poll() is None:
        if first is None:
            try:
                if _library_state(path)[1]:
                    first = time.monotonic() - t0
            except sqlite3.Error:           # read while the writer is still creating the file
                pass
        time.sleep(0.05)
    total = time.monotonic() - t0
    log.seek(0)
    assert proc.returncode == 0, log.read()[-800:]
    log.close()
    integrity, shots, statuses = _library_state(path)
    bounds = sorted((s, e) for _, s, e in shots)
    assert integrity == "ok" and statuses == ["done"] and len(bounds) == 6
    return bounds, first or total / 2, total


def test_random_kill_9_during_analysis_loses_no_finished_shot(tmp_path, uninterrupted):
    bounds, first_shot_s, total_s = uninterrupted
    rng = random.Random(20240901)
    kills, rounds, progress_kills = 0, 0, 0
    while kills < ANALYSIS_KILLS:
        rounds += 1
        path = tmp_path / f"round{rounds}.sqlite"
        kept: set[tuple[int, int, int]] = set()
        for _ in range(min(KILLS_PER_ROUND, ANALYSIS_KILLS - kills)):
            # a resumed run only has the shots left to do: spread the kill over what remains of it
            left = first_shot_s + (total_s - first_shot_s) * (len(bounds) - len(kept)) / len(bounds)
            killed, marker, code, err = _run_or_kill(_add_cmd(path), rng.uniform(0.02, left))
            if not killed:
                assert code == 0, err[-800:]
                break
            kills += 1
            _assert_no_orphans(marker)
            integrity, shots, statuses = _library_state(path)
            assert integrity == "ok"
            assert kept <= shots, f"finished shots lost by kill {kills}: {sorted(kept - shots)}"
            progress_kills += len(shots) > len(kept)
            assert all(s != "done" for s in statuses) or sorted(
                (a, b) for _, a, b in shots) == bounds
            kept = shots
        done = subprocess.run(_add_cmd(path), env=_env(), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-800:]
        integrity, shots, statuses = _library_state(path)
        assert integrity == "ok" and statuses == ["done"]
        assert kept <= shots                                   # resumed, nothing redone
        assert sorted((a, b) for _, a, b in shots) == bounds   # same shots as never killed
    assert kills >= ANALYSIS_KILLS and progress_kills >= 3      # kills landed mid-analysis too


# -- export --------------------------------------------------------------------------------------
EXPORT_FORMATS = {"edl": "cut.edl", "otio": "cut.otio", "fcpxml": "cut.fcpxml"}
EXPORT_KILLS = 4                    # per format, plus one at once


@pytest.fixture(scope="module")
def export_source(tmp_path_factory):
    from camtag.analysis_json import write_analysis
    from export_support import make_analysis, make_media

    rng = random.Random(6)
    cuts = [0]
    for _ in range(900):
        cuts.append(cuts[-1] + rng.randint(5, 60))
    media = make_media(Fraction(24000, 1001), frames=cuts[-1] + 10)
    path = tmp_path_factory.mktemp("export") / "analysis.json"
    write_analysis(str(path), make_analysis(media, cuts))
    return path


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_random_kill_9_during_export_leaves_complete_or_absent(tmp_path, export_source, fmt):
    name = EXPORT_FORMATS[fmt]
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    t0 = time.monotonic()
    done = subprocess.run(camtag_cmd("export", str(export_source), "--format", fmt,
                                     "-o", str(ref_dir / name)),
                          env=_env(), capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - t0
    assert done.returncode == 0, done.stderr
    expected = (ref_dir / name).read_bytes()
    assert sorted(os.listdir(ref_dir)) == [name] and len(expected) > 10_000

    rng = random.Random(fmt)
    delays = [0.0] + [rng.uniform(0.0, seconds) for _ in range(EXPORT_KILLS)]
    kills = completed = 0
    n = -1
    while delays:
        n += 1
        delay = delays.pop(0)
        t_run = time.monotonic()
        folder = tmp_path / f"try{n}"
        folder.mkdir()
        out = folder / name
        killed, marker, code, err = _run_or_kill(camtag_cmd("export", str(export_source),
                                                            "--format", fmt, "-o", str(out)), delay)
        kills += killed
        assert killed or code == 0, err
        _assert_no_orphans(marker)
        if out.exists():                                     # complete, never half a file
            assert out.read_bytes() == expected
            completed += 1
            seconds = min(seconds, time.monotonic() - t_run)
        else:
            assert killed
        strays = [f for f in os.listdir(folder) if f != name]
        # only the atomic writer's temporary files may be left, never named like the output
        assert all(f.startswith(".camtag-") and f.endswith(".part") for f in strays), strays
        if not delays and kills < 3 and n < 3 * EXPORT_KILLS:   # the runs got faster than the
            delays.append(rng.uniform(0.0, seconds / 2))       # reference: kill earlier
    assert kills >= 3


# -- model tagging -------------------------------------------------------------------------------
# The shipped path: `camtag batch CLIP --engine llamacpp` (in-process) runs the geometric pass into
# the library, then the real llamacpp backend (a scripted tiny GGUF on the CPU) tags the stored
# shots one by one, each stored as soon as it is tagged; a rerun tags only what is left.
def _model_tagged(url: str, clip: str) -> dict[int, tuple]:
    """start frame -> (tags, traces) of every shot the model finished (must never shrink)."""
    import sqlite3

    from camtag.library import open_library

    path = url[len("sqlite:///"):]
    if not os.path.exists(path):
        return {}
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    lib = open_library(url)
    try:
        if lib.find_media(clip) is None:
            return {}
        out = {}
        for r in lib.shots(clip):
            tags = tuple((t.id, round(t.confidence, 6), t.source) for t in r.shot.tags)
            if any(src in ("vlm", "fusion") for _, _, src in tags):
                out[r.start_frame] = (tags, tuple((t.source, t.answer) for t in r.shot.traces))
        return out
    finally:
        lib.close()


def test_random_kill_9_during_model_tagging_keeps_tagged_shots(tmp_path):
    if not HAVE_MEDIA:
        pytest.skip(MISSING_REASON)
    pytest.importorskip("gguf", reason="the tiny GGUF model is written with the gguf package")
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is an optional backend")
    from camtag.reasoner.tiny_models import write_tiny_gguf
    from media_paths import SHOTS_DIR
    from reasoner_support import SCRIPTED_REPLY

    model, mmproj = write_tiny_gguf(tmp_path / "model", reply=SCRIPTED_REPLY)
    clip = str(SHOTS_DIR / "pyscenedetect_issue-195-aspect-ratio.mp4")

    def cmd(url: str) -> list[str]:
        return [sys.executable, "-m", "camtag", "batch", clip, "--library", url,
                "--detector", "adaptive", "--engine", "llamacpp", "--model", str(model),
                "--mmproj", str(mmproj), "--model-set", "n_threads=1",
                "--model-set", "max_new_tokens=64", "--model-set", "max_questions=2"]

    reference = f"sqlite:///{tmp_path / 'reference.sqlite'}"
    t0 = time.monotonic()
    done = subprocess.run(cmd(reference), env=_env(), capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - t0
    assert done.returncode == 0, done.stderr[-800:]
    expected = _model_tagged(reference, clip)
    assert len(expected) == 6                                   # the model tagged every shot

    rng = random.Random(5)
    kills = tagged_kills = 0
    deadline = time.monotonic() + max(60.0, 5 * seconds)      # rounds until enough kills, load-independent
    for round_no in range(12):                                 # rounds of kill, resume, kill…
        url = f"sqlite:///{tmp_path / f'killed-{round_no}.sqlite'}"
        kept: dict[int, tuple] = {}
        while True:
            left = seconds * (1 - 0.6 * len(kept) / len(expected))
            killed, marker, code, err = _run_or_kill(cmd(url), rng.uniform(0.5, max(1.0, left)))
            if not killed:
                assert code == 0, err[-800:]
                break
            kills += 1
            _assert_no_orphans(marker)
            now = _model_tagged(url, clip)                    # integrity checked inside
            assert {k: now.get(k) for k in kept} == kept, f"tagged shots lost by kill {kills}"
            tagged_kills += bool(now)
            kept = now
        assert _model_tagged(url, clip) == expected         # resumed = uninterrupted
        if kills >= 3 or time.monotonic() > deadline:
            break
    assert kills >= 2, kills                                   # a kill landed mid-run and was resumed


