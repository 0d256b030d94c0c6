"""Alignment backends: the TTS engine's own timings, faster-whisper, whisper-timestamped."""

from __future__ import annotations

import importlib
from dataclasses import fields
from typing import TYPE_CHECKING

from duplexsynth.align.base import AsrAligner

if TYPE_CHECKING:
    from duplexsynth.align.config import AlignConfig

#: backend name -> (module, class) of the recogniser-based aligners, imported when used
ASR_BACKENDS: dict[str, tuple[str, str]] = {
    "faster-whisper": ("duplexsynth.align.backends.faster_whisper", "FasterWhisperAligner"),
    "whisper-timestamped": ("duplexsynth.align.backends.whisper_ts", "WhisperTimestampedAligner"),
}


def make_asr_aligner(backend: str, config: AlignConfig) -> AsrAligner:
    """A (not yet loaded) recogniser-based aligner for ``backend`` configured from ``config``:
    the options every recogniser takes (named as in ``AlignConfig``) and the backend's own
    (its ``config_keys``)."""
    if backend not in ASR_BACKENDS:
        raise ValueError(f"{backend!r} is not a speech-recognition backend")
    module, name = ASR_BACKENDS[backend]
    aligner: type[AsrAligner] = getattr(importlib.import_module(module), name)
    shared = [f.name for f in fields(AsrAligner) if f.init and f.name != "model"]
    options = {name: getattr(config, name) for name in shared}
    options.update({arg: getattr(config, key) for arg, key in aligner.config_keys.items()})
    return aligner(config.model_for(backend), **options)
