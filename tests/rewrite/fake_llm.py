"""A loopback OpenAI-compatible chat server for tests (stdlib ``http.server`` in a thread).

It listens on 127.0.0.1 on a free port, answers ``POST .../chat/completions`` in the OpenAI wire
format, records every request (body and headers) and the most requests it had in flight at
once, and stops itself after ``lifetime_s`` or ``max_requests`` whatever the test does.

How it answers is decided per request by :meth:`FakeLLM.decide`: by default it looks for a
keyword in the dialogue (so one run can mix behaviours), else it answers well. Keywords:

    zebra     malformed (prose, no JSON) every time
    giraffe   one turn too few every time
    heron     one turn too few the first time, good on the retry
    walrus    429 with Retry-After: 1 the first time, then good
    falcon    500 every time
    tortoise  answers after ``slow_s`` seconds (past the client's timeout)
    parrot    good, but wrapped in prose and a ```json fence
    mole      a refusal
    echo      repeats the system prompt in the assistant turn
    glyph     leaves a symbol no rule can speak
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    error: str | None = None  # body message for non-200 replies
    finish_reason: str = "stop"
    raw: str | None = None  # sent as the body verbatim (a proxy's HTML page, a truncated body)
    content_type: str = "application/json"


def dialogue_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The turns the client sent (from the first user message's JSON)."""
    for msg in body.get("messages", []):
        if msg.get("role") == "user":
            text = msg["content"]
            return json.loads(text[text.index("{") :])["turns"]
    raise ValueError("no user message")


def good_answer(turns: list[dict[str, Any]], drop: int = 0, fence: bool = False) -> str:
    """A well-formed answer: each turn's text, lightly made conversational."""
    out = []
    for t in turns[: len(turns) - drop]:
        text = t["text"]
        if t["speaker"] == "assistant":
            text = "Sure. " + text
        out.append({"index": t["index"], "speaker": t["speaker"], "text": text})
    blob = json.dumps({"turns": out})
    if fence:
        return f"Here is the spoken version you asked for:\n```json\n{blob}\n```\nHope it helps!"
    return blob


class FakeLLM:
    """The server; use as a context manager. ``base_url`` ends in ``/v1``."""

    def __init__(self, lifetime_s: float = 90.0, max_requests: int = 400, slow_s: float = 2.0):
        self.lifetime_s = lifetime_s
        self.max_requests = max_requests
        self.slow_s = slow_s
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay_all_s = 0.0
        self.override: Any = None  # callable(body, n_seen) -> Reply, replaces the keywords
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._timer: threading.Timer | None = None

    # -- lifecycle --------------------------------------------------------------------
    def __enter__(self) -> FakeLLM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                self.send_error(404)

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        self._timer = threading.Timer(self.lifetime_s, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._timer is not None:
            self._timer.cancel()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    # -- answering --------------------------------------------------------------------
    def decide(self, body: dict[str, Any], n_seen: int) -> Reply:
        if self.override is not None:
            return self.override(body, n_seen)
        turns = dialogue_of(body)
        text = " ".join(t["text"] for t in turns).lower()
        if "zebra" in text:
            return Reply(content="Sure! I would be glad to help with that dialogue.")
        if "giraffe" in text:
            return Reply(content=good_answer(turns, drop=1))
        if "heron" in text:
            return Reply(content=good_answer(turns, drop=1 if n_seen == 0 else 0))
        if "walrus" in text and n_seen == 0:
            return Reply(status=429, headers={"Retry-After": "1"}, error="slow down")
        if "falcon" in text:
            return Reply(status=500, error="internal error")
        if "tortoise" in text:
            return Reply(content=good_answer(turns), delay_s=self.slow_s)
        if "parrot" in text:
            return Reply(content=good_answer(turns, fence=True))
        if "mole" in text:
            return Reply(content="I'm sorry, but I can't help with that request.")
        if "echo" in text:
            system = body["messages"][0]["content"]
            fake = [
                {"index": t["index"], "speaker": t["speaker"], "text": system[:300]} for t in turns
            ]
            return Reply(content=json.dumps({"turns": fake}))
        if "glyph" in text:
            out = json.loads(good_answer(turns))
            out["turns"][-1]["text"] += " ⊕"
            return Reply(content=json.dumps(out))
        return Reply(content=good_answer(turns))

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = json.loads(h.rfile.read(length) or b"{}")
        with self._lock:
            if len(self.requests) >= self.max_requests:
                h.send_error(503, "fake server request cap reached")
                return
            self.requests.append(
                {
                    "body": body,
                    "headers": {k.lower(): v for k, v in h.headers.items()},
                    "path": h.path,
                    "t": time.monotonic(),
                }
            )
            key = json.dumps(dialogue_of(body), sort_keys=True)
            n_seen = self._seen.get(key, 0)
            self._seen[key] = n_seen + 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self.decide(body, n_seen)
            wait = max(reply.delay_s, self.delay_all_s)
            if wait:
                time.sleep(wait)
            if reply.status == 200:
                payload = {
                    "id": f"chatcmpl-{len(self.requests)}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.content},
                            "finish_reason": reply.finish_reason,
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            else:
                payload = {"error": {"message": reply.error or "error", "type": "fake"}}
            data = json.dumps(payload).encode() if reply.raw is None else reply.raw.encode()
            try:
                h.send_response(reply.status)
                h.send_header("Content-Type", reply.content_type)
                h.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    h.send_header(k, v)
                h.end_headers()
                h.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)
        finally:
            with self._lock:
                self.in_flight -= 1
