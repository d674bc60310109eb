"""A private X server for tests that open real windows (Xvfb, skipped with a reason when absent)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def xvfb_server(screen: str, why: str) -> Iterator[str]:
    """Start Xvfb with ``screen`` (e.g. ``"1280x800x24"``) and yield its DISPLAY (``":N"``)."""
    if shutil.which("Xvfb") is None:
        pytest.skip(f"Xvfb is not installed (apt-get install xvfb); {why}")
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", screen,
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    if not number:
        proc.kill()
        pytest.skip("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
