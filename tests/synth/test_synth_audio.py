"""Per-utterance finishing: loudness target, true-peak ceiling, trimming, resampling."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from duplexsynth.audio import decode_audio
from duplexsynth.synth.audio import finish, measure_level, raw_stats, true_peak

KW = dict(
    out_rate=24000,
    loudness_lufs=-23.0,
    max_true_peak_dbfs=-1.0,
    trim=True,
    trim_pad_s=0.04,
    silence_db=-50.0,
)


def test_speech_hits_the_loudness_target_and_words_follow_the_trim(say) -> None:
    audio, sr, words = say("Hello there, how are you doing today?")
    padded = np.concatenate([np.zeros(sr // 2, np.float32), audio * 0.2, np.zeros(sr, np.float32)])
    shifted = tuple((w, s + 0.5, e + 0.5) for w, s, e in words)
    out = finish(padded, sr, shifted, **KW)
    decoded, rate = decode_audio(out.flac)
    assert rate == 24000 and decoded.ndim == 1
    assert out.duration_s == pytest.approx(len(decoded) / rate)
    lufs = pyloudnorm.Meter(rate).integrated_loudness(decoded.astype(np.float64))
    assert lufs == pytest.approx(-23.0, abs=0.3)
    assert out.loudness_method == "lufs" and out.gain_db > 5  # the quiet input was raised
    # 0.5 s of leading silence minus the 40 ms pad was cut, and the words moved with it
    assert out.trim_start_s == pytest.approx(0.5 - 0.04 + (words[0][1] // 0.01) * 0.01, abs=0.06)
    assert out.duration_s < len(padded) / sr - 1.0
    for (w0, s0, _), (w1, s1, e1) in zip(words, out.words):
        assert w0 == w1 and s1 == pytest.approx(s0 + 0.5 - out.trim_start_s, abs=1e-9)
        assert 0 <= s1 <= e1 <= out.duration_s
    # the first word still starts on speech: the frame at its start is not silence
    a = int(out.words[0][1] * rate)
    assert np.abs(decoded[a : a + int(0.15 * rate)]).max() > 0.05


def test_true_peak_never_exceeds_the_ceiling() -> None:
    sr = 22050
    t = np.arange(sr) / sr
    # a sparse, peaky signal: loudness is low, so the loudness gain alone would clip it
    clicks = np.zeros(sr, np.float32)
    clicks[::2205] = 0.9
    clicks += (0.01 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    out = finish(clicks, sr, None, **{**KW, "loudness_lufs": -10.0})
    decoded, rate = decode_audio(out.flac)
    assert out.peak_limited
    assert true_peak(decoded, rate) <= 10 ** (-1.0 / 20) + 0.01
    assert out.words is None


def test_short_clips_use_active_rms() -> None:
    sr = 24000
    burst = (0.1 * np.sin(2 * np.pi * 200 * np.arange(int(0.25 * sr)) / sr)).astype(np.float32)
    level, method = measure_level(burst, sr, -50.0)
    assert method == "rms" and level == pytest.approx(20 * np.log10(0.1 / np.sqrt(2)), abs=0.2)
    out = finish(burst, sr, (("Yeah.", 0.0, 0.25),), **KW)
    decoded, _ = decode_audio(out.flac)
    assert out.loudness_method == "rms"
    assert 20 * np.log10(np.sqrt(np.mean(decoded**2))) == pytest.approx(-23.0, abs=1.5)
    assert out.words[0][2] <= out.duration_s


def test_raw_stats_measure_clipping_and_activity() -> None:
    sr = 16000
    x = np.zeros(sr, np.float32)
    x[: sr // 2] = np.sign(np.sin(np.arange(sr // 2) * 0.1)).astype(np.float32)  # square: clipped
    s = raw_stats(x, sr, clip_level=0.99, silence_db=-50)
    assert s.duration_s == 1.0 and s.peak == 1.0
    assert s.clipped_fraction > 0.4 and s.active_s == pytest.approx(0.5, abs=0.02)
    assert raw_stats(np.zeros(0, np.float32), sr, 0.99, -50).duration_s == 0.0
