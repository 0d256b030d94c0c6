"""The aligner interface: audio + known text -> one timed :class:`Word` per token of the text.

Tokens are the whitespace-separated pieces of the spoken text, kept exactly as written
(punctuation included): ``Word.word`` is always the original token, in order, one per token.
Speech-recognition backends implement :meth:`AsrAligner.transcribe` (16 kHz audio -> heard
words); the shared :meth:`AsrAligner.align` maps those onto the known text (``textmap``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from duplexsynth.audio import db_to_gain, frame_rms
from duplexsynth.lang import word_tokens
from duplexsynth.schemas.records import Word
from duplexsynth.worker_local import WorkerLocal

#: every recogniser here runs on 16 kHz mono
ASR_SAMPLE_RATE = 16000


class AlignmentError(Exception):
    """A turn (or backchannel) that could not be given trustworthy word times."""


@dataclass(frozen=True)
class HeardWord:
    """A word as a recogniser (or a TTS engine) reports it: its text, times and confidence."""

    text: str
    start_s: float
    end_s: float
    score: float | None = None


def tokens_of(text: str | None) -> list[str]:
    """The tokens of ``text`` that words are given for: its whitespace-separated pieces, Chinese
    pieces cut into words (:func:`duplexsynth.lang.word_tokens`)."""
    return word_tokens(text)


class Aligner(Protocol):
    """What every backend offers. ``load()`` is idempotent and may be slow (models)."""

    name: str  #: the per-word ``method`` this backend records

    def load(self) -> None: ...

    def align(self, audio: np.ndarray, sample_rate: int, text: str) -> list[Word]: ...

    def describe(self) -> dict: ...


@dataclass(eq=False, kw_only=True)
class AsrAligner(WorkerLocal):
    """Base of the speech-recognition backends: resample, transcribe, map onto the text.

    The options every recogniser takes are its fields, named as the
    :class:`~duplexsynth.align.config.AlignConfig` fields that set them
    (:func:`~duplexsynth.align.backends.make_asr_aligner`). Subclasses set ``name``,
    ``described`` (their own options that change what they hear) and ``config_keys`` (where
    their own options come from in the config), and implement :meth:`open_model` and
    :meth:`transcribe`. :meth:`load` opens the model once; it is never pickled (each worker opens
    its own). ``cache`` (a :class:`~duplexsynth.cache.ContentCache`) keeps transcriptions by
    content hash so that a rerun recognises nothing twice.
    """

    name: ClassVar[str] = "asr"
    #: the subclass's own options that change what it hears: recorded by :meth:`describe`
    described: ClassVar[tuple[str, ...]] = ()
    #: the subclass's own constructor arguments -> the AlignConfig fields that set them
    config_keys: ClassVar[dict[str, str]] = {}
    worker_local: ClassVar[dict[str, Any]] = {"_model": None}  # opened again on the worker

    model: str = field(kw_only=False)
    language: str = "en"
    beam_size: int = 1
    vad: bool = False
    vad_min_duration_s: float = 10.0
    prompt_with_text: bool = True
    min_match_ratio: float = 0.34
    min_heard_fraction: float = 0.5
    max_wer: float | None = None
    trim_to_sound: bool = True
    silence_db: float = -40.0
    min_pause_s: float = 0.08
    cache: Any = field(default=None, init=False, repr=False)
    _model: Any = field(default=None, init=False, repr=False)

    def load(self) -> None:
        """Open the recogniser (idempotent; may be slow)."""
        if self._model is None:
            self._model = self.open_model()

    def open_model(self) -> Any:  # pragma: no cover - overridden
        """The loaded recogniser; ``RuntimeError`` saying what to install or pass when it can not be."""
        raise NotImplementedError

    def transcribe(self, audio_16k: np.ndarray, text: str) -> list[HeardWord]:  # pragma: no cover
        """Recognise ``audio_16k`` (float32 mono at 16 kHz); ``text`` may serve as a prompt."""
        raise NotImplementedError

    def use_vad(self, duration_s: float) -> bool:
        """VAD runs when enabled and the clip is at least ``vad_min_duration_s`` long."""
        return bool(self.vad) and duration_s >= self.vad_min_duration_s

    def describe(self) -> dict:
        """The options that determine what this backend hears (recorded; part of the cache key)."""
        return {
            "backend": self.name,
            "model": self.model,
            "language": self.language,
            "beam_size": self.beam_size,
            "vad": self.vad,
            "vad_min_duration_s": self.vad_min_duration_s,
            "prompt_with_text": self.prompt_with_text,
            **{option: getattr(self, option) for option in self.described},
        }

    def heard_words(self, audio_16k: np.ndarray, text: str) -> list[HeardWord]:
        """:meth:`transcribe`, through the content cache when one is set."""
        if self.cache is None:
            return self.transcribe(audio_16k, text)
        import hashlib

        from duplexsynth.cache import content_key

        key = content_key(
            kind="transcription",
            version=1,
            options=self.describe(),
            audio=hashlib.sha256(np.ascontiguousarray(audio_16k, np.float32).tobytes()).hexdigest(),
            prompt=text if self.prompt_with_text else None,
        )
        cached = self.cache.get_json(key)
        if cached is not None:
            return [HeardWord(w[0], w[1], w[2], w[3]) for w in cached]
        heard = self.transcribe(audio_16k, text)
        self.cache.put_json(key, [[h.text, h.start_s, h.end_s, h.score] for h in heard])
        return heard

    def align(self, audio: np.ndarray, sample_rate: int, text: str) -> list[Word]:
        """Words of ``text`` timed on ``audio``; raises :class:`AlignmentError` if unheard.

        Recognised words are mapped onto the tokens (``textmap``), then, with ``trim_to_sound``,
        boundaries move onto nearby pauses and spans shrink onto their sound (``refine``).
        """
        from duplexsynth.align.textmap import map_words
        from duplexsynth.audio import resample

        tokens = tokens_of(text)
        if not tokens:
            return []
        audio = np.asarray(audio, dtype=np.float32)
        duration_s = len(audio) / float(sample_rate)
        heard = self.heard_words(resample(audio, sample_rate, ASR_SAMPLE_RATE), text)
        words = map_words(
            tokens,
            heard,
            duration_s=duration_s,
            method=self.name,
            voiced=voiced_span(audio, sample_rate),
            min_match_ratio=self.min_match_ratio,
            min_heard_fraction=self.min_heard_fraction,
            language=self.language,
            max_wer=self.max_wer,
        )
        if self.trim_to_sound:
            from duplexsynth.align.refine import snap_to_pauses, trim_to_sound

            words = snap_to_pauses(words, audio, sample_rate, self.silence_db, self.min_pause_s)
            words = trim_to_sound(words, audio, sample_rate, self.silence_db)
        return words


def voiced_span(
    audio: np.ndarray, sample_rate: int, threshold_db: float = -40.0, frame_s: float = 0.01
) -> tuple[float, float] | None:
    """``(first, last)`` second of sound louder than ``threshold_db`` below the peak frame.

    ``None`` for silent or empty audio. Used to bound interpolated words at the turn's edges.
    """
    arr = np.asarray(audio, dtype=np.float64)
    hop = max(1, int(round(frame_s * sample_rate)))
    if len(arr) // hop == 0:
        return None
    level = frame_rms(arr, hop)
    peak = float(level.max())
    if peak <= 1e-6:
        return None
    loud = np.nonzero(level >= peak * db_to_gain(threshold_db))[0]
    return float(loud[0] * hop / sample_rate), float(
        min(len(arr), (loud[-1] + 1) * hop) / sample_rate
    )
