"""A local Ray session for the scale tests (2 CPUs), with a fault hook armed in its workers."""

from __future__ import annotations

import os
from contextlib import contextmanager

from library_support import APP


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
