"""Any OpenAI-compatible ``/v1/audio/speech`` endpoint, through the ``openai`` client.

This is how TTS scales under Dataflow or Spark: run the engine as a server on GPU machines
(OpenAI's API, Kokoro-FastAPI, openedai-speech, a CosyVoice or vLLM server with that route...)
and let many pipeline workers call it. Requests ask for WAV (or FLAC/PCM) so nothing lossy
enters the data; ``synthesize_many`` queues texts on request threads shared by the whole process (at most
``concurrency`` requests in flight), so the turns of many dialogues overlap.
"""

from __future__ import annotations

import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from duplexsynth.redact import redact, register_key_env
from duplexsynth.synth.backends.base import (
    BackendUnavailable,
    TTSBackend,
    TTSError,
    TTSResult,
    float_audio,
)
from duplexsynth.synth.textnorm import speakable
from duplexsynth.worker_local import WorkerLocal

RESPONSE_FORMATS = ("wav", "flac", "pcm")
#: OpenAI's raw ``pcm`` format: 24 kHz, 16-bit little-endian, mono
PCM_RATE = 24000


class OpenAISpeechBackend(WorkerLocal, TTSBackend):
    """Voice params: ``voice`` (the server's voice name, required), ``model`` (overrides the
    backend's default model), ``speed``, ``instructions`` (style prompt, where supported),
    ``extra_body`` (a dict of server-specific request fields)."""

    name = "openai"
    param_keys = frozenset({"voice", "model", "speed", "instructions", "extra_body"})
    worker_local = {"_client": None, "_pool": None, "_pool_lock": None}

    def __init__(
        self,
        base_url: str | None,
        model: str = "tts-1",
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 60.0,
        max_retries: int = 2,
        response_format: str = "wav",
        concurrency: int = 4,
    ) -> None:
        if response_format not in RESPONSE_FORMATS:
            raise ValueError(
                f"response_format must be one of {RESPONSE_FORMATS}, got {response_format!r}"
            )
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        register_key_env(api_key_env)
        self.timeout_s = float(timeout_s)
        self.max_retries = int(max_retries)
        self.response_format = response_format
        self.concurrency = max(1, int(concurrency))
        self._client = None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pool_lock = threading.Lock()

    @property
    def pool(self) -> ThreadPoolExecutor:
        """The request threads of this backend: ``concurrency`` of them, shared by every caller
        in the process, so requests from many dialogues overlap but never exceed the limit."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.concurrency, thread_name_prefix="duplexsynth-tts"
                )
            return self._pool

    def load(self) -> None:
        if self._client is not None:
            return
        if not self.base_url:
            raise BackendUnavailable(
                "the voice bank uses OpenAI-compatible voices but no server was given: pass "
                "--tts-base-url URL (e.g. http://tts-host:8880/v1) and --tts-model NAME"
            )
        try:
            from openai import OpenAI
        except ImportError as exc:
            raise BackendUnavailable("the openai client is missing: pip install openai") from exc
        # local servers ignore the key, but the client insists on one
        key = os.environ.get(self.api_key_env) or "not-needed"
        self._client = OpenAI(
            base_url=self.base_url,
            api_key=key,
            timeout=self.timeout_s,
            max_retries=self.max_retries,
        )

    def version(self) -> str:
        return redact(
            f"openai-speech {self.base_url} model={self.model} format={self.response_format}"
        )

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> None:
        super().validate_params(params)
        if not params.get("voice"):
            raise ValueError("an openai voice needs 'voice' (the server's voice name)")
        if "extra_body" in params and not isinstance(params["extra_body"], dict):
            raise ValueError("openai voice 'extra_body' must be a mapping")

    def synthesize(self, text: str, params: dict[str, Any]) -> TTSResult:
        self.validate_params(params)
        self.load()
        spoken_text, tokens = speakable(text)
        if not tokens:
            raise TTSError("nothing to say: empty text")
        request: dict[str, Any] = {
            "model": params.get("model") or self.model,
            "voice": params["voice"],
            "input": spoken_text,
            "response_format": self.response_format,
        }
        if "speed" in params:
            request["speed"] = float(params["speed"])
        if params.get("instructions"):
            request["instructions"] = str(params["instructions"])
        if params.get("extra_body"):
            request["extra_body"] = dict(params["extra_body"])
        try:
            response = self._client.audio.speech.create(**request)
            data = response.read() if hasattr(response, "read") else response.content
        except Exception as exc:  # connection errors, HTTP errors after retries
            # error bodies may echo the request's Authorization header
            raise TTSError(redact(f"speech server {self.base_url} failed: {exc}")) from None
        audio, sr = decode_response(data, self.response_format)
        return TTSResult(audio=audio, sample_rate=sr, words=None)

    def synthesize_many(
        self, texts: list[str], params: dict[str, Any]
    ) -> list[TTSResult | Exception]:
        """Queue every text on the shared request threads (at most ``concurrency`` requests in
        flight per process, whoever asks); results keep the order of ``texts``."""
        self.load()

        def one(text: str) -> TTSResult | Exception:
            try:
                return self.synthesize(text, params)
            except Exception as exc:
                return exc

        return list(self.pool.map(one, texts))


def decode_response(data: bytes, response_format: str) -> tuple[np.ndarray, int]:
    """Decode the body of a speech response into float32 mono and its sample rate."""
    if not data:
        raise TTSError("speech server returned an empty body")
    if response_format == "pcm":
        if len(data) % 2:
            data = data[:-1]
        return float_audio(np.frombuffer(data, dtype="<i2")), PCM_RATE
    import soundfile as sf

    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float32")
    except Exception as exc:
        head = data[:60]
        raise TTSError(
            f"speech server returned undecodable {response_format} audio ({head!r}...): {exc}"
        ) from exc
    return float_audio(audio), int(sr)
