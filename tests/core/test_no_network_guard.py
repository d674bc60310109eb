"""tests/conftest.py keeps its promise: a connection that would leave the machine is refused and
recorded (the test that tried then fails with one line); loopback still works."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest


def test_outbound_connections_are_refused_and_loopback_works(network_attempts):
    with pytest.raises(OSError, match="no network in tests"):
        socket.create_connection(("203.0.113.9", 80), timeout=1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with udp, pytest.raises(OSError, match="no network in tests"):
        udp.sendto(b"x", ("198.51.100.7", 53))
    assert network_attempts == ["('203.0.113.9', 80)", "('198.51.100.7', 53)"]
    network_attempts.clear()                     # these attempts were this test's point

    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            peer, _ = server.accept()
            with peer:
                client.sendall(b"ok")
                assert peer.recv(2) == b"ok"
    assert network_attempts == []



def test_a_test_that_reaches_out_or_only_logs_an_exception_fails(pytester, monkeypatch):
    """Run with this conftest: a test whose code copes with the refused connection fails all the
    same, and so does one where camtag catches and only logs an exception (a broken subscriber)."""
    tests = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tests.parent / "app"), str(tests)]))
    pytester.makeconftest((tests / "conftest.py").read_text())
    pytester.makepyfile(test_inner="""
import socket
from camtag.library.events import Signal

def test_copes_with_no_network():
    try:
        socket.create_connection(("203.0.113.9", 80), timeout=1)
    except OSError:
        pass

def test_broken_subscriber():
    signal = Signal("shots_did_change")
    signal.connect(lambda *_: 1 / 0)
    signal.emit()

def test_fine():
    assert True
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*the test tried to reach the network (('203.0.113.9', 80))*"])
    result.stdout.fnmatch_lines(["camtag logged an exception: *subscriber*ZeroDivisionError*"])
