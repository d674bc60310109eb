"""Fixtures for the core tests: the library backends (SQLite and a throwaway PostgreSQL server)."""

from __future__ import annotations

import pytest

import pg_server

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg():
    """A PostgreSQL server on loopback for this test session (skipped if it cannot run here)."""
    reason = pg_server.unavailable()
    if reason:
        pytest.skip(reason)
    server = pg_server.PgServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def library_url_factory(backend, request, tmp_path_factory):
    """A function returning the URL of a new, empty library on the module's backend."""
    if backend == "postgresql":
        server = request.getfixturevalue("pg")
        return server.new_database
    folder = tmp_path_factory.mktemp("libs")
    counter = iter(range(1, 10_000))
    return lambda: f"sqlite:///{folder / f'lib{next(counter)}.sqlite'}"
