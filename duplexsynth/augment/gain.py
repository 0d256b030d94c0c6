"""Gain on the augmented channel's speech (Moshi: −24..+15 dB on half the dialogues), peak-safe.

Sampled: whether it applies and the gain in dB. Applied: the gain, reduced when it would push
the speech's peak above the configured limit (the gain actually used is recorded too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from duplexsynth.audio import db_to_gain, gain_to_db
from duplexsynth.augment.config import AugmentConfig


@dataclass(frozen=True)
class GainParams:
    applied: bool
    gain_db: float = 0.0

    def to_dict(self) -> dict:
        return (
            {"applied": self.applied, "gain_db": round(self.gain_db, 4)}
            if self.applied
            else {"applied": False}
        )


def sample_gain(rng: np.random.Generator, config: AugmentConfig) -> GainParams:
    """Decide and draw the gain for one channel of one dialogue."""
    if not (config.gain and rng.random() < config.gain_p):
        return GainParams(applied=False)
    lo, hi = config.gain_db_range
    return GainParams(applied=True, gain_db=float(rng.uniform(lo, hi)))


def apply_gain(x: np.ndarray, params: GainParams, peak_limit: float) -> tuple[np.ndarray, float]:
    """``x`` scaled by the sampled gain, capped so its peak stays <= ``peak_limit``.

    Returns the audio and the gain used in dB (equal to the sampled one unless capped).
    """
    if not params.applied:
        return x, 0.0
    g = db_to_gain(params.gain_db)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0 and g * peak > peak_limit:
        g = peak_limit / peak
    return (x * np.float32(g)).astype(np.float32), round(gain_to_db(g), 4)
