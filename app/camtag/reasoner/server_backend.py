"""OpenAI-compatible HTTP backend: llama-server, ``python -m llama_cpp.server``, Ollama, LM Studio, vLLM.

One request shape works everywhere: ``POST {base}/chat/completions`` with one user message of N
``image_url`` parts (JPEG data URIs, time order) and the O-T-A text, ``temperature 0``. The
connection check is ``GET {base}/models``. Only loopback addresses are allowed unless
``server_allow_remote`` is set: frames of unreleased footage do not leave the machine by accident.
Servers cap image tokens with their own flags, so frames are sized here (the frame budget).
Standard library only.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Sequence

from camtag.media.frames import FrameBudget, ShotFrame, data_uri
from camtag.reasoner.base import DEFAULT_MAX_NEW_TOKENS, ReasonerError, Reply
from camtag.reasoner.prompts import Question

DEFAULT_URL = "http://127.0.0.1:8080/v1"
CONNECT_TIMEOUT = 3.0
ANSWER_TIMEOUT = 300.0


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ServerBackend:
    name = "server"

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = dict(settings or {})
        self.budget = FrameBudget.from_settings(self.settings)
        self.base = str(self.settings.get("server_url") or DEFAULT_URL).rstrip("/")
        self.max_new_tokens = int(self.settings.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
        self.timeout = float(self.settings.get("server_timeout", ANSWER_TIMEOUT))
        self.connect_timeout = float(self.settings.get("server_connect_timeout", CONNECT_TIMEOUT))
        self.model = self.settings.get("server_model") or ""
        self._loaded = False

    @property
    def model_id(self) -> str:
        return f"server:{self.model or '?'}@{self.base}"

    def _check_url(self) -> None:
        parts = urllib.parse.urlsplit(self.base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ReasonerError(f"server_url {self.base!r} is not an http(s) URL")
        if not is_loopback(parts.hostname) and not self.settings.get("server_allow_remote"):
            raise ReasonerError(f"server {parts.hostname} is not on this machine; set server_allow_remote "
                                "to send frames to it")

    def _request(self, method: str, path: str, body: dict | None, timeout: float) -> dict:
        self._check_url()
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.settings.get("server_api_key"):
            req.add_header("Authorization", f"Bearer {self.settings['server_api_key']}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip().replace("\n", " ")
            raise ReasonerError(f"server at {self.base} answered HTTP {exc.code} to {path}: {detail[:200]}",
                                fatal=exc.code in (401, 403, 404)) from None
        except (socket.timeout, TimeoutError):
            raise ReasonerError(f"server at {self.base} did not answer {path} within {timeout:g} s "
                                "(raise server_timeout for slow GPUs)", fatal=False) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise ReasonerError(f"server at {self.base} did not answer {path} within {timeout:g} s",
                                    fatal=False) from None
            raise ReasonerError(f"server at {self.base} is not reachable ({reason}); is it running?") from None
        except (ConnectionError, OSError) as exc:
            raise ReasonerError(f"server at {self.base} dropped the connection ({exc})", fatal=False) from None
        try:
            return json.loads(raw)
        except ValueError:
            raise ReasonerError(f"server at {self.base} sent something that is not JSON for {path}",
                                fatal=False) from None

    def models(self) -> list[str]:
        listing = self._request("GET", "/models", None, self.connect_timeout)
        return [m.get("id", "") for m in listing.get("data", []) if isinstance(m, dict)]

    def availability(self) -> str:
        try:
            self.models()
        except ReasonerError as exc:
            return str(exc)
        return "ok"

    def load(self) -> None:
        if self._loaded:
            return
        names = self.models()
        if self.model and names and self.model not in names:
            raise ReasonerError(f"server at {self.base} has no model {self.model!r} (it has: {', '.join(names)})")
        if not self.model:
            self.model = names[0] if names else "default"
        self._loaded = True

    def ask(self, frames: Sequence[ShotFrame], question: Question) -> Reply:
        self.load()
        content = [{"type": "image_url", "image_url": {"url": data_uri(f)}} for f in frames]
        content.append({"type": "text", "text": question.text})
        body = {"model": self.model, "messages": [{"role": "user", "content": content}],
                "temperature": 0.0, "top_p": 1.0, "max_tokens": self.max_new_tokens, "stream": False,
                "seed": 0}
        start = time.perf_counter()
        out = self._request("POST", "/chat/completions", body, self.timeout)
        try:
            text = out["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ReasonerError(f"server at {self.base} sent a reply without choices", fatal=False) from None
        usage = out.get("usage") or {}
        return Reply(str(text), time.perf_counter() - start, usage.get("prompt_tokens"),
                     usage.get("completion_tokens"))

    def close(self) -> None:
        self._loaded = False
