"""Echo: the other channel (the assistant, by default) leaking into this channel's microphone.

Moshi's recipe: the assistant stream × U[0, 0.2], delayed U[100, 500] ms, through a room.
Sampled: whether it applies, the scale, the delay, and which RIR of the library shapes it.
Applied: the *clean* other channel is convolved with the RIR (direct path at lag 0, unit
energy, so ``scale`` is roughly the echo-to-source RMS ratio), delayed by exactly
``delay_samples`` and scaled. The echo therefore sits at the recorded delay; nothing else moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from duplexsynth.augment.config import AugmentConfig
from duplexsynth.augment.rooms import RirLibrary
from duplexsynth.augment.signal import convolve_aligned, delay


@dataclass(frozen=True)
class EchoParams:
    applied: bool
    scale: float = 0.0
    delay_ms: float = 0.0
    rir_index: int | None = None
    source_channel: int = 0

    def delay_samples(self, sample_rate: int) -> int:
        return int(round(self.delay_ms * sample_rate / 1000.0))

    def to_dict(self, sample_rate: int, rirs: RirLibrary | None) -> dict[str, Any]:
        if not self.applied:
            return {"applied": False}
        d: dict[str, Any] = {
            "applied": True,
            "source_channel": self.source_channel,
            "scale": self.scale,
            "delay_ms": self.delay_ms,
            "delay_samples": self.delay_samples(sample_rate),
            "rir": None,
        }
        if self.rir_index is not None and rirs is not None:
            d["rir"] = rirs.describe(self.rir_index)
        return d


def sample_echo(
    rng: np.random.Generator,
    config: AugmentConfig,
    *,
    source_channel: int,
    rirs: RirLibrary | None,
) -> EchoParams:
    """Decide and draw the echo of ``source_channel`` for one channel of one dialogue."""
    if not (config.echo and rng.random() < config.echo_p):
        return EchoParams(applied=False)
    scale = round(float(rng.uniform(*config.echo_scale_range)), 5)
    delay_ms = round(float(rng.uniform(*config.echo_delay_ms_range)), 3)
    rir_index = None
    if config.echo_reverb and rirs is not None and len(rirs):
        rir_index = int(rng.integers(0, len(rirs)))
    return EchoParams(
        applied=True,
        scale=scale,
        delay_ms=delay_ms,
        rir_index=rir_index,
        source_channel=source_channel,
    )


def render_echo(
    params: EchoParams, source: np.ndarray, sample_rate: int, rirs: RirLibrary | None
) -> np.ndarray:
    """The echo signal to add (same length as ``source``)."""
    if not params.applied or params.scale == 0.0:
        return np.zeros_like(source)
    y = source
    if params.rir_index is not None and rirs is not None:
        h, onset = rirs.get(params.rir_index, sample_rate)
        y = convolve_aligned(source, h, onset)
    return delay(y, params.delay_samples(sample_rate)) * np.float32(params.scale)
