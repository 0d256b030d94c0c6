"""Room impulse responses: a library simulated once per run with pyroomacoustics, or measured.

Simulated library: ``rir_library_size`` shoebox rooms, each with a sampled size, RT60 (turned
into wall absorption and image-source order by Sabine's formula), microphone position and a
source at a sampled distance from it, all drawn from RNG streams of the run seed. The library
is stored in the content cache under a key of (seed, room config, sample rate, pyroomacoustics
version), so later runs and other workers load it instead of simulating again.

Measured library: every audio file under ``rir_dir`` (recursive, optionally filtered by the
``rir_include`` globs; odd files skipped with a warning), first channel of multichannel
files, resampled to the library rate.

Every RIR is cut where its energy decay curve reaches -60 dB (at most ``rir_max_s``), tapered,
normalised to unit energy, and carries its *onset*: the index of its direct-path peak. Reverb is
applied with that tap at lag 0 (see :func:`duplexsynth.augment.signal.convolve_aligned`), so
reverberated speech does not move in time and word alignments stay valid.
"""

from __future__ import annotations

import io
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from duplexsynth.audio import resample
from duplexsynth.augment.config import AugmentConfig
from duplexsynth.augment.sources import read_mono, scan_audio_dirs
from duplexsynth.cache import ContentCache, content_key, default_cache_dir
from duplexsynth.schemas.rng import dialogue_rng

log = logging.getLogger("duplexsynth.augment")

#: bump when simulation or post-processing changes (invalidates cached libraries)
RIR_LIBRARY_VERSION = "1"
CACHE_NAMESPACE = "augment_rirs"
_WALL_MARGIN_M = 0.4


@dataclass
class RirLibrary:
    """Impulse responses at ``sample_rate`` with their onsets and descriptions."""

    rirs: list[np.ndarray]
    onsets: list[int]
    info: list[dict[str, Any]]
    sample_rate: int
    origin: str  # "simulated" | "cache" | "measured"
    key: str = ""
    _resampled: dict[tuple[int, int], tuple[np.ndarray, int]] = field(
        default_factory=dict, repr=False
    )

    def __len__(self) -> int:
        return len(self.rirs)

    def get(self, index: int, sample_rate: int) -> tuple[np.ndarray, int]:
        """RIR ``index`` and its onset at ``sample_rate`` (resampled once, then memoised)."""
        if sample_rate == self.sample_rate:
            return self.rirs[index], self.onsets[index]
        key = (index, sample_rate)
        if key not in self._resampled:
            h = resample(self.rirs[index], self.sample_rate, sample_rate)
            h = _unit_energy(h)
            self._resampled[key] = (h, int(np.argmax(np.abs(h))))
        return self._resampled[key]

    def describe(self, index: int) -> dict[str, Any]:
        """What params record about one RIR."""
        return {"index": int(index), "library": self.origin_label, **self.info[index]}

    @property
    def origin_label(self) -> str:
        return "measured" if self.origin == "measured" else f"simulated:{self.key[:16]}"


# ------------------------------------------------------------------------------- post-processing
def _unit_energy(h: np.ndarray) -> np.ndarray:
    e = float(np.sqrt(np.sum(h.astype(np.float64) ** 2)))
    return (h / e).astype(np.float32) if e > 0 else h.astype(np.float32)


def finish_rir(h: np.ndarray, sample_rate: int, max_s: float) -> tuple[np.ndarray, int, float]:
    """Cut at -60 dB decay (or ``max_s``), taper 5 ms, unit energy. Returns (h, onset, length_s)."""
    h = np.asarray(h, dtype=np.float64)
    if h.size == 0 or not np.any(h):
        raise ValueError("impulse response is empty or silent")
    onset = int(np.argmax(np.abs(h)))
    edc = np.cumsum((h * h)[::-1])[::-1]
    below = np.nonzero(edc <= edc[0] * 1e-6)[0]
    end = int(below[0]) if below.size else h.size
    end = min(end, onset + int(max_s * sample_rate), h.size)
    end = max(end, onset + 1)
    h = h[:end].copy()
    taper = min(int(0.005 * sample_rate), max(0, end - onset - 1))
    if taper > 0:
        h[-taper:] *= np.linspace(1.0, 0.0, taper)
    return _unit_energy(h), onset, round(end / sample_rate, 4)


