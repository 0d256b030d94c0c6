"""The OpenAI-compatible backend against a loopback HTTP server that returns real WAV bytes."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile as sf

from duplexsynth.synth.backends.base import BackendUnavailable, TTSError
from duplexsynth.synth.backends.openai_speech import OpenAISpeechBackend


class SpeechServer:
    """``POST /v1/audio/speech``: speaks ``input`` with espeak, answers in the asked format."""

    def __init__(self, espeak) -> None:
        self.requests: list[dict] = []
        self.fail_next = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), **body}
                )
                if self.path != "/v1/audio/speech":
                    self.send_error(404)
                    return
                if server.fail_next:
                    server.fail_next -= 1
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "engine crashed"}}')
                    return
                result = espeak.synthesize(body["input"], {"voice": body["voice"]})
                buf = io.BytesIO()
                fmt = body.get("response_format", "mp3")
                if fmt == "pcm":
                    data = (result.audio * 32767).astype("<i2").tobytes()
                else:
                    sf.write(buf, result.audio, result.sample_rate, format=fmt.upper())
                    data = buf.getvalue()
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture()
def server(espeak_backend):
    with SpeechServer(espeak_backend) as s:
        yield s


def test_speaks_through_the_server(server, monkeypatch) -> None:
    monkeypatch.setenv("MY_TTS_KEY", "sk-test")
    backend = OpenAISpeechBackend(
        server.url, model="kokoro", api_key_env="MY_TTS_KEY", max_retries=0
    )
    text = "Hello there, it costs $5 today."
    result = backend.synthesize(
        text, {"voice": "en-us", "speed": 1.1, "extra_body": {"lang_code": "a"}}
    )
    assert result.sample_rate == 22050 and result.words is None
    assert result.audio.dtype == np.float32 and 1.0 < result.duration_s < 5.0
    assert float(np.abs(result.audio).max()) > 0.1
    req = server.requests[-1]
    assert req["path"] == "/v1/audio/speech" and req["auth"] == "Bearer sk-test"
    assert req["model"] == "kokoro" and req["voice"] == "en-us" and req["response_format"] == "wav"
    assert req["input"] == "Hello there, it costs five dollars today."
    assert req["speed"] == 1.1 and req["lang_code"] == "a"


def test_flac_pcm_and_per_voice_model(server) -> None:
    flac = OpenAISpeechBackend(server.url, response_format="flac", max_retries=0)
    r = flac.synthesize("Good morning.", {"voice": "en-gb", "model": "tts-hd"})
    assert r.sample_rate == 22050 and r.duration_s > 0.5
    assert (
        server.requests[-1]["model"] == "tts-hd"
        and server.requests[-1]["response_format"] == "flac"
    )
    pcm = OpenAISpeechBackend(server.url, response_format="pcm", max_retries=0)
    r = pcm.synthesize("Good morning.", {"voice": "en-us"})
    assert r.sample_rate == 24000 and len(r.audio) > 10000


def test_concurrent_batch_keeps_order_and_isolates_failures(server) -> None:
    backend = OpenAISpeechBackend(server.url, concurrency=3, max_retries=0)
    texts = ["One.", "Two two two two.", "Three three.", "Four."]
    results = backend.synthesize_many(texts, {"voice": "en-us"})
    durations = [r.duration_s for r in results]
    assert durations[1] > durations[0] and durations[1] > durations[3]
    assert sorted(r["input"] for r in server.requests) == sorted(texts)
    server.fail_next = 1
    out = OpenAISpeechBackend(server.url, concurrency=1, max_retries=0).synthesize_many(
        ["A.", "B."], {"voice": "en-us"}
    )
    assert isinstance(out[0], TTSError) and "engine crashed" in str(out[0])
    assert out[1].duration_s > 0


def test_server_errors_and_missing_settings(server) -> None:
    server.fail_next = 1
    with pytest.raises(TTSError, match="failed"):
        OpenAISpeechBackend(server.url, max_retries=0).synthesize("Hi.", {"voice": "en-us"})
    server.fail_next = 1  # one failure, then the client's retry succeeds
    ok = OpenAISpeechBackend(server.url, max_retries=1).synthesize("Hi.", {"voice": "en-us"})
    assert ok.duration_s > 0
    with pytest.raises(BackendUnavailable, match="--tts-base-url"):
        OpenAISpeechBackend(None).load()
    with pytest.raises(ValueError, match="voice"):
        OpenAISpeechBackend.validate_params({"speed": 1.0})
    with pytest.raises(ValueError, match="response_format"):
        OpenAISpeechBackend(server.url, response_format="mp3")
    with pytest.raises(TTSError, match="failed"):  # nothing listens there
        OpenAISpeechBackend("http://127.0.0.1:9/v1", max_retries=0, timeout_s=2).synthesize(
            "Hi.", {"voice": "x"}
        )
