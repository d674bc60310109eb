"""Loopback HTTP (no proxies, loopback peers only) and the server backend against a stdlib
OpenAI-compatible fake: prompt caching asked for, logprobs read, servers without them, bad replies."""

from __future__ import annotations

import http.server
import json
import math
import socket
import threading
import urllib.request

import numpy as np
import pytest

from camtag.loopback import LoopbackError, is_loopback_address, request
from camtag.media.frames import ShotFrame
from camtag.reasoner import create
from camtag.reasoner.base import FramesTooMany
from camtag.reasoner.prompts import binary

REPLY = "<observation>The scene slides.</observation><think>Content moves right.</think><answer>B"


def choice(p_yes: float | None, finish: str = "stop", text: str = REPLY) -> dict:
    out = {"message": {"role": "assistant", "content": text}, "finish_reason": finish}
    if p_yes is not None:
        toks = ["<observation>The scene slides.</observation>", "<think>Content moves right.</think>", "<answer", ">B"]
        content = [{"token": t, "logprob": -0.01, "top_logprobs": []} for t in toks[:-1]]
        content.append({"token": ">B", "logprob": math.log(p_yes),
                        "top_logprobs": [{"token": ">B", "logprob": math.log(p_yes)},
                                         {"token": ">A", "logprob": math.log(1 - p_yes)}]})
        out["logprobs"] = {"content": content}
    return out


