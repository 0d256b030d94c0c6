"""An OpenAI-compatible ``/v1/audio/speech`` server in front of any duplexsynth TTS backend.

This is how CosyVoice (or any engine of a voice bank) becomes a *served* engine: run
``duplexsynth serve-tts --voice-bank BANK ...`` (or ``python -m duplexsynth.synth.serve``, which
needs neither click nor Beam, for an environment that holds only the engine) on the GPU machine,
and point pipeline workers at it with voices of backend ``openai`` (``--tts-base-url
http://HOST:PORT/v1``, ``params: {voice: <voice id in the served bank>}``).

Routes (standard library HTTP server, one thread per request; engines that hold a lock, such
as CosyVoice, still synthesize one utterance at a time):

* ``POST /v1/audio/speech``: JSON ``{"input", "voice", "model"?, "response_format"?, "speed"?}``;
  ``voice`` is a voice id of the bank; ``response_format`` ``wav`` (16-bit PCM at the engine's
  rate, default), ``flac`` or ``pcm`` (raw 16-bit little-endian at 24 kHz, as OpenAI's API).
  Errors come back as ``{"error": {"message"}}`` with status 400 (bad request, unknown voice)
  or 500 (the engine failed).
* ``GET /v1/models`` and ``GET /v1/audio/voices``: what is served.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from duplexsynth.synth.backends import TTSBackend
from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.voices import VoiceBank, load_voice_bank

log = logging.getLogger("duplexsynth.serve")

PCM_RATE = 24000
FORMATS = {"wav": "audio/wav", "flac": "audio/flac", "pcm": "audio/pcm"}
MAX_BODY_BYTES = 1 << 20


class SpeechService:
    """The voices of ``bank`` with their loaded backends; :meth:`speak` returns encoded audio."""

    def __init__(self, config: SynthConfig, bank: VoiceBank) -> None:
        from duplexsynth.synth.engine import preflight, shared_backend

        preflight(config, bank)
        self.bank = bank
        self.backends: dict[str, TTSBackend] = {
            name: shared_backend(name, config) for name in bank.backends()
        }

    def speak(self, request: dict[str, Any]) -> tuple[bytes, str]:
        """``(body, content type)``; ``ValueError`` for a bad request, other errors for failures."""
        text = request.get("input")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("'input' must be a non-empty string")
        fmt = request.get("response_format") or "wav"
        if fmt not in FORMATS:
            raise ValueError(f"response_format {fmt!r} is not one of {', '.join(FORMATS)}")
        voice_id = request.get("voice")
        try:
            voice = self.bank.get(str(voice_id))
        except KeyError:
            known = ", ".join(v.id for v in self.bank.voices)
            raise ValueError(f"unknown voice {voice_id!r}; this server has: {known}") from None
        backend = self.backends[voice.backend]
        params = voice.engine_params()
        speed = request.get("speed")
        if speed is not None and float(speed) != 1.0:
            if "speed" not in backend.param_keys:
                raise ValueError(f"voice {voice.id!r} ({voice.backend}) does not take a speed")
            params["speed"] = float(speed)
        result = backend.synthesize(text, params)
        return encode(result.audio, result.sample_rate, fmt), FORMATS[fmt]


def encode(audio: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """Float mono audio as a ``wav``/``flac`` file (16-bit) or raw 24 kHz ``pcm``."""
    import soundfile as sf

    from duplexsynth.audio import resample

    clipped = np.clip(np.asarray(audio, np.float32), -1.0, 1.0)
    if fmt == "pcm":
        pcm = resample(clipped, sample_rate, PCM_RATE)
        return (np.clip(pcm, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    buf = io.BytesIO()
    sf.write(buf, clipped, sample_rate, format=fmt.upper(), subtype="PCM_16")
    return buf.getvalue()


def make_server(service: SpeechService, host: str, port: int) -> ThreadingHTTPServer:
    """A ready (not yet serving) HTTP server; ``port=0`` picks a free port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.info("%s %s", self.address_string(), format % args)

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str) -> None:
            body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
            self._send(status, body.encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") == "/v1/models":
                data = [{"id": name, "object": "model"} for name in service.backends]
                self._send(
                    200, json.dumps({"object": "list", "data": data}).encode(), "application/json"
                )
            elif self.path.rstrip("/") == "/v1/audio/voices":
                voices = [
                    {"id": v.id, "backend": v.backend, "language": v.language}
                    for v in service.bank.voices
                ]
                self._send(200, json.dumps({"voices": voices}).encode(), "application/json")
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self) -> None:  # noqa: N802
            if self.path.rstrip("/") != "/v1/audio/speech":
                self._error(404, f"no route {self.path}")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY_BYTES:
                self._error(400, f"request body must be 1-{MAX_BODY_BYTES} bytes of JSON")
                return
            try:
                request = json.loads(self.rfile.read(length))
                if not isinstance(request, dict):
                    raise ValueError("the request body must be a JSON object")
                body, content_type = service.speak(request)
            except (ValueError, json.JSONDecodeError) as exc:
                self._error(400, str(exc))
                return
            except Exception as exc:  # the engine failed on this text: the client sees why
                log.warning("synthesis failed: %s: %s", type(exc).__name__, exc)
                self._error(500, f"{type(exc).__name__}: {exc}")
                return
            self._send(200, body, content_type)

    return ThreadingHTTPServer((host, port), Handler)


def serve(config: SynthConfig, host: str = "127.0.0.1", port: int = 8880) -> None:
    """Load the bank's engines, then serve until interrupted."""
    service = SpeechService(config, load_voice_bank(config.voice_bank))
    server = make_server(service, host, port)
    log.warning(
        "serving %d voices on http://%s:%d/v1", len(service.bank.voices), host, server.server_port
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def start_in_thread(service: SpeechService, host: str = "127.0.0.1", port: int = 0):
    """A server running in a daemon thread (tests, notebooks); call ``.shutdown()`` to stop."""
    server = make_server(service, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> None:
    """``python -m duplexsynth.synth.serve``: the same server without the click CLI or Beam."""
    p = argparse.ArgumentParser(
        prog="python -m duplexsynth.synth.serve", description=__doc__.split("\n")[0]
    )
    p.add_argument("--voice-bank", default="default")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8880)
    p.add_argument("--cosyvoice-model")
    p.add_argument("--cosyvoice-repo")
    p.add_argument("--cosyvoice-fp16", action="store_true")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = SynthConfig(
        voice_bank=a.voice_bank,
        cosyvoice_model=a.cosyvoice_model,
        cosyvoice_repo=a.cosyvoice_repo,
        cosyvoice_fp16=a.cosyvoice_fp16,
        cache=False,
    )
    serve(config, a.host, a.port)


if __name__ == "__main__":
    main()
