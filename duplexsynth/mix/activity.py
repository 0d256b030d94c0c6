"""Speech activity measured from audio: an energy VAD per channel, then IPUs.

The realism figures of the issue tracker and of the human references are measured on the audio
itself (speech activity per channel, IPUs bridged over < 200 ms), so the silences a TTS engine
leaves inside a turn count exactly as a listener hears them. This module turns a channel's
samples into speech runs:

1. frame energy in 10 ms hops (20 ms windows), in dB;
2. a frame is speech when it is above a threshold set from the channel's own levels: ``floor_db``
   below its loud-speech level (95th percentile of frame energy) and at least ``above_noise_db``
   over its noise floor (10th percentile), and never below ``abs_floor_db`` (digital silence);
3. speech frames are merged across silences shorter than ``min_silence_s`` (0.2 s) and runs
   shorter than ``min_run_s`` are dropped (clicks).

It works on clean stems (exact zeros between clips) and on real recordings with a noise floor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from duplexsynth.audio import rms
from duplexsynth.mix.stats import MIN_SILENCE_S, merge_intervals

HOP_S = 0.01
WIN_S = 0.02


@dataclass(frozen=True)
class VadConfig:
    """Knobs of the energy VAD (dB are relative to full scale or to the channel's own levels)."""

    min_silence_s: float = MIN_SILENCE_S
    floor_db: float = 40.0
    above_noise_db: float = 12.0
    abs_floor_db: float = -70.0
    min_run_s: float = 0.05


def frame_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Energy (dBFS) of 20 ms windows every 10 ms; frame ``k`` covers ``[k*hop, k*hop + win)``."""
    x = np.asarray(audio, dtype=np.float32)
    hop = max(1, int(round(HOP_S * sample_rate)))
    n = x.shape[0] // hop
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    sq = (x[: n * hop].astype(np.float64) ** 2).reshape(n, hop).sum(axis=1)
    win = sq + np.concatenate((sq[1:], [0.0]))  # two hops = one 20 ms window
    ms = win / (2 * hop)
    return 10.0 * np.log10(np.maximum(ms, 1e-12))


def speech_runs(
    audio: np.ndarray, sample_rate: int, config: VadConfig | None = None
) -> list[tuple[float, float]]:
    """Speech runs (IPUs) of one mono channel, in seconds, bridged over short silences."""
    cfg = config or VadConfig()
    db = frame_db(audio, sample_rate)
    if db.size == 0:
        return []
    loud = db[db > cfg.abs_floor_db]
    if loud.size == 0:
        return []
    speech_level = float(np.percentile(loud, 95))
    noise = float(np.percentile(db, 10))
    threshold = max(speech_level - cfg.floor_db, noise + cfg.above_noise_db, cfg.abs_floor_db)
    active = db > threshold
    edges = np.flatnonzero(np.diff(np.concatenate(([0], active.astype(np.int8), [0]))))
    starts, ends = edges[0::2], edges[1::2]
    end_s = len(db) * HOP_S
    runs = [
        (float(a * HOP_S), float(min(b * HOP_S + WIN_S - HOP_S, end_s)))
        for a, b in zip(starts, ends)
    ]
    merged = merge_intervals(runs, cfg.min_silence_s)
    return [(a, b) for a, b in merged if b - a >= cfg.min_run_s]


def stereo_runs(
    audio: np.ndarray, sample_rate: int, config: VadConfig | None = None
) -> dict[int, list[tuple[float, float]]]:
    """Speech runs of both channels of a ``(samples, 2)`` array (channel 0 = assistant)."""
    if audio.ndim != 2 or audio.shape[1] != 2:
        raise ValueError(f"expected stereo audio (samples, 2), got shape {audio.shape}")
    return {ch: speech_runs(audio[:, ch], sample_rate, config) for ch in (0, 1)}


def run_rms(audio: np.ndarray, sample_rate: int, runs: list[tuple[float, float]]) -> list[float]:
    """RMS of the samples inside each run."""
    out = []
    for a, b in runs:
        out.append(rms(audio[int(a * sample_rate) : int(b * sample_rate)]))
    return out


def backchannel_placement(turns, runs: dict[int, list[tuple[float, float]]], within_s: float = 0.5):
    """``(well placed, total)`` backchannels of a mixed dialogue: a backchannel is well placed
    when it starts in the other channel's silence or within ``within_s`` after one of the other
    channel's speech runs ends (``runs`` measured from the audio)."""
    ok = total = 0
    for t in turns:
        if getattr(t, "kind", None) != "backchannel":
            continue
        other = runs[1 - t.channel]
        total += 1
        inside = any(a <= t.start_s < b for a, b in other)
        after = any(0.0 <= t.start_s - b <= within_s for _, b in other)
        ok += (not inside) or after
    return ok, total


def stereo_bytes(row: dict) -> bytes | None:
    """The stereo audio of a duplexsynth row to measure: the clean mix (before augmentation's
    noise and echo, which an energy VAD would take for speech) when kept, else ``audio``."""
    for name in ("clean_audio", "audio"):
        ref = row.get(name)
        if ref and ref.get("bytes"):
            return ref["bytes"]
    return None
