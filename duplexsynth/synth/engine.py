"""Turn (voice, text) into a finished, checked utterance: backend, cache, finishing, QC.

:class:`Synthesizer` owns the backends a voice bank needs (one loaded model per process,
shared by every processor in it), a content-addressed cache of finished utterances, and the
optional ASR intelligibility check. A cache entry holds the final FLAC, the word timings and
the raw-output measurements, keyed by everything that determines them (backend, engine
version, voice parameters incl. the cloning prompt's content, text, output rate, loudness
target and finishing settings), so a rerun synthesizes nothing twice and QC thresholds can
change without resynthesis.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from duplexsynth.cache import ContentCache, content_key, default_cache_dir
from duplexsynth.lang import word_tokens
from duplexsynth.schemas.reasons import Reason
from duplexsynth.synth import audio as finishing
from duplexsynth.synth.backends import TTSBackend, backend_class
from duplexsynth.synth.backends.base import BackendUnavailable, TTSError, TTSResult
from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.qc import IntelligibilityChecker, QCFailure, check_signal, check_wer
from duplexsynth.synth.voices import Voice, VoiceBank

log = logging.getLogger("duplexsynth.synth")

#: bump when finishing (trim, resample, loudness, encoding) changes: old cache entries retire
FINISH_VERSION = "1"

_SHARED: dict[tuple, TTSBackend] = {}
_SHARED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Utterance:
    """A finished utterance that passed QC."""

    flac: bytes
    sample_rate: int
    duration_s: float
    words: tuple[tuple[str, float, float], ...] | None
    gain_db: float
    level_in: float
    level_method: str
    peak_limited: bool
    wer: float | None = None


def backend_spec(name: str, config: SynthConfig) -> tuple:
    """Constructor arguments of backend ``name`` under ``config`` (also its sharing key)."""
    cache_root = config.cache_dir or default_cache_dir()
    if name == "piper":
        return (name, ("threads", config.engine_threads or 1))
    if name == "kokoro":
        return (name, ("cache_dir", cache_root), ("threads", config.engine_threads))
    if name == "espeak":
        return (name,)
    if name == "cosyvoice":
        return (
            name,
            ("model_dir", config.cosyvoice_model),
            ("repo_dir", config.cosyvoice_repo),
            ("fp16", config.cosyvoice_fp16),
        )
    if name == "openai":
        return (
            name,
            ("base_url", config.tts_base_url),
            ("model", config.tts_model),
            ("api_key_env", config.tts_api_key_env),
            ("timeout_s", config.tts_timeout_s),
            ("max_retries", config.tts_max_retries),
            ("response_format", config.tts_response_format),
            ("concurrency", config.tts_concurrency),
        )
    raise ValueError(f"unknown backend {name!r}")


def preflight(config: SynthConfig, bank: VoiceBank) -> None:
    """``ValueError`` with what to pass or fix when a backend the bank uses cannot work.

    Settings are checked first (cheap), so a missing ``--cosyvoice-model`` fails in a second
    with a clear message instead of inside every worker. For CosyVoice it then checks the model
    folder's files, loads the model (once per process, the object workers in this process share)
    and registers the first CosyVoice voice's prompt: a broken install or prompt fails here, in
    one line, not as a ``tts_error`` on every utterance.
    """
    names = bank.backends()
    if config.asr_check and "zh" in config.languages():
        model = config.asr_model or ""
        if not model or model.rstrip("/").endswith(".en"):
            raise ValueError(
                "synth.asr_check on Chinese dialogues needs a multilingual Whisper model: pass "
                "--set synth.asr_model=DIR (a CTranslate2 Whisper folder such as small or "
                "medium); the bundled tiny.en only hears English"
            )
    if "cosyvoice" in names:
        if not config.cosyvoice_model:
            raise ValueError(
                f"voice bank {bank.source} has CosyVoice voices: pass --cosyvoice-model DIR "
                "(a downloaded CosyVoice2-0.5B or Fun-CosyVoice3-0.5B folder; see docs/cosyvoice.md)"
            )
        from duplexsynth.synth.backends.cosyvoice import (
            CosyVoiceBackend,
            check_model_dir,
            model_generation,
        )

        model_generation(config.cosyvoice_model)
        voices = [v for v in bank.voices if v.backend == "cosyvoice"]
        for v in voices:
            params = v.engine_params()
            for key in ("prompt_wav", "short_prompt_wav"):
                if params.get(key):
                    CosyVoiceBackend.check_prompt(str(params[key]))
        check_model_dir(config.cosyvoice_model)
        try:
            shared_backend("cosyvoice", config).register_voice(voices[0].engine_params())
        except (BackendUnavailable, TTSError) as exc:
            raise ValueError(f"voice {voices[0].id!r}: {exc}") from None
    if "openai" in names and not config.tts_base_url:
        raise ValueError(
            f"voice bank {bank.source} has OpenAI-compatible voices: pass --tts-base-url URL "
            "(e.g. http://tts-host:8880/v1) and --tts-model NAME"
        )


def shared_backend(name: str, config: SynthConfig) -> TTSBackend:
    """One backend object per (name, settings) per process, loaded on first request."""
    spec = backend_spec(name, config)
    with _SHARED_LOCK:
        backend = _SHARED.get(spec)
        if backend is None:
            backend = backend_class(name)(**dict(spec[1:]))
            _SHARED[spec] = backend
    backend.load()
    return backend


class Synthesizer:
    """Renders texts in voices of ``bank``; see the module docstring.

    ``backends`` maps backend names to ready objects (tests inject fakes); any backend the bank
    needs and ``backends`` lacks is created by :func:`shared_backend` in :meth:`setup`.
    """

    def __init__(
        self,
        config: SynthConfig,
        bank: VoiceBank,
        backends: dict[str, TTSBackend] | None = None,
        asr: IntelligibilityChecker | None = None,
    ) -> None:
        self.config = config
        self.bank = bank
        self.backends: dict[str, TTSBackend] = dict(backends or {})
        self.asr = asr
        root = (config.cache_dir or default_cache_dir()) if config.cache else None
        self.cache = ContentCache(root, "synth")
        self.asr_cache = ContentCache(root, "synth-asr")
        self.engine_calls = 0
        self._versions: dict[str, str] = {}
        self._prompt_digests: dict[str, str] = {}
        self._ready = False
        self._lexicon: dict[tuple[str, tuple[str, ...]], list[Utterance | QCFailure]] = {}
        self._pending: dict[str, Future] = {}  # cache keys being synthesized right now
        self._pending_lock = threading.Lock()

    def setup(self) -> None:
        """Create and load every backend the bank uses (and the ASR model when checking)."""
        if self._ready:
            return
        import pyloudnorm  # noqa: F401  (its first import takes seconds: pay it here, once)

        for name in self.bank.backends():
            if name not in self.backends:
                self.backends[name] = shared_backend(name, self.config)
            else:
                self.backends[name].load()
            self._versions[name] = self.backends[name].version()
        if self.config.asr_check and self.asr is None:
            self.asr = IntelligibilityChecker(
                self.config.asr_model,
                self.config.engine_threads,
                "zh" if self.config.language == "zh" else "en",
            )
        if self.asr is not None and self.config.asr_check:
            self.asr.load()
        self._ready = True

    def engine_version(self, backend: str) -> str:
        self.setup()
        return self._versions[backend]

    # ----------------------------------------------------------------------------- caching
    def _prompt_digest(self, path: str) -> str:
        if path not in self._prompt_digests:
            try:
                from duplexsynth.synth.backends.cosyvoice_files import audio_source

                src = audio_source(path)
                data = src.getvalue() if hasattr(src, "getvalue") else Path(src).read_bytes()
                self._prompt_digests[path] = hashlib.sha256(data).hexdigest()
            except OSError:
                self._prompt_digests[path] = "missing"
        return self._prompt_digests[path]

    def cache_key(self, voice: Voice, text: str) -> str:
        """Content key of the finished utterance of ``text`` in ``voice``."""
        c = self.config
        params = voice.engine_params()
        for wav_key in ("prompt_wav", "short_prompt_wav"):
            if params.get(wav_key):
                params[f"{wav_key}_sha256"] = self._prompt_digest(params[wav_key])
                params[wav_key] = Path(params[wav_key]).name
        return content_key(
            backend=voice.backend,
            engine=self.engine_version(voice.backend),
            params=params,
            text=text,
            sample_rate=c.sample_rate_hz,
            loudness_lufs=c.loudness_lufs,
            max_true_peak_dbfs=c.max_true_peak_dbfs,
            trim=[c.trim_silence, c.trim_pad_ms, c.silence_threshold_dbfs],
            clip_level=c.clip_level,
            finish=FINISH_VERSION,
        )

    # ---------------------------------------------------------------------------- rendering
    def render(self, voice: Voice, text: str) -> Utterance | QCFailure:
        """One text in one voice (cache first); a :class:`QCFailure` when it does not pass."""
        return self.render_many(voice, [text])[0]

    def render_many(self, voice: Voice, texts: list[str]) -> list[Utterance | QCFailure]:
        """Several texts in one voice; cache misses go to the engine together (batching
        engines such as the OpenAI-compatible backend send them concurrently)."""
        self.setup()
        keys = [self.cache_key(voice, t) for t in texts]
        entries: list[tuple[bytes, dict[str, Any]] | QCFailure | None] = [
            self._cached(k) for k in keys
        ]
        first_of: dict[str, int] = {}  # a text repeated in one call is synthesized once
        for i, e in enumerate(entries):
            if e is None:
                first_of.setdefault(keys[i], i)
        missing = list(first_of.values())
        if missing:
            done = self._synthesize(voice, [(keys[i], texts[i]) for i in missing])
            entries = [done[keys[i]] if e is None else e for i, e in enumerate(entries)]
        return [self._accept(voice, texts[i], keys[i], e) for i, e in enumerate(entries)]

    def _synthesize(self, voice: Voice, items: list[tuple[str, str]]) -> dict[str, Any]:
        """Engine + store for ``(key, text)`` cache misses. A key another thread of this process
        is already synthesizing (dialogues in flight together often share a text) is waited
        for, not requested twice."""
        owned: list[tuple[str, str]] = []
        waiting: dict[str, Future] = {}
        with self._pending_lock:
            for key, text in items:
                pending = self._pending.get(key)
                if pending is None:
                    self._pending[key] = Future()
                    owned.append((key, text))
                else:
                    waiting[key] = pending
        done: dict[str, Any] = {}
        if owned:
            try:
                backend = self.backends[voice.backend]
                self.engine_calls += len(owned)
                results = backend.synthesize_many([t for _, t in owned], voice.engine_params())
                for (key, text), result in zip(owned, results):
                    done[key] = self._store(key, text, result)
            finally:  # wake the waiters, also when the engine raised
                with self._pending_lock:
                    for key, _ in owned:
                        future = self._pending.pop(key)
                        if key in done:
                            future.set_result(done[key])
                        else:
                            future.set_exception(RuntimeError("synthesis failed in another thread"))
        for key, future in waiting.items():
            done[key] = future.result()
        return done

    def render_lexicon(self, voice: Voice, texts: list[str]) -> list[Utterance | QCFailure]:
        """Like :meth:`render_many`, memoized in memory: the backchannel lexicon is the same for
        every dialogue in a voice, so each worker renders (or reads) it once."""
        key = (voice.id, tuple(texts))
        hit = self._lexicon.get(key)
        if hit is None:
            hit = self.render_many(voice, texts)
            self._lexicon[key] = hit
        return hit

    def _cached(self, key: str) -> tuple[bytes, dict[str, Any]] | None:
        meta = self.cache.get_json(key)
        if meta is None:
            return None
        flac = self.cache.get_bytes(key, ".flac")
        if flac is None:
            return None
        return flac, meta

    def _store(
        self, key: str, text: str, result: TTSResult | Exception
    ) -> tuple[bytes, dict[str, Any]] | QCFailure:
        if isinstance(result, Exception):
            detail = f"{type(result).__name__}: {result}"
            log.warning("TTS failed for %r: %s", text[:80], detail)
            return QCFailure(Reason.TTS_ERROR, detail[:500])
        c = self.config
        if not np.all(np.isfinite(result.audio)):
            return QCFailure(Reason.TTS_ERROR, "unusable engine output: NaN or infinite samples")
        try:
            stats = finishing.raw_stats(
                result.audio, result.sample_rate, c.clip_level, c.silence_threshold_dbfs
            )
            words = result.words
            if words is not None and len(words) != len(word_tokens(text)):
                log.warning(
                    "engine gave %d word timings for %d tokens; dropping them",
                    len(words),
                    len(word_tokens(text)),
                )
                words = None
            if stats.duration_s > 0 and stats.peak > 0:
                done = finishing.finish(
                    result.audio,
                    result.sample_rate,
                    words,
                    out_rate=c.sample_rate_hz,
                    loudness_lufs=c.loudness_lufs,
                    max_true_peak_dbfs=c.max_true_peak_dbfs,
                    trim=c.trim_silence,
                    trim_pad_s=c.trim_pad_ms / 1000.0,
                    silence_db=c.silence_threshold_dbfs,
                )
            else:
                done = None
        except Exception as exc:  # audio the finishing chain cannot handle (NaN, wrong shape)
            return QCFailure(
                Reason.TTS_ERROR, f"unusable engine output: {type(exc).__name__}: {exc}"[:500]
            )
        if done is None:  # nothing to normalize: keep the stats so QC reports tts_empty
            meta = {"stats": stats.to_dict(), "empty": True}
            flac = b""
        else:
            meta = {
                "stats": stats.to_dict(),
                "sample_rate": done.sample_rate,
                "duration_s": done.duration_s,
                "words": None if done.words is None else [list(w) for w in done.words],
                "gain_db": done.gain_db,
                "level_in": done.loudness_in,
                "level_method": done.loudness_method,
                "peak_limited": done.peak_limited,
            }
            flac = done.flac
        self.cache.put_bytes(key, flac, ".flac")
        self.cache.put_json(key, meta)
        return flac, meta

    def _accept(self, voice: Voice, text: str, key: str, entry) -> Utterance | QCFailure:
        if isinstance(entry, QCFailure):
            return entry
        flac, meta = entry
        s = meta["stats"]
        stats = finishing.RawStats(
            sample_rate=int(s["sample_rate"]),
            duration_s=float(s["duration_s"]),
            peak=float(s["peak"]),
            clipped_fraction=float(s["clipped_fraction"]),
            active_s=float(s["active_s"]),
        )
        failure = check_signal(text, stats, self.config)
        if failure is not None:
            return failure
        if meta.get("empty"):
            return QCFailure(Reason.TTS_EMPTY, "engine returned no samples")
        wer = None
        if self.config.asr_check and self.asr is not None:
            wer, failure = self._intelligibility(text, key, flac)
            if failure is not None:
                return failure
        words = meta.get("words")
        return Utterance(
            flac=flac,
            sample_rate=int(meta["sample_rate"]),
            duration_s=float(meta["duration_s"]),
            words=None
            if words is None
            else tuple((str(w), float(a), float(b)) for w, a, b in words),
            gain_db=float(meta["gain_db"]),
            level_in=float(meta["level_in"]),
            level_method=str(meta["level_method"]),
            peak_limited=bool(meta["peak_limited"]),
            wer=wer,
        )

    def _intelligibility(
        self, text: str, key: str, flac: bytes
    ) -> tuple[float | None, QCFailure | None]:
        from duplexsynth.audio import decode_audio
        from duplexsynth.synth.qc import spoken_counts

        if spoken_counts(text)[0] < self.config.asr_min_words:
            return None, None
        asr_key = content_key(audio=key, asr=self.asr.version())
        cached = self.asr_cache.get_json(asr_key)
        if cached is None:
            audio, sr = decode_audio(flac)
            cached = {"transcript": self.asr.transcribe(audio, sr)}
            self.asr_cache.put_json(asr_key, cached)
        return check_wer(text, cached["transcript"], self.config)
