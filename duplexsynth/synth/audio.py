"""Per-utterance audio finishing: trim, resample, loudness-normalize, keep peaks safe, encode.

Order: measure the raw engine output (for QC) -> trim leading/trailing silence (keeping a pad)
-> resample to the output rate with soxr -> gain to the loudness target -> lower the gain if
the 4x-oversampled true peak would exceed the ceiling -> FLAC (16-bit). Word timings move with
the trim (shifted by the cut start, clipped to the new length); resampling does not change
times in seconds.

Loudness target: ITU-R BS.1770 integrated loudness (pyloudnorm) of ``loudness_lufs``
(default -23 LUFS, EBU R128). pyloudnorm needs at least 0.4 s; shorter clips (backchannels)
and clips it cannot measure use the RMS of their active frames in dBFS as the level, which
for speech lands within a couple of dB of the LUFS figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from duplexsynth.audio import (
    amplitude_db,
    db_to_gain,
    encode_flac,
    frame_rms,
    gain_to_db,
    resample,
    rms,
)

_FRAME_S = 0.01
_MIN_LUFS_S = 0.4
#: inter-sample peaks of speech stay well within 4 dB of the sample peak
_TRUE_PEAK_MARGIN = 10.0 ** (-4.0 / 20.0)


@dataclass(frozen=True)
class RawStats:
    """Measurements of the engine's raw output, before any processing (QC reads these)."""

    sample_rate: int
    duration_s: float
    peak: float
    clipped_fraction: float
    active_s: float

    def to_dict(self) -> dict[str, float]:
        return {
            "sample_rate": self.sample_rate,
            "duration_s": round(self.duration_s, 6),
            "peak": round(self.peak, 6),
            "clipped_fraction": round(self.clipped_fraction, 8),
            "active_s": round(self.active_s, 6),
        }


@dataclass(frozen=True)
class Finished:
    """An utterance ready to store."""

    flac: bytes
    sample_rate: int
    duration_s: float
    words: tuple[tuple[str, float, float], ...] | None
    gain_db: float
    loudness_in: float  # measured level before the gain (LUFS, or RMS dBFS for short clips)
    loudness_method: str  # "lufs" or "rms"
    peak_limited: bool
    trim_start_s: float


def frame_levels_db(audio: np.ndarray, sr: int) -> np.ndarray:
    """RMS level in dBFS of consecutive 10 ms frames."""
    n = max(1, int(sr * _FRAME_S))
    usable = len(audio) // n * n
    if usable == 0:
        if not len(audio):
            return np.full(1, -120.0)
        return np.array([amplitude_db(np.sqrt(np.mean(audio**2)))])
    return 20.0 * np.log10(frame_rms(audio[:usable], n) + 1e-12)


def raw_stats(audio: np.ndarray, sr: int, clip_level: float, silence_db: float) -> RawStats:
    """Peak, clipped fraction and active (above ``silence_db``) seconds of raw audio."""
    a = np.asarray(audio, dtype=np.float32)
    if not a.size:
        return RawStats(int(sr), 0.0, 0.0, 0.0, 0.0)
    absval = np.abs(a)
    levels = frame_levels_db(a, sr)
    return RawStats(
        sample_rate=int(sr),
        duration_s=len(a) / float(sr),
        peak=float(absval.max()),
        clipped_fraction=float(np.mean(absval >= clip_level)),
        active_s=float(np.sum(levels > silence_db) * _FRAME_S),
    )


def trim_bounds(audio: np.ndarray, sr: int, silence_db: float, pad_s: float) -> tuple[int, int]:
    """Sample range ``[a, b)`` from the first to the last active frame, widened by ``pad_s``."""
    levels = frame_levels_db(audio, sr)
    active = np.flatnonzero(levels > silence_db)
    if not active.size:
        return 0, len(audio)
    n = max(1, int(sr * _FRAME_S))
    pad = int(round(pad_s * sr))
    a = max(0, int(active[0]) * n - pad)
    b = min(len(audio), (int(active[-1]) + 1) * n + pad)
    return a, b


def measure_level(audio: np.ndarray, sr: int, silence_db: float) -> tuple[float, str]:
    """``(level, method)``: BS.1770 integrated loudness, or active-frame RMS dBFS when too short."""
    if len(audio) >= int(_MIN_LUFS_S * sr):
        import pyloudnorm

        with np.errstate(divide="ignore"):
            lufs = float(pyloudnorm.Meter(sr).integrated_loudness(audio.astype(np.float64)))
        if np.isfinite(lufs):
            return lufs, "lufs"
    levels = frame_levels_db(audio, sr)
    active = levels[levels > silence_db]
    if not active.size:
        return amplitude_db(rms(audio)), "rms"
    power = np.mean(10.0 ** (active / 10.0))
    return float(10.0 * np.log10(power)), "rms"


def true_peak(audio: np.ndarray, sr: int) -> float:
    """Peak magnitude of ``audio`` oversampled 4x (an estimate of the inter-sample true peak)."""
    if not len(audio):
        return 0.0
    up = resample(audio, sr, sr * 4)
    return float(max(np.abs(up).max(), np.abs(audio).max()))


def finish(
    audio: np.ndarray,
    sr: int,
    words: tuple[tuple[str, float, float], ...] | None,
    *,
    out_rate: int,
    loudness_lufs: float,
    max_true_peak_dbfs: float,
    trim: bool,
    trim_pad_s: float,
    silence_db: float,
) -> Finished:
    """Trim, resample, normalize and encode one utterance (see the module docstring)."""
    a = np.asarray(audio, dtype=np.float32)
    start = 0
    if trim:
        start, end = trim_bounds(a, sr, silence_db, trim_pad_s)
        a = a[start:end]
    trim_start_s = start / float(sr)
    out = resample(a, sr, out_rate)
    level, method = measure_level(out, out_rate, silence_db)
    gain_db = loudness_lufs - level
    ceiling = db_to_gain(max_true_peak_dbfs)
    peak = (float(np.abs(out).max()) if len(out) else 0.0) * db_to_gain(gain_db)
    if peak > ceiling * _TRUE_PEAK_MARGIN:  # only near the ceiling is oversampling worth it
        peak = true_peak(out, out_rate) * db_to_gain(gain_db)
    limited = peak > ceiling
    if limited:
        gain_db += gain_to_db(ceiling / peak)
    out = (out * db_to_gain(gain_db)).astype(np.float32)
    duration = len(out) / float(out_rate)
    moved = None
    if words is not None:
        moved = tuple(
            (w, _clip(s - trim_start_s, duration), _clip(max(e, s) - trim_start_s, duration))
            for w, s, e in words
        )
    return Finished(
        flac=encode_flac(out, out_rate),
        sample_rate=int(out_rate),
        duration_s=duration,
        words=moved,
        gain_db=float(gain_db),
        loudness_in=float(level),
        loudness_method=method,
        peak_limited=bool(limited),
        trim_start_s=trim_start_s,
    )


def _clip(t: float, duration: float) -> float:
    return float(min(max(t, 0.0), duration))
