"""Test-wide settings: the shared media folder, no network, errors in logs fail tests."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))          # the source tree wins over an installed copy
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

try:     # property tests: no per-example deadline on these shared 2-core machines; CI replays
    from hypothesis import settings as _hyp   # a fixed sequence so a red run can be reproduced

    _hyp.register_profile("camtag", deadline=None)
    _hyp.register_profile("camtag-ci", deadline=None, derandomize=True, print_blob=True)
    _hyp.load_profile("camtag-ci" if os.environ.get("CI") else "camtag")
except ImportError:
    pass
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory, monkeypatch):
    """Keep caches, settings and the default library out of the real user folders."""
    home = tmp_path_factory.getbasetemp() / "userdirs"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    from media_paths import MISSING_REASON, SHOTS_DIR
    if not SHOTS_DIR.is_dir():
        pytest.skip(MISSING_REASON)
    return SHOTS_DIR


def _needs_missing_media(excinfo) -> bool:
    """The failure is about a file under the absent shared/ folder (a test that opens a shared
    clip without asking the fixtures first)."""
    from media_paths import SHARED

    text = f"{excinfo.value!r} {excinfo.value}"
    return str(SHARED) in text or "shared/ (test media" in text


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Without the shared test media, tests that need them are skipped with one reason instead
    of failing (every other failure is reported as it is)."""
    outcome = yield
    from media_paths import HAVE_MEDIA, MISSING_REASON

    report = outcome.get_result()
    if HAVE_MEDIA:
        return
    if report.skipped and isinstance(report.longrepr, tuple) and "shared" in report.longrepr[2].lower():
        report.longrepr = (report.longrepr[0], report.longrepr[1], f"Skipped: {MISSING_REASON}")
        return
    if report.outcome != "failed" or call.excinfo is None or \
            call.excinfo.errisinstance((pytest.skip.Exception, KeyboardInterrupt)):
        return
    if not _needs_missing_media(call.excinfo):
        return
    report.outcome = "skipped"
    report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {MISSING_REASON}")


@pytest.fixture(scope="session")
def cuts_truth(shots_dir) -> dict:
    return json.loads((shots_dir / "cuts.json").read_text())["videos"]
