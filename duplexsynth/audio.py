"""Audio helpers shared by every stage: FLAC bytes in and out, resampling, levels.

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


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float, floor_db: float = -120.0) -> float:
    return float(20.0 * np.log10(gain)) if gain > 0 else floor_db
