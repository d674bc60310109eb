"""A throwaway PostgreSQL server on loopback for the tests (Debian's ``postgresql`` package).

``PgServer.start()`` runs initdb into a temporary folder, starts the server on a free port bound to
127.0.0.1 with its socket in that folder, and ``new_database()`` hands out fresh databases. As root
the server runs as the ``postgres`` system user (PostgreSQL refuses root). ``unavailable()`` says why
it cannot run here (the tests then skip with that reason).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import itertools

USER = "postgres"


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def unavailable() -> str | None:
    """Why a test server cannot be started here, or None."""
    if _bin_dir() is None:
        return "PostgreSQL server binaries not found (apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg 3 is not installed (pip install \"psycopg[binary]\")"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = tempfile.mkdtemp(prefix="camtag-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self.user = USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self._names = itertools.count(1)

    def _run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", USER, "--"] + cmd
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)

    def start(self) -> "PgServer":
        if os.geteuid() == 0:
            pw = pwd.getpwnam(USER)
            os.chmod(self.root, 0o755)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", self.user, "-A", "trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        opts = (f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 "
                f"-c shared_buffers=64MB")
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l",
                  os.path.join(self.root, "log"), "-o", opts, "-w", "-t", "60", "start")
        return self

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database; return its URL."""
        import psycopg

        name = f"{prefix}{next(self._names)}_{os.getpid()}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
