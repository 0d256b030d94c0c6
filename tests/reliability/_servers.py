"""Loopback servers that misbehave the way real ones do, and a runner for the real CLI.

:class:`SpeechServer` answers ``POST /v1/audio/speech`` like an OpenAI-compatible TTS server:
``mode="speak"`` with real espeak speech (WAV, no word timings), ``"echo401"`` with a 401 whose
body echoes the request headers (Authorization included), ``"fail"`` with a 500, ``"slow"`` speaking after 2 s, ``"hang"``
by never answering within the client's timeout.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _clitools import CLI, REPO, cli_env, run_cli


class SpeechServer:
    def __init__(self, mode: str = "speak") -> None:
        self.mode = mode
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                server.requests += 1
                if server.mode == "echo401":
                    echo = {k: v for k, v in self.headers.items()}
                    message = f"invalid key; request headers were {echo}"
                    server._send(self, 401, {"error": {"message": message}})
                elif server.mode == "fail":
                    server._send(self, 500, {"error": {"message": "engine crashed"}})
                elif server.mode == "slow":  # a busy server: speaks, but takes its time
                    time.sleep(2.0)
                    server._speak(self, body)
                elif server.mode == "hang":
                    time.sleep(3.0)
                    server._send(self, 500, {"error": {"message": "too late"}})
                else:
                    server._speak(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _speak(h: BaseHTTPRequestHandler, body: dict) -> None:
        import soundfile as sf

        from duplexsynth.synth.backends.espeak import EspeakBackend

        backend = EspeakBackend()
        backend.load()
        result = backend.synthesize(body["input"], {"voice": body.get("voice", "en-us")})
        buf = io.BytesIO()
        sf.write(buf, result.audio, result.sample_rate, format="WAV")
        data = buf.getvalue()
        try:
            h.send_response(200)
            h.send_header("Content-Type", "audio/wav")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed (the SIGKILL test)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> SpeechServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def served_bank(path: Path) -> Path:
    """A voice bank whose two voices live on an OpenAI-compatible server."""
    path.write_text(
        "version: 1\nassistant: srv-a\nvoices:\n"
        "  - {id: srv-a, backend: openai, params: {voice: en-us}, role: assistant}\n"
        "  - {id: srv-u, backend: openai, params: {voice: en-gb}}\n"
    )
    return path


def tiny_corpus(path: Path, n: int = 2) -> Path:
    topics = [
        ("Can you help me plan a small garden?", "Of course. Start with a sunny spot and herbs."),
        ("What should I cook tonight?", "A simple pasta with tomatoes and garlic is quick."),
        ("How do I keep a puppy calm?", "Give it a quiet corner and short, regular walks."),
        ("Which book should I read next?", "Try a short mystery novel; they are easy to finish."),
    ]
    lines = []
    for i in range(n):
        user, assistant = topics[i % len(topics)]
        conv = [{"from": "human", "value": user}, {"from": "gpt", "value": assistant}]
        lines.append(json.dumps({"id": f"t{i}", "conversations": conv}))
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(
    *args: str, env: dict[str, str] | None = None, timeout_s: float = 240
) -> subprocess.CompletedProcess:
    """``python -m duplexsynth.cli ARGS`` in a fresh process (real exit code, stderr)."""
    return run_cli(args, env=env, timeout_s=timeout_s)


def start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """The CLI in its own process group (so a test can SIGKILL all of it)."""
    return subprocess.Popen(
        [*CLI, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(env),
        cwd=REPO,
        start_new_session=True,
    )


def cli_command(*args: str) -> str:
    """The shell words of ``python -m duplexsynth.cli ARGS``."""
    import shlex

    return shlex.join([*CLI, *args])


def in_mount_namespace(
    script: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess | None:
    """Run ``sh -c script`` in a private mount namespace (root: ``unshare -m``; others: a user
    namespace, ``unshare -Urm``) so it may ``mount -t tmpfs``; None when that is not allowed."""
    import shutil

    if shutil.which("unshare") is None:
        return None
    flags = "-m" if os.geteuid() == 0 else "-Urm"
    probe = subprocess.run(["unshare", flags, "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    return subprocess.run(
        ["unshare", flags, "sh", "-c", script],
        capture_output=True,
        text=True,
        env=cli_env(env),
        cwd=REPO,
        timeout=300,
    )