# ------------------------------------------------------------------------------------ simulation
def _library_spec(config: AugmentConfig, seed: int) -> dict[str, Any]:
    import pyroomacoustics as pra

    return {
        "what": "augment-rir-library",
        "version": RIR_LIBRARY_VERSION,
        "pyroomacoustics": pra.__version__,
        "seed": int(seed),
        "size": config.rir_library_size,
        "sample_rate": config.rir_sample_rate_hz,
        "max_s": config.rir_max_s,
        "max_order": config.rir_max_order,
        "room_length_m_range": list(config.room_length_m_range),
        "room_width_m_range": list(config.room_width_m_range),
        "room_height_m_range": list(config.room_height_m_range),
        "rt60_s_range": list(config.rt60_s_range),
        "mic_distance_m_range": list(config.mic_distance_m_range),
    }


def simulate_rir(
    rng: np.random.Generator, config: AugmentConfig, sample_rate: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """One shoebox room: sample its geometry and RT60, simulate, return (raw RIR, description)."""
    import pyroomacoustics as pra

    dims = [
        float(rng.uniform(*config.room_length_m_range)),
        float(rng.uniform(*config.room_width_m_range)),
        float(rng.uniform(*config.room_height_m_range)),
    ]
    rt60 = float(rng.uniform(*config.rt60_s_range))
    try:
        absorption, order = pra.inverse_sabine(rt60, dims)
    except ValueError:  # RT60 too short for this room: the most absorbent walls Sabine allows
        absorption, order = 0.99, 2
    order = int(min(order, config.rir_max_order))
    mic = [float(rng.uniform(_WALL_MARGIN_M, d - _WALL_MARGIN_M)) for d in dims]
    mic[2] = float(rng.uniform(min(0.8, dims[2] / 2), min(1.8, dims[2] - _WALL_MARGIN_M)))
    source, distance = _place_source(rng, dims, mic, config.mic_distance_m_range)
    room = pra.ShoeBox(
        dims,
        fs=int(sample_rate),
        materials=pra.Material(float(absorption)),
        max_order=order,
        air_absorption=False,
        ray_tracing=False,
        use_rand_ism=False,
    )
    room.add_source(source)
    room.add_microphone(mic)
    room.compute_rir()
    h = np.asarray(room.rir[0][0], dtype=np.float64)
    info = {
        "room_dims_m": [round(d, 3) for d in dims],
        "rt60_target_s": round(rt60, 3),
        "absorption": round(float(absorption), 4),
        "max_order": order,
        "mic_m": [round(v, 3) for v in mic],
        "source_m": [round(v, 3) for v in source],
        "distance_m": round(distance, 3),
    }
    return h, info


def _place_source(
    rng: np.random.Generator, dims: list[float], mic: list[float], dist_range: tuple[float, float]
) -> tuple[list[float], float]:
    """A source at a sampled distance and direction from the mic, inside the walls' margin."""
    lo = [_WALL_MARGIN_M] * 3
    hi = [d - _WALL_MARGIN_M for d in dims]
    best = list(mic)
    for _ in range(64):
        dist = float(rng.uniform(*dist_range))
        v = rng.standard_normal(3)
        v[2] *= 0.3  # talkers are mostly level with the mic
        v /= np.linalg.norm(v) or 1.0
        p = [mic[i] + dist * v[i] for i in range(3)]
        if all(lo[i] <= p[i] <= hi[i] for i in range(3)):
            return p, dist
        best = p
    # no direction fits (tiny room): clamp the last try inside the margins
    p = [min(max(best[i], lo[i]), hi[i]) for i in range(3)]
    return p, float(np.linalg.norm(np.subtract(p, mic)))


def simulate_library(config: AugmentConfig, seed: int) -> RirLibrary:
    """Simulate ``rir_library_size`` rooms (deterministic in ``seed`` and the room config)."""
    sr = config.rir_sample_rate_hz
    rirs, onsets, info = [], [], []
    started = time.monotonic()
    for i in range(config.rir_library_size):
        rng = dialogue_rng(seed, "rir-library", f"augment/room/{i}")
        raw, desc = simulate_rir(rng, config, sr)
        h, onset, length_s = finish_rir(raw, sr, config.rir_max_s)
        desc["length_s"] = length_s
        rirs.append(h)
        onsets.append(onset)
        info.append(desc)
    log.info("simulated %d room impulse responses in %.1f s", len(rirs), time.monotonic() - started)
    return RirLibrary(rirs=rirs, onsets=onsets, info=info, sample_rate=sr, origin="simulated")


def _to_npz(lib: RirLibrary) -> bytes:
    buf = io.BytesIO()
    np.savez(
        buf,
        rirs=np.concatenate(lib.rirs).astype(np.float32),
        lengths=np.array([h.size for h in lib.rirs], dtype=np.int64),
        onsets=np.array(lib.onsets, dtype=np.int64),
        sample_rate=np.array(lib.sample_rate, dtype=np.int64),
        info=np.frombuffer(json.dumps(lib.info, sort_keys=True).encode(), dtype=np.uint8),
    )
    return buf.getvalue()


def _from_npz(data: bytes, key: str) -> RirLibrary:
    with np.load(io.BytesIO(data)) as z:
        flat, lengths = z["rirs"], z["lengths"]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        rirs = [flat[bounds[i] : bounds[i + 1]].copy() for i in range(len(lengths))]
        return RirLibrary(
            rirs=rirs,
            onsets=[int(o) for o in z["onsets"]],
            info=json.loads(z["info"].tobytes().decode()),
            sample_rate=int(z["sample_rate"]),
            origin="cache",
            key=key,
        )


def library_cache(config: AugmentConfig) -> ContentCache:
    root = (config.cache_dir or default_cache_dir()) if config.rir_cache else None
    return ContentCache(root, CACHE_NAMESPACE)


def load_or_simulate_library(config: AugmentConfig, seed: int) -> RirLibrary:
    """The simulated library for (config, seed): from the cache if there, else simulated and stored."""
    key = content_key(**_library_spec(config, seed))
    cache = library_cache(config)
    data = cache.get_bytes(key, ".npz")
    if data is not None:
        try:
            lib = _from_npz(data, key)
            log.info("loaded %d cached room impulse responses (%s)", len(lib), key[:12])
            return lib
        except Exception as exc:  # a damaged cache entry is rebuilt, never fatal
            log.warning("cached RIR library %s unreadable (%s); simulating again", key[:12], exc)
    lib = simulate_library(config, seed)
    lib.key = key
    cache.put_bytes(key, _to_npz(lib), ".npz")
    return lib


def load_measured_library(config: AugmentConfig) -> RirLibrary:
    """Every usable RIR file under ``config.rir_dir``; ``ValueError`` if there is none."""
    assert config.rir_dir is not None
    index = scan_audio_dirs(
        [config.rir_dir], what="RIR dir", include=config.rir_include, min_duration_s=0.0
    )
    sr = config.rir_sample_rate_hz
    rirs, onsets, info = [], [], []
    for entry in index.files:
        try:
            raw = read_mono(entry, sr, channel=0)
            h, onset, length_s = finish_rir(raw, sr, config.rir_max_s)
        except Exception as exc:
            log.warning("RIR dir: skipping %s (%s)", entry.path, exc)
            continue
        rirs.append(h)
        onsets.append(onset)
        info.append(
            {
                "path": entry.path,
                "rel_path": entry.rel_path,
                "file_sample_rate": entry.sample_rate,
                "length_s": length_s,
            }
        )
    if not rirs:
        raise ValueError(f"no usable impulse response under rir_dir {config.rir_dir!r}")
    log.info("loaded %d measured room impulse responses from %s", len(rirs), config.rir_dir)
    return RirLibrary(rirs=rirs, onsets=onsets, info=info, sample_rate=sr, origin="measured")


def build_rir_library(config: AugmentConfig, seed: int) -> RirLibrary:
    """Measured RIRs if ``rir_dir`` is set, else the (cached) simulated library."""
    if config.rir_dir:
        return load_measured_library(config)
    return load_or_simulate_library(config, seed)
