"""HTTP to a model server on this machine, and nowhere else.

Frames of unreleased footage must not leave the machine by accident. ``urllib`` honours
``http_proxy``/``HTTPS_PROXY``/``ALL_PROXY`` from the environment, so a proxy variable set for
something else would route a request for ``127.0.0.1`` through that proxy (``no_proxy`` is
often unset). This module uses :mod:`http.client` directly, which never consults proxy
variables, and after connecting checks that the peer socket address is a loopback address (so
a name like ``localhost`` that resolves elsewhere is refused too). Remote servers are only
reached when the caller passes ``allow_remote=True``; they also go direct, never via a proxy.
Standard library only.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass


class LoopbackError(OSError):
    """Connection refused by policy or by the network; ``str()`` is one line."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    reason: str = ""


def is_loopback_host(host: str) -> bool:
    """A host name that means this machine (the connected address is checked as well)."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
            timeout: float = 30.0, *, allow_remote: bool = False, max_bytes: int = 64 << 20) -> Response:
    """One HTTP request without any proxy. Raises :class:`LoopbackError` when the URL is not
    http(s), the host is not loopback (unless ``allow_remote``), the connected peer is not a
    loopback address, or the connection fails; ``socket.timeout`` when the server is slow."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LoopbackError(f"{url!r} is not an http(s) URL")
    host = parts.hostname
    if not allow_remote and not is_loopback_host(host):
        raise LoopbackError(f"{host} is not on this machine (only loopback addresses are allowed)")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = cls(host, parts.port, timeout=timeout)
    except ValueError as exc:                      # a bad port
        raise LoopbackError(f"{url!r}: {exc}") from None
    try:
        conn.connect()
        peer = conn.sock.getpeername()[0] if conn.sock is not None else ""
        if not allow_remote and not is_loopback_address(str(peer)):
            raise LoopbackError(f"{host} connected to {peer}, which is not a loopback address")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        data = resp.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise LoopbackError(f"{url}: reply larger than {max_bytes} bytes")
        return Response(resp.status, data, resp.reason or "")
    except (socket.timeout, TimeoutError):
        raise
    except LoopbackError:
        raise
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise LoopbackError(f"{host}:{parts.port or ''} {type(exc).__name__}: {exc}".rstrip()) from None
    finally:
        conn.close()
