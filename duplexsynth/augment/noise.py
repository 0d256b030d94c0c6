"""Background noise for the augmented channel: recordings from disk or generated offline.

Sample: whether noise applies, where it comes from (a file of the index at an offset, or a
generated kind with its waveform seed and shape), its level (SNR, level relative to the
speech, or dBFS), and whether it runs continuously or alternates with silence (the noise-on
segments are drawn up front). Apply: render the noise bed from those parameters, scale it so
its power *while on* hits the sampled level against the speech power measured over the
channel's own speech spans, and add it.

Generated kinds need no corpus: white, pink and brown noise, mains hum with harmonics, babble
built from the dialogue's own TTS audio (its turns, else its backchannel lexicon), and noise
shaped like the dialogue's long-term speech spectrum.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from duplexsynth.audio import db_to_gain, db_to_power, power_db
from duplexsynth.audio import rms as rms_level
from duplexsynth.augment.config import AugmentConfig
from duplexsynth.augment.signal import (
    fit_length,
    loop_to_length,
    mean_power,
    raised_cosine_envelope,
)
from duplexsynth.augment.sources import AudioFile, AudioIndex, read_mono

log = logging.getLogger("duplexsynth.augment")

#: speech level assumed when the channel has no speech to measure (snr/relative modes)
FALLBACK_SPEECH_DBFS = -30.0
#: a 1/f ("pink") filter: three poles and zeros spread over the audio band
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])
_BROWN_POLE = 0.995


@dataclass(frozen=True)
class BabbleTalker:
    """One voice of generated babble: a source clip of the dialogue read from an offset."""

    source: str  # "turn" | "backchannel"
    index: int  # turn_index, or position in the backchannel lexicon
    offset_s: float
    gain_db: float


@dataclass(frozen=True)
class NoiseParams:
    """Everything sampled for one channel's noise; rendering reads nothing else."""

    applied: bool
    source: str = ""  # "file" | "generated"
    kind: str = ""  # "file" | white | pink | brown | hum | babble | speech_shaped
    level_mode: str = ""  # snr | relative | dbfs
    level_db: float = 0.0  # in the mode's unit
    intermittent: bool = False
    segments: tuple[tuple[float, float], ...] = ()  # noise-on spans, seconds
    fade_ms: float = 0.0
    wave_seed: int = 0
    file: AudioFile | None = None
    file_offset_frames: int = 0
    hum_mains_hz: float = 0.0
    hum_harmonics_db: tuple[float, ...] = ()
    hum_phases: tuple[float, ...] = ()
    hum_floor_db: float = 0.0
    babble: tuple[BabbleTalker, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        if not self.applied:
            return {"applied": False}
        d: dict[str, Any] = {
            "applied": True,
            "source": self.source,
            "kind": self.kind,
            "level_mode": self.level_mode,
            "level_db": self.level_db,
            "intermittent": self.intermittent,
            "segments": [list(s) for s in self.segments],
            "fade_ms": self.fade_ms,
            "wave_seed": self.wave_seed,
        }
        if self.file is not None:
            d["file"] = {
                "path": self.file.path,
                "rel_path": self.file.rel_path,
                "noise_dir_index": self.file.root_index,
                "category": self.file.category,
                "sample_rate": self.file.sample_rate,
                "channels": self.file.channels,
                "duration_s": round(self.file.duration_s, 4),
                "offset_frames": self.file_offset_frames,
                "offset_s": round(self.file_offset_frames / self.file.sample_rate, 4),
            }
        if self.kind == "hum":
            d["hum"] = {
                "mains_hz": self.hum_mains_hz,
                "harmonics_db": list(self.hum_harmonics_db),
                "phases_rad": list(self.hum_phases),
                "floor_db": self.hum_floor_db,
            }
        if self.babble:
            d["babble"] = [
                {"source": t.source, "index": t.index, "offset_s": t.offset_s, "gain_db": t.gain_db}
                for t in self.babble
            ]
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class NoiseContext:
    """What rendering may read from the dialogue besides the parameters."""

    n: int
    sample_rate: int
    #: the clean mix (n, 2) float32, for the speech-shaped spectrum
    mix: np.ndarray
    #: (source, index) -> mono float32 clip at ``sample_rate``
    clip: Callable[[str, int], np.ndarray]
    #: clips available for babble: (source, index, duration_s)
    clips: list[tuple[str, int, float]] = field(default_factory=list)


def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd)


