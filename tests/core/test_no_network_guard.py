"""tests/conftest.py keeps its promise: a connection that would leave the machine is refused and
recorded (the test that tried then fails with one line); loopback still works."""

from __future__ import annotations

import socket

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
