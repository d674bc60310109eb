"""`camtag batch` on a local Ray instance (2 CPUs): the same shots as the in-process run, and a
worker killed mid-file is retried, resumes from the stored shots and duplicates none."""

from __future__ import annotations

import os

import pytest

from camtag.library import open_library
from camtag.scale.runner import run_batch
from library_support import SHOTS_DIR
from ray_support import ADAPTIVE, fault_session, reference_run

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install \"ray[default]\")")

CLIPS = [os.path.join(SHOTS_DIR, n) for n in ("pyscenedetect_testvideo.mp4",
                                                "pyscenedetect_issue-134-rotate.mp4",
                                                "pyscenedetect_counter.mp4")]


@pytest.fixture(scope="module")
def crash_marker(tmp_path_factory):
    with fault_session(tmp_path_factory, CLIPS) as marker:
        yield marker


@pytest.fixture(scope="module")
def reference(tmp_path_factory, crash_marker):
    return reference_run(tmp_path_factory, crash_marker, CLIPS, _contents)


def _contents(url: str) -> dict:
    lib = open_library(url)
    try:
        out = {}
        for path in CLIPS:
            out[os.path.basename(path)] = [
                (s.start_frame, s.end_frame, s.shot.transition_in,
                 tuple((t.tag, round(t.confidence, 6), t.source) for t in s.tag_records))
                for s in lib.shots(path)]
            assert len(lib.analyses(path)) == 1          # resumed, never restarted or doubled
        with lib.store.read() as tx:
            assert tx.scalar("SELECT count(*) FROM (SELECT analysis_id, start_frame FROM shots "
                             "GROUP BY 1, 2 HAVING count(*) > 1) d") == 0
        return out
    finally:
        lib.close()


def test_ray_batch_equals_the_single_process_run(tmp_path, reference, crash_marker):
    crash_marker.touch()
    url = f"sqlite:///{tmp_path / 'ray.sqlite'}"
    seen = []
    results = run_batch(CLIPS, url, ray_address="local", request=ADAPTIVE,
                        on_progress=lambda done, total: seen.append((done, total)))
    crash_marker.unlink()
    assert [r.status for r in results] == ["done"] * 3
    assert _contents(url) == reference
    assert sum(len(v) for v in reference.values()) == sum(r.shots for r in results)
    assert seen and seen[-1][0] == seen[-1][1] > 0                # one aggregated bar, complete


def test_a_worker_killed_mid_file_is_retried_without_duplicates(tmp_path, reference, crash_marker):
    assert not crash_marker.exists()
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    results = run_batch(CLIPS, url, ray_address="local", request=ADAPTIVE, max_retries=2)
    assert crash_marker.exists()                                   # a worker really died
    assert [r.status for r in results] == ["done"] * 3, [r.message for r in results]
    # same shots, tags and confidences; the incoming transition of the first shot found after a
    # resume is not re-detected (known resume limitation of the pipeline, reported to the lead)
    strip = lambda c: {k: [(a, b, t) for a, b, _, t in v] for k, v in c.items()}   # noqa: E731
    assert strip(_contents(url)) == strip(reference)
    assert any(r.resumed_from > 0 for r in results)                # the retry kept stored shots


def test_a_file_failing_every_attempt_is_reported(tmp_path, crash_marker):
    crash_marker.touch()
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 4096)
    url = f"sqlite:///{tmp_path / 'bad.sqlite'}"
    results = run_batch([str(bad), CLIPS[2]], url, ray_address="local", request=ADAPTIVE,
                        max_retries=1)
    assert [r.status for r in results] == ["failed", "done"]
    assert results[0].message


_LOCAL = """
import subprocess
from camtag.scale.runner import init_ray
init_ray("local", 1)
import ray
print(sorted({n["NodeManagerAddress"] for n in ray.nodes()}))
port = ray.get_runtime_context().gcs_address.rsplit(":", 1)[1]
out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
print(sorted({line.split()[3].rsplit(":", 1)[0] for line in out.splitlines()[1:]
              if line.split()[3].rsplit(":", 1)[1] == port}))
ray.shutdown()
"""


def test_a_local_ray_listens_on_loopback_only():
    """`camtag batch --ray local`: the node is 127.0.0.1 and its GCS listens there only (nothing
    else on the network can submit work to it). A fresh process: Ray reads the switch on import."""
    import shutil
    import subprocess
    import sys

    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is not installed")
    # nothing of this module's Ray session (its address, its switches) reaches the child
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    done = subprocess.run([sys.executable, "-c", _LOCAL], capture_output=True, text=True,
                          timeout=180, env=env)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and len(lines) == 2, done.stderr[-2000:]
    assert lines[0] == "['127.0.0.1']"
    hosts = eval(lines[1])                                     # the listening addresses
    assert hosts and all(h.endswith("127.0.0.1") or h.endswith("127.0.0.1]") for h in hosts), hosts