def sample_noise(
    rng: np.random.Generator,
    config: AugmentConfig,
    *,
    duration_s: float,
    index: AudioIndex | None,
    clips: list[tuple[str, int, float]],
) -> NoiseParams:
    """Draw one channel's noise parameters (nothing is rendered here)."""
    if not (config.noise and rng.random() < config.noise_p):
        return NoiseParams(applied=False)
    mode = config.noise_level_mode
    lo, hi = {
        "snr": config.noise_snr_db_range,
        "relative": config.noise_relative_db_range,
        "dbfs": config.noise_dbfs_range,
    }[mode]
    level = _r(rng.uniform(lo, hi))
    intermittent = bool(rng.random() < config.noise_intermittent_p)
    segments = (
        _sample_segments(rng, config, duration_s) if intermittent else ((0.0, _r(duration_s)),)
    )
    wave_seed = int(rng.integers(0, 2**63 - 1))
    common = dict(
        applied=True,
        level_mode=mode,
        level_db=level,
        intermittent=intermittent,
        segments=segments,
        fade_ms=float(config.noise_fade_ms) if intermittent else 0.0,
        wave_seed=wave_seed,
    )
    use_file = index is not None and len(index) > 0 and rng.random() < config.noise_file_p
    if use_file:
        assert index is not None
        entry = index.files[int(rng.integers(0, len(index)))]
        need = int(math.ceil(duration_s * entry.sample_rate))
        if entry.frames > need:
            offset = int(rng.integers(0, entry.frames - need + 1))
        else:
            offset = int(rng.integers(0, entry.frames))
        return NoiseParams(
            source="file", kind="file", file=entry, file_offset_frames=offset, **common
        )
    kinds = list(config.noise_kinds)
    weights = np.array([float(config.noise_kinds[k]) for k in kinds])
    kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
    note = ""
    if kind == "babble" and not clips:
        kind, note = (
            "speech_shaped",
            "no TTS clips in the row for babble; speech-shaped noise instead",
        )
    if kind == "hum":
        mains = float(config.hum_mains_hz[int(rng.integers(0, len(config.hum_mains_hz)))])
        n_harm = int(rng.integers(3, 11))
        slope = float(rng.uniform(3.0, 12.0))
        harm = tuple(_r(-slope * k + rng.uniform(-6.0, 0.0), 2) for k in range(n_harm))
        phases = tuple(_r(rng.uniform(0.0, 2 * np.pi)) for _ in range(n_harm))
        floor = _r(rng.uniform(-45.0, -25.0), 2)
        return NoiseParams(
            source="generated",
            kind="hum",
            hum_mains_hz=mains,
            hum_harmonics_db=harm,
            hum_phases=phases,
            hum_floor_db=floor,
            **common,
        )
    if kind == "babble":
        lo_t, hi_t = config.babble_talkers_range
        talkers = []
        turn_clips = [c for c in clips if c[0] == "turn"] or clips
        for _ in range(int(rng.integers(lo_t, hi_t + 1))):
            src, idx, dur = turn_clips[int(rng.integers(0, len(turn_clips)))]
            talkers.append(
                BabbleTalker(
                    source=src,
                    index=idx,
                    offset_s=_r(rng.uniform(0.0, max(dur, 1e-3))),
                    gain_db=_r(rng.uniform(-6.0, 0.0), 2),
                )
            )
        return NoiseParams(source="generated", kind="babble", babble=tuple(talkers), **common)
    return NoiseParams(source="generated", kind=kind, note=note, **common)


def _sample_segments(
    rng: np.random.Generator, config: AugmentConfig, duration_s: float
) -> tuple[tuple[float, float], ...]:
    """Alternating noise-on / silence spans covering the dialogue; at least one span is on."""
    on = bool(rng.random() < 0.5)
    t = 0.0
    segs: list[tuple[float, float]] = []
    while t < duration_s:
        lo, hi = config.noise_on_s_range if on else config.noise_off_s_range
        length = float(rng.uniform(lo, hi))
        if on:
            segs.append((_r(t), _r(min(duration_s, t + length))))
        t += length
        on = not on
    if not segs:  # the first silence outlasted the dialogue: noise from the start instead
        length = float(rng.uniform(*config.noise_on_s_range))
        segs.append((0.0, _r(min(duration_s, length))))
    return tuple(segs)


# ---------------------------------------------------------------------------------- rendering
def render_noise(params: NoiseParams, ctx: NoiseContext) -> tuple[np.ndarray, np.ndarray]:
    """The unscaled noise bed (``ctx.n`` samples, envelope applied) and its on-mask.

    The on-mask marks samples where the envelope is fully open (fades excluded): the noise
    level is defined over those samples.
    """
    n, sr = ctx.n, ctx.sample_rate
    g = np.random.Generator(np.random.PCG64(params.wave_seed))
    if params.kind == "file":
        assert params.file is not None
        bed = _file_noise(params.file, params.file_offset_frames, n, sr)
    elif params.kind == "white":
        bed = g.standard_normal(n, dtype=np.float32)
    elif params.kind == "pink":
        bed = _filtered(g, n, _PINK_B, _PINK_A)
    elif params.kind == "brown":
        bed = _filtered(g, n, np.array([1.0]), np.array([1.0, -_BROWN_POLE]))
    elif params.kind == "hum":
        bed = _hum(params, g, n, sr)
    elif params.kind == "babble":
        bed = _babble(params, ctx)
    elif params.kind == "speech_shaped":
        bed = _speech_shaped(ctx.mix, g, n, sr)
    else:
        raise ValueError(f"unknown noise kind {params.kind!r}")
    bed = np.asarray(bed, dtype=np.float32)
    bed = bed - np.float32(bed.mean()) if bed.size else bed
    env = raised_cosine_envelope(list(params.segments), n, sr, params.fade_ms / 1000.0)
    return bed * env, env >= 0.999


