"""Shared fixtures: real short speech from the offline Piper voice, made once per session.

``say(text)`` returns ``(audio float32 mono, sample_rate, words)`` where ``words`` holds one
``(word, start_s, end_s)`` per whitespace token of ``text``, timed from Piper's phoneme
alignments (the synth stage's Piper backend: each token is phonemized alone and aligned to the
utterance's timed phonemes, so espeak's word joins like "in the" -> one phoneme word are split
correctly). Audio is deterministic: the same text always gives the same samples. Stage tests
that need real speech (align, schedule, augment, pipelines) use it instead of committed audio.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest


@functools.lru_cache(maxsize=1)
def _piper_backend():
    from duplexsynth.synth.backends.piper import PiperBackend

    backend = PiperBackend()
    backend.load()
    return backend


def piper_say(text: str) -> tuple[np.ndarray, int, tuple[tuple[str, float, float], ...]]:
    """Synthesize ``text`` with Piper's bundled joe voice; word times from phoneme alignments.

    Results are memoized per text; each call returns its own copy of the audio.
    """
    audio, sr, words = _piper_say_cached(text)
    return audio.copy(), sr, words


@functools.lru_cache(maxsize=256)
def _piper_say_cached(text: str) -> tuple[np.ndarray, int, tuple[tuple[str, float, float], ...]]:
    result = _piper_backend().synthesize(text, {})
    tokens = text.split()
    words = result.words
    if words is None or len(words) != len(tokens):  # never expected; fail loudly, do not guess
        raise RuntimeError(f"Piper gave no word timings for {text!r}")
    audio = np.asarray(result.audio, dtype=np.float32)
    return audio, result.sample_rate, tuple((w, float(s), float(e)) for w, s, e in words)


@pytest.fixture(scope="session")
def say():
    """Fixture form of :func:`piper_say`."""
    return piper_say
