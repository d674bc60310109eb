"""The server backend against `python -m llama_cpp.server` serving a tiny GGUF on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

pytest.importorskip("gguf", reason="the tiny GGUF models are written with the gguf package")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is an optional backend")
pytest.importorskip("uvicorn", reason="llama_cpp.server needs the [server] extra (uvicorn, fastapi, ...)")
pytest.importorskip("starlette_context", reason="llama_cpp.server needs the [server] extra")

from camtag.jobs import run_job
from camtag.media.frames import sample_shot_frames
from camtag.media.probe import probe
from camtag.model import Shot
from camtag.reasoner import ReasonerError, create, reason_job
from camtag.reasoner.parse import parse
from camtag.reasoner.prompts import binary
from camtag.reasoner.tiny_models import write_tiny_gguf

from reasoner_support import SCRIPTED_REPLY, geo_shot, media_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # llama_cpp.server's qwen2.5-vl template drops the newline after "assistant" (see models/README.md),
    # so this scripted model starts its reply after either last token
    model, mmproj = write_tiny_gguf(tmp_path_factory.mktemp("srv"), reply=SCRIPTED_REPLY, reply_after=("\n", "t"))
    port = free_port()
    log = open(tmp_path_factory.mktemp("srvlog") / "server.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--clip_model_path", str(mmproj),
         "--chat_format", "qwen2.5-vl", "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
         "--n_threads", "1", "--n_threads_batch", "1", "--model_alias", "tiny-camreasoner"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail("llama_cpp.server exited: " + log.read()[-2000:])
        try:
            urllib.request.urlopen(url + "/models", timeout=1).read()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not come up within 90 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_answers_over_http_with_image_parts(server):
    media = probe(media_path("camera", "camerabench_3pxrECZYEAA.2.3.gif"))
    frames = sample_shot_frames(media, Shot(0, 0, media.frames))
    b = create("server", {"server_url": server, "max_new_tokens": 64})
    assert b.availability() == "ok"
    reply = b.ask(frames, binary("Move_Left"))
    assert reply.text == SCRIPTED_REPLY
    assert parse(reply.text, binary("Move_Left")).meaning == "yes"
    assert b.model == "tiny-camreasoner" and b.model_id == f"server:tiny-camreasoner@{server}"
    assert reply.prompt_tokens > 6 * 100          # the six frames reached the model as images

    out = run_job(reason_job(media, [geo_shot(0, 0, media.frames, truck_left=0.9)], b))
    tags = {t.id: t for t in out[0].tags}
    assert tags["truck_left"].source == "vlm" or tags["truck_left"].source == "fusion"


def test_unknown_model_name_is_a_clear_error(server):
    with pytest.raises(ReasonerError, match="has no model 'nope'"):
        create("server", {"server_url": server, "server_model": "nope"}).load()


def test_server_down_keeps_geometry():
    url = f"http://127.0.0.1:{free_port()}/v1"
    b = create("server", {"server_url": url})
    assert "not reachable" in b.availability()
    media = probe(media_path("camera", "camerabench_TktL3QR8Yg8.0.3.gif"))
    shot = geo_shot(0, 0, media.frames, static=0.9)
    out = run_job(reason_job(media, [shot, shot.with_(index=1)], b))
    assert [s.tags for s in out] == [shot.tags, shot.tags]
    assert all("not reachable" in s.evidence["reasoner"]["error"] for s in out)


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):                                  # /v1/models answers at once
        body = json.dumps({"data": [{"id": "slow"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):                                 # completions never come in time
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(2.5)

    def log_message(self, *args):
        pass


def test_slow_server_times_out_without_stopping_the_job():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
        b = create("server", {"server_url": url, "server_timeout": 0.5})
        media = probe(media_path("camera", "camerabench_TktL3QR8Yg8.0.3.gif"))
        shots = [geo_shot(0, 0, 20, static=0.9), geo_shot(1, 20, 54, static=0.9)]
        start = time.monotonic()
        out = run_job(reason_job(media, shots, b))
        assert time.monotonic() - start < 10
        for s in out:                                  # each shot tried (not fatal), geometry kept
            assert "did not answer /chat/completions within 0.5 s" in s.evidence["reasoner"]["error"]
            assert s.tags == shots[0].tags
    finally:
        srv.shutdown()
        srv.server_close()


def test_remote_servers_need_explicit_permission():
    b = create("server", {"server_url": "http://192.0.2.10:8080/v1"})
    assert "not on this machine" in b.availability()
    assert "not on this machine" not in create("server", {"server_url": "http://[::1]:9/v1"}).availability()


def test_auto_prefers_a_configured_server_that_answers(server):
    from camtag.reasoner import pick_backend

    assert pick_backend("auto", {"server_url": server}).name == "server"
    assert pick_backend("server", {"server_url": f"http://127.0.0.1:{free_port()}/v1"}) is None
