"""The TTS backend interface every engine implements.

A backend turns one text and one voice's parameters into mono float32 audio at the engine's
native sample rate, plus word timings (one per whitespace token of the text) when the engine
can give them. Backends are plain objects: construct cheaply, load models in :meth:`load`
(called once per worker process), then call :meth:`synthesize` many times.
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
    """Base class: subclasses set :attr:`name`, implement :meth:`synthesize` and :meth:`version`.

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

    def synthesize(self, text: str, params: dict[str, Any]) -> TTSResult:
        """Speak ``text`` with the voice described by ``params``."""
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
