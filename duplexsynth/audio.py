"""Audio helpers shared by every stage: FLAC bytes in and out, resampling, levels (RMS per
frame, decibels).

Audio travels between stages as FLAC bytes (never float lists). In memory it is float32 in
[-1, 1], shape ``(n,)`` for mono or ``(n, channels)`` for multichannel.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

FLAC_SUBTYPE = "PCM_16"


def encode_flac(audio: np.ndarray, sample_rate: int, subtype: str = FLAC_SUBTYPE) -> bytes:
    """Encode float audio (mono ``(n,)`` or ``(n, ch)``) as FLAC bytes; clips to [-1, 1]."""
    arr = np.asarray(audio, dtype=np.float32)
    if arr.ndim not in (1, 2):
        raise ValueError(f"audio must be 1-D or 2-D (samples, channels), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("audio contains NaN or infinite samples")
    buf = io.BytesIO()
    sf.write(buf, np.clip(arr, -1.0, 1.0), int(sample_rate), format="FLAC", subtype=subtype)
    return buf.getvalue()


def decode_audio(data: bytes, *, always_2d: bool = False) -> tuple[np.ndarray, int]:
    """Decode FLAC/WAV bytes to ``(float32 array, sample_rate)``."""
    if not data:
        raise ValueError("cannot decode empty audio bytes")
    arr, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=always_2d)
    return arr, int(sr)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """High-quality resampling with soxr (mono or ``(n, ch)``); a no-op when rates match."""
    if int(from_rate) == int(to_rate):
        return np.asarray(audio, dtype=np.float32)
    import soxr

    return soxr.resample(
        np.asarray(audio, dtype=np.float32), int(from_rate), int(to_rate), quality="HQ"
    ).astype(np.float32)


def rms(audio: np.ndarray) -> float:
    """Root-mean-square level of ``audio`` (0.0 for empty input)."""
    arr = np.asarray(audio, dtype=np.float64)
    return float(np.sqrt(np.mean(arr * arr))) if arr.size else 0.0


def frame_power(audio: np.ndarray, hop: int, *, pad: bool = False) -> np.ndarray:
    """Mean square (float64) of consecutive ``hop``-sample frames of mono ``audio``.

    The tail shorter than a frame is dropped, or with ``pad`` zero-padded into one last frame.
    """
    arr = np.asarray(audio, dtype=np.float64)
    if pad:
        n = int(np.ceil(len(arr) / hop))
        padded = np.zeros(n * hop)
        padded[: len(arr)] = arr
        frames = padded.reshape(n, hop)
    else:
        n = len(arr) // hop
        frames = arr[: n * hop].reshape(n, hop)
    return np.mean(frames * frames, axis=1)


def frame_rms(audio: np.ndarray, hop: int, *, pad: bool = False) -> np.ndarray:
    """RMS level (float64) of consecutive ``hop``-sample frames (see :func:`frame_power`)."""
    return np.sqrt(frame_power(audio, hop, pad=pad))


def db_to_gain(db: float) -> float:
    """Amplitude ratio of a level in dB: ``-6`` -> about ``0.5``."""
    return float(10.0 ** (db / 20.0))


def db_to_power(db: float) -> float:
    """Power ratio of a level in dB: ``-10`` -> ``0.1``."""
    return float(10.0 ** (db / 10.0))


def gain_to_db(gain: float, floor_db: float = -120.0) -> float:
    """Level in dB of an amplitude ratio; ``floor_db`` for zero or less."""
    return float(20.0 * np.log10(gain)) if gain > 0 else floor_db


def amplitude_db(amplitude: float) -> float:
    """dBFS of an amplitude (an RMS or a peak), never below -240 dB (amplitude 1e-12)."""
    return float(20.0 * np.log10(max(float(amplitude), 1e-12)))


def power_db(power: float, floor_db: float = -200.0) -> float:
    """Level in dB of a power (mean square); ``floor_db`` for zero or less."""
    return float(10.0 * np.log10(power)) if power > 0 else floor_db