class Fake(http.server.BaseHTTPRequestHandler):
    script: list = []        # per POST: a dict reply, or (status, body)
    seen: list = []

    def do_GET(self):
        self._send(200, {"data": [{"id": "fake-camreasoner"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Fake.seen.append(body)
        step = Fake.script[min(len(Fake.seen), len(Fake.script)) - 1]
        if isinstance(step, tuple):
            self._send(*step)
        else:
            self._send(200, {"choices": [step], "usage": {"prompt_tokens": 900, "completion_tokens": 30}})

    def _send(self, status, obj):
        raw = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    Fake.seen, Fake.script = [], []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def proxy(monkeypatch):
    """A listening socket posing as a proxy in every proxy variable; records connections."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(var, url)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)

    def connections() -> int:
        n = 0
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return n
            conn.close()
            n += 1
    yield connections
    sock.close()


def frames(n=4):
    rng = np.random.default_rng(0)
    return [ShotFrame(i, i, rng.integers(0, 255, (56, 84, 3), dtype=np.uint8)) for i in range(n)]


def test_requests_ignore_proxy_variables(fake, proxy):
    assert urllib.request.getproxies().get("http")                   # urllib would have used it
    Fake.script = [choice(0.8)]
    b = create("server", {"server_url": fake})
    assert b.availability() == "ok"
    assert b.ask(frames(), binary("Pan_Left")).letter_probs["B"] == pytest.approx(0.8)
    assert proxy() == 0 and len(Fake.seen) == 1


def test_only_loopback_peers():
    assert is_loopback_address("127.0.0.1") and is_loopback_address("::1")
    assert is_loopback_address("::ffff:127.0.0.1") and not is_loopback_address("192.0.2.1")
    with pytest.raises(LoopbackError, match="not on this machine"):
        request("http://192.0.2.10:8080/v1/models")
    with pytest.raises(LoopbackError, match="not an http"):
        request("file:///etc/passwd")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(LoopbackError, match="Connection"):
        request(f"http://127.0.0.1:{port}/v1/models", timeout=2)


def test_each_question_shares_the_cached_prefix_and_reads_logprobs(fake):
    Fake.script = [choice(0.9), choice(0.6), choice(0.3)]
    b = create("server", {"server_url": fake, "max_new_tokens": 200})
    qs = [binary("Move_Left"), binary("Pan_Left"), binary("Static")]
    replies = list(b.ask_all(frames(5), qs))
    assert [r.letter_probs["B"] for r in replies] == pytest.approx([0.9, 0.6, 0.3])
    assert all(r.text.endswith("<answer>B</answer>") for r in replies)      # the stop string put back
    prefixes = []
    for body, q in zip(Fake.seen, qs):
        assert body["cache_prompt"] is True and body["stop"] == ["</answer>"] and body["temperature"] == 0
        assert body["logprobs"] is True and body["top_logprobs"] >= 5
        parts = body["messages"][-1]["content"]
        assert [p["type"] for p in parts] == ["image_url"] * 5 + ["text"] and parts[-1]["text"] == q.text
        prefixes.append(json.dumps(body["messages"][:-1]) + json.dumps(parts[:-1]))
    assert len(set(prefixes)) == 1                                  # byte-identical shared prefix
    assert b.work["prefills"] == 1 and b.work["images"] == 5 and b.work["questions"] == 3


def test_server_without_logprobs_or_closing_tag_keeps_results(fake, tmp_path):
    from camtag.reasoner.job import ask_shot
    from camtag.jobs import CancelToken

    Fake.script = [choice(None), choice(None, finish="length", text="<observation>loops forever")]
    b = create("server", {"server_url": fake})
    answers, error, fatal, notes = ask_shot(b, frames(), [binary("Pan_Left"), binary("Static")], CancelToken())
    assert not error and len(answers) == 2
    assert answers[0][1].meaning == "yes" and answers[0][2].letter_probs is None
    assert any("no logprobs" in n for n in notes) and any("no </answer>" in n for n in notes)
    assert answers[1][1].meaning is None                              # unread: no answer, not "no"


def test_context_too_small_retries_with_fewer_frames_then_keeps_geometry(fake):
    from camtag.reasoner.job import ask_shot
    from camtag.jobs import CancelToken

    too_long = (400, {"error": {"message": "the request exceeds the available context size"}})
    Fake.script = [too_long, choice(0.7)]
    b = create("server", {"server_url": fake, "preset": "eval"})
    answers, error, _, notes = ask_shot(b, frames(8), [binary("Pan_Left")], CancelToken())
    assert not error and answers[0][2].letter_probs["B"] == pytest.approx(0.7)
    assert any("preset eval" in n and "4 of 8 frames" in n for n in notes)
    assert sum(p["type"] == "image_url" for p in Fake.seen[-1]["messages"][-1]["content"]) == 4

    Fake.seen, Fake.script = [], [too_long]
    answers, error, fatal, _ = ask_shot(b, frames(8), [binary("Pan_Left")], CancelToken())
    assert answers == [] and "context is too small" in error and not fatal
    assert len(Fake.seen) == 3                                        # 8, 4, then 2 frames
    with pytest.raises(FramesTooMany):
        b.ask(frames(2), binary("Pan_Left"))


def test_parallel_questions_after_the_first_one_fills_the_cache(fake):
    import time

    state = {"now": 0, "max": 0, "order": []}
    lock = threading.Lock()
    original = Fake.do_POST

    def slow_post(self):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
            state["order"].append(state["now"])
        time.sleep(0.2)
        try:
            original(self)
        finally:
            with lock:
                state["now"] -= 1

    Fake.do_POST = slow_post
    try:
        Fake.script = [choice(0.9), choice(0.8), choice(0.7), choice(0.6)]
        b = create("server", {"server_url": fake, "server_parallel": 4})
        qs = [binary("Move_Left"), binary("Pan_Left"), binary("Pan_Right"), binary("Static")]
        replies = list(b.ask_all(frames(3), qs))
    finally:
        Fake.do_POST = original
    assert len(replies) == 4 and all(r.letter_probs for r in replies)
    assert state["order"][0] == 1 and state["max"] == 3        # the first alone, then three together
    texts = [body["messages"][-1]["content"][-1]["text"] for body in Fake.seen]
    assert texts[0] == qs[0].text and sorted(texts[1:]) == sorted(q.text for q in qs[1:])
