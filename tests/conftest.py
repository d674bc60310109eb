"""Test-wide settings: the shared media folder, no network, warnings from camtag fail tests.

No network: :func:`_no_network` refuses, for the whole session, every socket ``connect`` /
``connect_ex`` / ``sendto`` in this process that is not to loopback, an AF_UNIX path or this
machine's own addresses, and the test that tried fails with one line naming the address (the
refusal is an ``OSError``, so code that handles a dead server still gets one; the test fails all
the same). Child processes are checked by tests/core/test_robust_network.py.

Errors fail tests: warnings raised from camtag code and exceptions escaping a thread are errors
(``filterwarnings`` in pyproject.toml), and an exception camtag catches and only logs (a broken
library-event subscriber, say) fails the test that caused it, unless the test reads the log itself
(``caplog``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
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


NETWORK_ATTEMPTS: list[str] = []          # non-local addresses the running test tried to reach


def _own_addresses() -> set[str]:
    found = {"localhost"}
    try:
        import psutil

        found |= {a.address.split("%")[0] for addrs in psutil.net_if_addrs().values() for a in addrs
                  if a.family in (socket.AF_INET, socket.AF_INET6)}
    except Exception:
        pass
    try:
        found |= set(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    return found


def _local(family, address, own: set[str]) -> bool:
    if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return True                                   # unix paths, netlink: never leave the machine
    host = str(address[0]).split("%")[0]
    if host in own:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False                                  # a host name: it would need a lookup


@pytest.fixture(scope="session", autouse=True)
def _no_network():
    """Refuse connections that would leave this machine (see the module's docstring)."""
    own = _own_addresses()
    real = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto

    def guard(sock, address) -> None:
        if not _local(sock.family, address, own):
            NETWORK_ATTEMPTS.append(repr(address))
            raise OSError(101, f"tests/conftest.py: no network in tests ({address!r} refused)")

    def connect(sock, address):
        guard(sock, address)
        return real[0](sock, address)

    def connect_ex(sock, address):
        guard(sock, address)
        return real[1](sock, address)

    def sendto(sock, data, *args):
        guard(sock, args[-1])
        return real[2](sock, data, *args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        mp.setattr(socket.socket, "sendto", sendto)
        yield


@pytest.fixture
def network_attempts(_no_network) -> list[str]:
    """The addresses the running test tried to reach (a test of the guard clears it)."""
    return NETWORK_ATTEMPTS


def _fail_on_network_attempts() -> None:
    if NETWORK_ATTEMPTS:
        tried = ", ".join(dict.fromkeys(NETWORK_ATTEMPTS))
        NETWORK_ATTEMPTS.clear()
        pytest.fail(f"the test tried to reach the network ({tried}); tests must stay offline",
                    pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test body that tried to reach the network fails (even if the code under test coped)."""
    NETWORK_ATTEMPTS.clear()
    result = yield
    _fail_on_network_attempts()
    return result


@pytest.fixture(autouse=True)
def _network_attempts_fail_the_test(_no_network):
    """The same for fixtures: an attempt while setting up fails the test at teardown."""
    yield
    _fail_on_network_attempts()


class _LoggedExceptions(logging.Handler):
    """Keeps the records camtag logged with an exception attached."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="session")
def _camtag_log():
    handler = _LoggedExceptions()
    logger = logging.getLogger("camtag")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def _logged_exceptions_fail_the_test(_camtag_log, request):
    _camtag_log.records.clear()
    yield
    found, _camtag_log.records[:] = list(_camtag_log.records), []
    if found and "caplog" not in request.fixturenames:
        first = found[0]
        exc = first.exc_info[1] if first.exc_info else None
        pytest.fail(f"camtag logged an exception: {first.getMessage()}: "
                    f"{type(exc).__name__}: {exc}", pytrace=False)


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
