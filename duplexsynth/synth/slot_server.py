"""A loopback OpenAI-compatible speech server with a fixed number of slots and a fixed latency.

It stands in for a GPU engine behind vLLM-style serving: at most ``slots`` requests are served
at once (more wait in a queue, as on a real server), each takes ``latency_s``, and the answer
is real WAV audio of a plausible length for the text (a voiced, syllable-shaped tone, about 14
letters per second), so the synth stage's finishing and QC run on it for real. It records when
every request held a slot, which gives the slot-time used (:meth:`SlotServer.utilisation`).

Used by the tests and ``bench/served.py``; also a way to rehearse a served deployment::

    python -m duplexsynth.synth.slot_server --slots 16 --latency 0.5 --port 8880
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

SAMPLE_RATE = 24000
LETTERS_PER_S = 14.0


def speech_like(text: str, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Deterministic speech-shaped audio for ``text``: about 14 letters per second of a
    harmonic tone at a voice's pitch, shaped into syllables (float32 in [-0.5, 0.5])."""
    duration_s = max(0.5, len(text.strip()) / LETTERS_PER_S)
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * sample_rate), dtype=np.float64) / sample_rate
    f0 = 110.0 + 40.0 * rng.random()
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t) ** 2
    audio = tone * syllables
    return (0.45 * audio / np.max(np.abs(audio))).astype(np.float32)


class SlotServer:
    """``POST /v1/audio/speech`` served by at most ``slots`` requests at once.

    ``fail_texts``: requests whose input contains one of these strings get HTTP 500 (to check
    that one dialogue's failure stays its own). Start with ``with SlotServer(...) as s:``;
    ``s.url`` is the ``base_url`` to give the client.
    """

    def __init__(
        self,
        slots: int = 16,
        latency_s: float = 0.5,
        fail_texts: tuple[str, ...] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if slots < 1 or latency_s < 0:
            raise ValueError(f"need slots >= 1 and latency_s >= 0, got {slots}, {latency_s}")
        self.slots = slots
        self.latency_s = latency_s
        self.fail_texts = tuple(fail_texts)
        self.intervals: list[tuple[float, float]] = []  # (start, end) of each served request
        self.max_in_flight = 0  # most requests holding a slot at once (<= slots)
        self.max_open = 0  # most requests sent at once by the clients (served or queued)
        self._in_flight = 0
        self._open = 0
        self._lock = threading.Lock()
        self._sem = threading.BoundedSemaphore(slots)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real server

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, data, ctype = server._serve(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024  # the default 5 delays bursts of connections by TCP retries

        self.httpd = Server((host, port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> SlotServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def _serve(self, path: str, body: dict[str, Any]) -> tuple[int, bytes, str]:
        if not path.endswith("/audio/speech"):
            return 404, b'{"error": {"message": "not found"}}', "application/json"
        text = str(body.get("input") or "")
        with self._lock:
            self._open += 1
            self.max_open = max(self.max_open, self._open)
        try:
            return self._serve_in_slot(text, body)
        finally:
            with self._lock:
                self._open -= 1

    def _serve_in_slot(self, text: str, body: dict[str, Any]) -> tuple[int, bytes, str]:
        failed = any(f in text for f in self.fail_texts)
        # the audio is made before taking a slot, so a slot is held exactly latency_s
        data = b"" if failed else self._wav(text, str(body.get("response_format") or "wav"))
        with self._sem:  # wait for a free slot, like a saturated engine's queue
            start = time.monotonic()
            with self._lock:
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
            time.sleep(self.latency_s)
            with self._lock:
                self._in_flight -= 1
                self.intervals.append((start, time.monotonic()))
        if failed:
            return 500, b'{"error": {"message": "engine failed"}}', "application/json"
        return 200, data, "audio/wav"

    @staticmethod
    def _wav(text: str, fmt: str) -> bytes:
        import soundfile as sf

        audio = speech_like(text)
        if fmt == "pcm":
            return (audio * 32767).astype("<i2").tobytes()
        buf = io.BytesIO()
        sf.write(buf, audio, SAMPLE_RATE, format="FLAC" if fmt == "flac" else "WAV")
        return buf.getvalue()

    # -------------------------------------------------------------------------- measuring
    @property
    def requests(self) -> int:
        with self._lock:
            return len(self.intervals)

    def utilisation(self, start: float | None = None, end: float | None = None) -> float:
        """Share of slot-time used between ``start`` and ``end`` (``time.monotonic`` values;
        default: from the first request's start to the last one's end)."""
        with self._lock:
            spans = list(self.intervals)
        if not spans:
            return 0.0
        start = min(s for s, _ in spans) if start is None else start
        end = max(e for _, e in spans) if end is None else end
        if end <= start:
            return 0.0
        busy = sum(max(0.0, min(e, end) - max(s, start)) for s, e in spans)
        return busy / (self.slots * (end - start))

    def steady_utilisation(self, trim: float = 0.1) -> float:
        """:meth:`utilisation` without the first and last ``trim`` of the busy span (the
        ramp-up and the tail, when there is not enough work left to fill the slots)."""
        with self._lock:
            spans = list(self.intervals)
        if not spans:
            return 0.0
        first = min(s for s, _ in spans)
        last = max(e for _, e in spans)
        cut = (last - first) * trim
        return self.utilisation(first + cut, last - cut)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per request")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8880)
    args = parser.parse_args()
    with SlotServer(args.slots, args.latency, host=args.host, port=args.port) as server:
        print(f"serving {server.url} ({args.slots} slots, {args.latency}s per request)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
