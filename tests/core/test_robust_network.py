"""No network in default runs: `camtag analyze` and `camtag library add` open no socket other than
loopback, and model loading never asks for remote code or remote files."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import badmedia

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app" / "camtag"

# Runs the real CLI with socket entry points wrapped: every non-loopback, non-unix attempt is
# recorded (one JSON line per attempt) and refused.
GUARD = r"""
import ipaddress, json, socket, sys
LOG = sys.argv[1]
def _record(what, addr):
    with open(LOG, "a") as fh:
        fh.write(json.dumps([what, repr(addr)]) + "\n")
def _loopback(host):
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False
def _check(what, family, addr):
    if family == socket.AF_UNIX:
        return
    host = addr[0] if isinstance(addr, tuple) else addr
    if not _loopback(host):
        _record(what, addr)
        raise OSError(101, "network disabled by the camtag no-network test")
_connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
def connect(self, addr):
    _check("connect", self.family, addr); return _connect(self, addr)
def connect_ex(self, addr):
    _check("connect_ex", self.family, addr); return _connect_ex(self, addr)
def sendto(self, data, *args):
    _check("sendto", self.family, args[-1]); return _sendto(self, data, *args)
socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
_gai = socket.getaddrinfo
def getaddrinfo(host, *a, **k):
    if not _loopback(host if not isinstance(host, bytes) else host.decode()):
        _record("getaddrinfo", host)
        raise socket.gaierror(-2, "network disabled by the camtag no-network test")
    return _gai(host, *a, **k)
socket.getaddrinfo = getaddrinfo
sys.argv = ["camtag"] + sys.argv[2:]
from camtag.cli import main
sys.exit(main())
"""


def _run_guarded(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, list]:
    log = tmp_path / "net.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "app"), "XDG_CACHE_HOME": str(tmp_path / "c"),
           "XDG_DATA_HOME": str(tmp_path / "d"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "CAMTAG_LIBRARY"):
        env.pop(key, None)             # prove the default needs no offline switch
    p = subprocess.run([sys.executable, "-c", GUARD, str(log), *args], capture_output=True,
                       text=True, timeout=120, env=env)
    attempts = [json.loads(ln) for ln in log.read_text().splitlines()] if log.exists() else []
    return p, attempts


def test_guard_catches_a_real_outbound_attempt(tmp_path):
    """The wrapper itself works: an outbound connect is recorded (so silence below means something)."""
    script = tmp_path / "probe.py"
    script.write_text("import socket\ntry:\n    socket.create_connection(('203.0.113.9', 80), 1)\n"
                      "except OSError:\n    pass\n")
    log = tmp_path / "net.log"
    code = GUARD.replace("from camtag.cli import main\nsys.exit(main())",
                         f"exec(open({str(script)!r}).read())")
    subprocess.run([sys.executable, "-c", code, str(log)], check=True, timeout=60)
    assert "203.0.113.9" in log.read_text()


def test_default_analyze_and_library_add_open_no_outside_socket(tmp_path):
    clip = badmedia.encode(tmp_path / "clip.mp4", n=40, options={"preset": "ultrafast"})
    p, attempts = _run_guarded(tmp_path, "analyze", str(clip), "-q", "-o", str(tmp_path / "a.json"))
    assert p.returncode == 0, p.stderr
    assert attempts == []
    lib = tmp_path / "lib.sqlite"
    p, attempts = _run_guarded(tmp_path, "library", "add", "--library", str(lib), str(clip),
                               "--detector", "adaptive")
    assert p.returncode == 0, p.stderr
    assert lib.exists() and attempts == []


def _kwargs_of(call: ast.Call, scope: ast.AST) -> dict:
    """Keyword constants of a call, following ``**name`` to ``name = dict(...)`` in the same scope."""
    out = {}
    assigns = {n.targets[0].id: n.value for n in ast.walk(scope)
               if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}

    def collect(c: ast.Call, depth=0):
        for arg in c.args:          # dict(kw, ...) copies kw
            if isinstance(arg, ast.Name) and isinstance(assigns.get(arg.id), ast.Call) and depth < 5:
                collect(assigns[arg.id], depth + 1)
        for kw in c.keywords:
            if kw.arg is None and isinstance(kw.value, ast.Name) and depth < 5:
                src = assigns.get(kw.value.id)
                if isinstance(src, ast.Call):
                    collect(src, depth + 1)
            elif kw.arg is not None and isinstance(kw.value, ast.Constant):
                out[kw.arg] = kw.value.value
    collect(call)
    return out


def test_model_loading_never_runs_remote_code():
    calls = 0
    for path in APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "trust_remote_code=True" not in text.replace(" ", ""), path
        tree = ast.parse(text)
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr == "from_pretrained":
                    calls += 1
                    kw = _kwargs_of(node, func)
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    assert kw.get("trust_remote_code") is False, where
                    assert kw.get("local_files_only") is True, where
    assert calls >= 1        # the transformers backend loads through from_pretrained


def test_hub_access_refused_at_runtime_without_network(tmp_path):
    """A folder without weights must fail locally (no download attempt) even with offline switches off."""
    pytest.importorskip("transformers")
    code = ("from transformers import AutoConfig\n"
            f"AutoConfig.from_pretrained({str(tmp_path)!r}, local_files_only=True, trust_remote_code=False)\n")
    script = tmp_path / "load.py"
    script.write_text(code)
    guard = GUARD.replace("from camtag.cli import main\nsys.exit(main())", f"exec(open({str(script)!r}).read())")
    log = tmp_path / "net.log"
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    p = subprocess.run([sys.executable, "-c", guard, str(log)], capture_output=True, text=True,
                       timeout=120, env=env)
    assert p.returncode != 0 and str(tmp_path) in p.stderr      # failed locally, on the folder
    assert not log.exists() or log.read_text() == ""
