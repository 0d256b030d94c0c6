"""TTS engines behind one interface (:class:`~duplexsynth.synth.backends.base.TTSBackend`).

==============  ==========================================================  ============
name            engine                                                      word timings
==============  ==========================================================  ============
``piper``       Piper VITS, bundled ``en_US-joe-medium`` (offline)          yes
``kokoro``      Kokoro-82M int8 + bundled voices and blends (offline)       yes
``espeak``      espeak-ng C library (offline, fast, robotic)                yes
``cosyvoice``   CosyVoice 2/3 zero-shot cloning from a local model dir      no
``openai``      any OpenAI-compatible ``/v1/audio/speech`` server           no
==============  ==========================================================  ============

Backend modules import their engines lazily, so listing or validating a voice bank never loads
a model.
"""

from __future__ import annotations

from duplexsynth.synth.backends.base import (
    BackendUnavailable,
    TTSBackend,
    TTSError,
    TTSResult,
)

BACKEND_NAMES = ("piper", "kokoro", "espeak", "cosyvoice", "openai")

__all__ = [
    "BACKEND_NAMES",
    "BackendUnavailable",
    "TTSBackend",
    "TTSError",
    "TTSResult",
    "backend_class",
]


def backend_class(name: str) -> type[TTSBackend]:
    """The backend class registered under ``name`` (``ValueError`` for unknown names)."""
    if name == "piper":
        from duplexsynth.synth.backends.piper import PiperBackend

        return PiperBackend
    if name == "kokoro":
        from duplexsynth.synth.backends.kokoro import KokoroBackend

        return KokoroBackend
    if name == "espeak":
        from duplexsynth.synth.backends.espeak import EspeakBackend

        return EspeakBackend
    if name == "cosyvoice":
        from duplexsynth.synth.backends.cosyvoice import CosyVoiceBackend

        return CosyVoiceBackend
    if name == "openai":
        from duplexsynth.synth.backends.openai_speech import OpenAISpeechBackend

        return OpenAISpeechBackend
    raise ValueError(f"unknown TTS backend {name!r}; expected one of {', '.join(BACKEND_NAMES)}")
