"""Refining recognised spans with the audio's pauses (synthetic bursts of noise)."""

from __future__ import annotations

import numpy as np
import pytest

from duplexsynth.align.refine import pauses, snap_to_pauses, sound_mask, trim_to_sound
from duplexsynth.schemas.records import Word

SR = 16000


def bursts(spans: list[tuple[float, float]], total_s: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    audio = np.zeros(int(total_s * SR), np.float32)
    for s, e in spans:
        a, b = int(s * SR), int(e * SR)
        audio[a:b] = 0.3 * rng.standard_normal(b - a).astype(np.float32)
    return audio


def test_sound_mask_and_pauses() -> None:
    audio = bursts([(0.2, 0.5), (0.7, 1.0)], 1.2)
    mask = sound_mask(audio, SR)
    runs = pauses(mask, 4)
    assert [(a * 0.005, b * 0.005) for a, b in runs] == [
        pytest.approx((0.0, 0.2)),
        pytest.approx((0.5, 0.7)),
        pytest.approx((1.0, 1.2)),
    ]


def test_spans_that_tile_the_audio_land_on_the_sound() -> None:
    audio = bursts([(0.2, 0.5), (0.7, 1.0)], 1.2)
    # a recogniser that put the boundary late (inside the second burst) and padded the edges
    words = [Word("a", 0.0, 0.8, 0.9, "asr"), Word("b", 0.8, 1.2, 0.9, "asr")]
    out = trim_to_sound(snap_to_pauses(words, audio, SR), audio, SR)
    assert (out[0].start_s, out[0].end_s) == pytest.approx((0.2, 0.5), abs=0.006)
    assert (out[1].start_s, out[1].end_s) == pytest.approx((0.7, 1.0), abs=0.006)


def test_connected_sound_is_left_alone_and_silent_spans_kept() -> None:
    audio = bursts([(0.0, 1.0)], 1.0)
    words = [Word("a", 0.1, 0.45, None, "asr"), Word("b", 0.45, 0.9, None, "asr")]
    assert snap_to_pauses(words, audio, SR) == words
    assert trim_to_sound(words, audio, SR) == words
    silent = np.zeros(SR, np.float32)
    assert trim_to_sound(words, silent, SR) == words
