"""The TTS backend interface every engine implements.

A backend turns one text and one voice's parameters into mono float32 audio at the engine's
native sample rate, plus word timings (one per whitespace token of the text) when the engine
can give them. Backends are plain objects: construct cheaply, load models in :meth:`load`
(called once per worker process), then call :meth:`synthesize` many times.

:meth:`TTSBackend.synthesize` owns what every engine does first (check the voice parameters,
load, turn the text into speakable tokens with :func:`duplexsynth.synth.textnorm.speakable`,
refuse an empty text) and hands an engine's :meth:`TTSBackend.speak` only the speaking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: (word, start_s, end_s) relative to the start of the returned audio
WordTiming = tuple[str, float, float]


class TTSError(RuntimeError):
    """An engine failed to synthesize a text (becomes the ``tts_error`` reject)."""


class BackendUnavailable(RuntimeError):
    """A backend's package, weights or server is missing; the message says how to get it."""


@dataclass(frozen=True)
class TTSResult:
    """What an engine returns for one text.

    ``words`` has exactly one entry per whitespace token of the input text, in order, or is
    ``None`` when the engine cannot time words.
    """

    audio: np.ndarray
    sample_rate: int
    words: tuple[WordTiming, ...] | None = None

    @property
    def duration_s(self) -> float:
        return len(self.audio) / float(self.sample_rate) if self.sample_rate else 0.0


class TTSBackend:
    """Base class: subclasses set :attr:`name`, implement :meth:`speak` and :meth:`version`.

    ``params`` passed to :meth:`synthesize` are the voice's parameters from the voice bank
    (engine-specific: a Piper speaker and length scale, a Kokoro voice or blend, an espeak
    variant, a CosyVoice prompt wav + transcript...). Unknown keys raise ``ValueError`` in
    :meth:`validate_params`, which the voice bank calls when it loads.
    """

    name: str = "base"
    #: the voice parameter keys this backend accepts
    param_keys: frozenset[str] = frozenset()

    def load(self) -> None:
        """Load models (idempotent). Called once per worker process before synthesis."""

    def version(self) -> str:
        """Engine + model identity; part of every cache key so upgrades never reuse stale audio."""
        raise NotImplementedError

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> None:
        """Raise ``ValueError`` naming any key this backend does not understand."""
        unknown = sorted(set(params) - set(cls.param_keys))
        if unknown:
            raise ValueError(
                f"{cls.name} voice parameters do not include {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(sorted(cls.param_keys)) or '(none)'}"
            )

    def prepare(self, params: dict[str, Any]) -> None:
        """Make the engine ready for a voice; by default :meth:`load`."""
        self.load()

    def synthesize(self, text: str, params: dict[str, Any]) -> TTSResult:
        """Speak ``text`` with the voice described by ``params``.

        Checks ``params`` (``ValueError``), prepares the engine, spells the text for speech
        (numbers, symbols) token by token and raises :class:`TTSError` when nothing is left to
        say; then :meth:`speak` does the engine's part.
        """
        from duplexsynth.synth.textnorm import speakable

        self.validate_params(params)
        self.prepare(params)
        spoken_text, spoken_tokens = speakable(text)
        if not spoken_tokens:
            raise TTSError("nothing to say: empty text")
        return self.speak(text, spoken_text, spoken_tokens, params)

    def speak(
        self, text: str, spoken_text: str, spoken_tokens: list[str], params: dict[str, Any]
    ) -> TTSResult:
        """The engine's part of :meth:`synthesize`: ``spoken_text`` is what to read,
        ``spoken_tokens`` its per-token forms (one per whitespace token of ``text``)."""
        raise NotImplementedError

    def synthesize_many(
        self, texts: list[str], params: dict[str, Any]
    ) -> list[TTSResult | Exception]:
        """Speak several texts in one voice; engines that batch override this.

        One failing text never fails the others: its slot holds the exception instead.
        """
        out: list[TTSResult | Exception] = []
        for text in texts:
            try:
                out.append(self.synthesize(text, params))
            except Exception as exc:  # reported per text by the caller
                out.append(exc)
        return out


def float_audio(samples: Any) -> np.ndarray:
    """Engine output (int16 or float, any shape that squeezes to 1-D) as float32 mono."""
    arr = np.asarray(samples)
    if arr.dtype == np.int16:
        arr = arr.astype(np.float32) / 32768.0
    arr = np.asarray(arr, dtype=np.float32)
    if arr.ndim > 1:
        arr = arr.squeeze()
        if arr.ndim > 1:  # (channels, n) or (n, channels): average to mono
            axis = 0 if arr.shape[0] < arr.shape[-1] else 1
            arr = arr.mean(axis=axis)
    return np.ascontiguousarray(arr, dtype=np.float32)
