"""A local Ray session for the scale tests (2 CPUs), with a fault hook armed in its workers."""

from __future__ import annotations

import os
from contextlib import contextmanager

from camtag.model import AnalysisRequest
from library_support import APP

ADAPTIVE = AnalysisRequest(detector="adaptive")


@contextmanager
def local_ray(fault_env: str, marker) -> None:
    """Ray with 2 CPUs whose workers import camtag from the source tree; ``fault_env`` is set to
    "1:marker" so a worker (or actor) dies once after its first shot unless ``marker`` exists."""
    import ray

    names = ("PYTHONPATH", fault_env, "RAY_USAGE_STATS_ENABLED")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["PYTHONPATH"] = APP + os.pathsep + (saved["PYTHONPATH"] or "")
    os.environ[fault_env] = f"1:{marker}"          # inherited by the workers Ray starts
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def fault_session(tmp_path_factory, clips):
    """One Ray session for a test module whose workers die once after their first stored shot
    unless the yielded marker file exists; skips when the shared media are missing."""
    import pytest
    from camtag.scale.tasks import FAULT_ENV

    if not all(os.path.exists(c) for c in clips):
        pytest.skip("shared test media not found")
    marker = tmp_path_factory.mktemp("fault") / "crashed"
    with local_ray(FAULT_ENV, marker):
        yield marker


def reference_run(tmp_path_factory, marker, clips, contents):
    """``contents(url)`` of a library the clips were analysed into in this process (no fault)."""
    from camtag.scale.runner import run_in_process

    url = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.sqlite'}"
    marker.touch()                                   # the in-process run must not die
    try:
        results = run_in_process(clips, url, request=ADAPTIVE)
    finally:
        marker.unlink()
    assert [r.status for r in results] == ["done"] * len(clips)
    return contents(url)
