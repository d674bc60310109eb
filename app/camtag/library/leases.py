"""Who runs an unfinished analysis (or part): the lease of a process, ``host:pid`` + a heartbeat.

Two processes never work on the same analysis; a dead owner's lease is taken over. On this host
the pid tells whether the owner lives (this very process: the keys it :func:`hold`\\ s); elsewhere
a heartbeat younger than :data:`STALE_S`.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone
from typing import Hashable

HEARTBEAT_S = 30.0
STALE_S = 600.0
_ACTIVE: set[Hashable] = set()        # (library url, analysis id[, "part", n]) running here


def owner_id() -> str:
    """This process as a lease owner."""
    return f"{socket.gethostname()}:{os.getpid()}"


def hold(key: Hashable) -> None:
    """This process runs ``key`` now (its lease is alive while held)."""
    _ACTIVE.add(key)


def release(key: Hashable) -> None:
    _ACTIVE.discard(key)


def analysis_key(url: object, analysis_id: int) -> tuple:
    return (str(url), analysis_id)


def part_key(url: object, analysis_id: int, part: int) -> tuple:
    return (str(url), analysis_id, "part", part)


def _age_s(stamp: str | None) -> float:
    if not stamp:
        return float("inf")
    try:
        return (datetime.now(timezone.utc) - datetime.fromisoformat(stamp)).total_seconds()
    except ValueError:
        return float("inf")


def owner_alive(owner: str, heartbeat_at: str | None, active_key: Hashable) -> bool:
    """Is the process ``owner`` (host:pid) alive? On this host the pid tells (this very process:
    ``active_key`` held); elsewhere a heartbeat younger than :data:`STALE_S`."""
    if not owner:
        return False
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return _age_s(heartbeat_at) < STALE_S
    pid = int(pid_text)
    if pid == os.getpid():
        return active_key in _ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        pass
    return _age_s(heartbeat_at) < STALE_S


def lease_alive(url: object, row) -> bool:
    """Is another live run working on this unfinished analysis row?"""
    if row["status"] != "running" or not row["owner"]:
        return False
    return owner_alive(row["owner"], row["heartbeat_at"], analysis_key(url, row["id"]))
