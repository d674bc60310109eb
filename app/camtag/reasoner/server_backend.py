"""OpenAI-compatible HTTP backend: llama-server, ``python -m llama_cpp.server``, vLLM, LM Studio, Ollama.

One request per question, ``POST {base}/chat/completions`` with one user message of N
``image_url`` parts (data URIs of the preset's frames, time order) then the O-T-A text,
``temperature 0``, ``stop: ["</answer>"]``. Every question of a shot starts with the same
system turn and frames, so a server with prompt caching evaluates them once per shot:
``cache_prompt: true`` (llama-server; also its default), automatic prefix caching in vLLM
(``--enable-prefix-caching``, on by default in V1); LM Studio and Ollama reuse the last prompt's
cache. The answer letter's probability comes from ``logprobs``/``top_logprobs``; a server that
returns none is said so in the trace and the letter alone is used.

The connection check is ``GET {base}/models``. Requests go through :mod:`camtag.loopback`:
no proxy, and only loopback peers unless ``server_allow_remote`` is set, so frames of
unreleased footage do not leave the machine by accident. Standard library only.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Iterator, Sequence

from camtag.loopback import LoopbackError, is_loopback_host, request
from camtag.media.frames import ShotFrame
from camtag.reasoner import decoding
from camtag.reasoner.base import DEFAULT_MAX_NEW_TOKENS, FramesTooMany, ReasonerError, Reply, new_work
from camtag.reasoner.inputs import budget_from_settings, image_uri
from camtag.reasoner.prompts import Question

DEFAULT_URL = "http://127.0.0.1:8080/v1"
CONNECT_TIMEOUT = 3.0
ANSWER_TIMEOUT = 300.0
TOP_LOGPROBS = 10
is_loopback = is_loopback_host          # the old name


class ServerBackend:
    name = "server"

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = dict(settings or {})
        self.budget = budget_from_settings(self.settings)
        self.base = str(self.settings.get("server_url") or DEFAULT_URL).rstrip("/")
        self.max_new_tokens = int(self.settings.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
        self.timeout = float(self.settings.get("server_timeout", ANSWER_TIMEOUT))
        self.connect_timeout = float(self.settings.get("server_connect_timeout", CONNECT_TIMEOUT))
        self.model = self.settings.get("server_model") or ""
        self.logprobs = bool(self.settings.get("server_logprobs", True))
        self.work = new_work()
        self._loaded = False

    @property
    def model_id(self) -> str:
        return f"server:{self.model or '?'}@{self.base}"

    def _request(self, method: str, path: str, body: dict | None, timeout: float) -> dict:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json"}
        if self.settings.get("server_api_key"):
            headers["Authorization"] = f"Bearer {self.settings['server_api_key']}"
        try:
            resp = request(self.base + path, method, data, headers, timeout,
                           allow_remote=bool(self.settings.get("server_allow_remote")))
        except (socket.timeout, TimeoutError):
            raise ReasonerError(f"server at {self.base} did not answer {path} within {timeout:g} s "
                                "(raise server_timeout for slow GPUs)", fatal=False) from None
        except LoopbackError as exc:
            if "not on this machine" in str(exc) or "not a loopback" in str(exc):
                raise ReasonerError(f"server {exc}; set server_allow_remote to send frames to it") from None
            raise ReasonerError(f"server at {self.base} is not reachable ({exc}); is it running?") from None
        if resp.status >= 400:
            detail = resp.body[:300].decode("utf-8", "replace").strip().replace("\n", " ")
            low = detail.lower()
            if resp.status in (400, 413, 500) and ("context" in low or "too long" in low or "exceed" in low):
                raise FramesTooMany(f"preset {self.budget.preset}: the server's context is too small for these "
                                    f"frames ({detail[:160]}); start it with a larger context (-c) or use preset fast")
            raise ReasonerError(f"server at {self.base} answered HTTP {resp.status} to {path}: {detail[:200]}",
                                fatal=resp.status in (401, 403, 404))
        try:
            return json.loads(resp.body)
        except ValueError:
            raise ReasonerError(f"server at {self.base} sent something that is not JSON for {path}",
                                fatal=False) from None

    def models(self) -> list[str]:
        listing = self._request("GET", "/models", None, self.connect_timeout)
        data = listing.get("data", []) if isinstance(listing, dict) else []
        return [m.get("id", "") for m in data if isinstance(m, dict)]

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

    def ask_all(self, frames: Sequence[ShotFrame], questions: Sequence[Question]) -> Iterator[Reply]:
        """The first question alone (the server caches the shot's prefix), then, with
        ``server_parallel`` > 1, the others in flight together so a batching server (vLLM with
        prefix caching, llama-server ``-np N`` with a unified KV cache) decodes them as one batch."""
        self.load()
        self.work["shots"] += 1
        images = [{"type": "image_url", "image_url": {"url": image_uri(f, self.budget.lossless)}} for f in frames]
        if not questions:
            return
        yield self._ask(images, questions[0], first=True, n_frames=len(frames))
        rest = list(questions[1:])
        parallel = max(1, int(self.settings.get("server_parallel", 1)))
        if parallel == 1 or len(rest) < 2:
            for question in rest:
                yield self._ask(images, question, first=False, n_frames=len(frames))
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(parallel, len(rest)), thread_name_prefix="camtag-server") as pool:
            futures = [pool.submit(self._ask, images, q, first=False, n_frames=len(frames)) for q in rest]
            try:
                for future in futures:
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()

    def ask(self, frames: Sequence[ShotFrame], question: Question) -> Reply:
        return next(iter(self.ask_all(frames, [question])))

    def _ask(self, images: list, question: Question, *, first: bool, n_frames: int) -> Reply:
        body = {"model": self.model,
                "messages": [{"role": "system", "content": "You are a helpful assistant."},
                             {"role": "user", "content": [*images, {"type": "text", "text": question.text}]}],
                "temperature": 0.0, "top_p": 1.0, "max_tokens": self.max_new_tokens, "stream": False,
                "seed": 0, "stop": [decoding.STOP], "cache_prompt": True}
        if self.logprobs:
            body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
        start = time.perf_counter()
        try:
            out = self._request("POST", "/chat/completions", body, self.timeout)
        except ReasonerError as exc:
            if not (self.logprobs and "HTTP 400" in str(exc) and "logprob" in str(exc).lower()):
                raise
            self.logprobs = False                   # this server refuses logprobs: ask without
            for key in ("logprobs", "top_logprobs"):
                body.pop(key)
            out = self._request("POST", "/chat/completions", body, self.timeout)
        try:
            choice = out["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ReasonerError(f"server at {self.base} sent a reply without choices", fatal=False) from None
        text = str(text)
        problems = []
        if choice.get("finish_reason") == "stop" and "<answer>" in decoding.normalised(text) \
                and not decoding.finished(text):
            text += decoding.STOP                  # the stop string is not returned
        elif choice.get("finish_reason") == "length":
            problems.append(f"no </answer> within {self.max_new_tokens} tokens")
        probs = letter_probs_from_choice(choice, question)
        if probs is None:
            problems.append("the server returned no logprobs for the answer letter: confidence from the letter only")
        usage = out.get("usage") or {}
        self.work["questions"] += 1
        if first:
            self.work["prefills"] += 1
            self.work["images"] += n_frames
        return Reply(text, time.perf_counter() - start, usage.get("prompt_tokens"),
                     usage.get("completion_tokens"), letter_probs=probs, problems=tuple(problems))

    def close(self) -> None:
        self._loaded = False


def letter_probs_from_choice(choice: dict, question: Question) -> dict[str, float] | None:
    """Letter probabilities from an OpenAI-style ``choice.logprobs.content`` list."""
    try:
        content = (choice.get("logprobs") or {}).get("content") or []
    except AttributeError:
        return None
    letters = [letter for letter, _ in question.letters]
    text = ""
    for item in content:
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            return None
        context = decoding.answer_context(text)
        if context is not None:
            table = {}
            for alt in item.get("top_logprobs") or []:
                if isinstance(alt, dict) and isinstance(alt.get("token"), str):
                    try:
                        table.setdefault(alt["token"], float(alt["logprob"]))
                    except (TypeError, ValueError, KeyError):
                        continue
            try:
                table.setdefault(item["token"], float(item["logprob"]))
            except (TypeError, ValueError, KeyError):
                pass
            if item["token"] in {f for letter in letters for f in decoding.forms(letter, context)}:
                floor = min(table.values()) if table else None
                return decoding.letter_probs(table, letters, context, floor=floor)
        text += item["token"]
    return None