def noise_level(
    params: NoiseParams, bed: np.ndarray, on_mask: np.ndarray, speech_power: float
) -> tuple[float, dict[str, float]]:
    """The factor that brings ``bed`` (while on) to the sampled level, and the levels reached."""
    p_bed = mean_power(bed, on_mask)
    ref_power = speech_power if speech_power > 0 else db_to_power(FALLBACK_SPEECH_DBFS)
    if params.level_mode == "dbfs":
        target = db_to_power(params.level_db)
    elif params.level_mode == "snr":
        target = ref_power / db_to_power(params.level_db)
    else:  # relative: noise level re speech level
        target = ref_power * db_to_power(params.level_db)
    k = math.sqrt(target / p_bed) if p_bed > 0 else 0.0
    out = {
        "speech_level_dbfs": round(power_db(speech_power), 3),
        "noise_level_dbfs": round(power_db(target if p_bed > 0 else 0.0), 3),
        "snr_db": round(power_db(ref_power) - power_db(target), 3),
    }
    if speech_power <= 0:
        out["speech_reference"] = f"none measured; assumed {FALLBACK_SPEECH_DBFS} dBFS"
    return k, out


def _filtered(g: np.random.Generator, n: int, b: np.ndarray, a: np.ndarray) -> np.ndarray:
    from scipy.signal import lfilter

    warm = 4096  # let the filter settle before the kept part
    white = g.standard_normal(n + warm, dtype=np.float32)
    y = lfilter(b, a, white)[warm:]
    std = float(np.std(y)) or 1.0
    return (y / std).astype(np.float32)


def _hum(params: NoiseParams, g: np.random.Generator, n: int, sr: int) -> np.ndarray:
    t = np.arange(n, dtype=np.float64) / sr
    y = np.zeros(n, dtype=np.float64)
    for k, (level_db, phase) in enumerate(zip(params.hum_harmonics_db, params.hum_phases)):
        f = params.hum_mains_hz * (k + 1)
        if f >= sr / 2:
            break
        y += db_to_gain(level_db) * np.sin(2 * np.pi * f * t + phase)
    rms = rms_level(y)
    floor = g.standard_normal(n) * (rms or 1.0) * db_to_gain(params.hum_floor_db)
    return (y + floor).astype(np.float32)


def _babble(params: NoiseParams, ctx: NoiseContext) -> np.ndarray:
    out = np.zeros(ctx.n, dtype=np.float32)
    for t in params.babble:
        clip = ctx.clip(t.source, t.index)
        if clip.size == 0:
            continue
        rms = rms_level(clip) or 1.0
        start = int(round(t.offset_s * ctx.sample_rate))
        stream = loop_to_length(clip / np.float32(rms), ctx.n, start, ctx.sample_rate)
        out += stream * np.float32(db_to_gain(t.gain_db))
    return out


def _speech_shaped(mix: np.ndarray, g: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """White noise through a linear-phase FIR with the mix's long-term magnitude spectrum."""
    from scipy.signal import oaconvolve

    mono = mix.mean(axis=1) if mix.ndim == 2 else mix
    nfft = 1024
    white = g.standard_normal(n, dtype=np.float32)
    nf = mono.size // nfft
    if nf == 0 or not np.any(mono):
        return white
    frames = mono[: nf * nfft].reshape(nf, nfft).astype(np.float64)
    energy = np.mean(frames * frames, axis=1)
    frames = frames[energy > energy.max() * 1e-4]  # speech frames only
    if frames.shape[0] > 512:  # a long-term average needs a few hundred frames, not all
        frames = frames[np.linspace(0, frames.shape[0] - 1, 512).astype(int)]
    psd = np.mean(np.abs(np.fft.rfft(frames * np.hanning(nfft), axis=1)) ** 2, axis=0)
    mag = np.sqrt(np.maximum(psd, psd.max() * 1e-8))
    fir = np.fft.irfft(mag, nfft)
    fir = np.roll(fir, nfft // 2) * np.hanning(nfft)
    y = oaconvolve(white, fir.astype(np.float32))[nfft // 2 : nfft // 2 + n]
    std = float(np.std(y)) or 1.0
    return (y / std).astype(np.float32)


def _file_noise(entry: AudioFile, offset: int, n: int, sr: int) -> np.ndarray:
    need = int(math.ceil(n * entry.sample_rate / sr)) + 32
    if entry.frames - offset >= need:
        x = read_mono(entry, sr, start=offset, frames=need)
        return fit_length(x, n)
    whole = read_mono(entry, sr)
    start = int(round(offset * sr / entry.sample_rate))
    return loop_to_length(whole, n, start, sr)
