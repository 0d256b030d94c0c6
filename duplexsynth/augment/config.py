"""``AugmentConfig``: every knob of the augment stage, its default and its unit.

Defaults follow Moshi's user-stream recipe (gain −24..+15 dB on half the dialogues; noise on
30 % of them at −30..+6 dB relative to the user's speech, alternating with silences of up to
30 s; echo of the assistant ×U[0, 0.2] delayed U[100, 500] ms through a room, 30 % of the time),
plus room reverb on the user's speech and channel-effect chains (telephone, laptop, lo-fi)
that the recipe leaves out. Ranges are ``(min, max)`` pairs named ``*_range``; probabilities
are per dialogue. ``from_dict`` validates and names any unknown key or bad value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from duplexsynth.audio import db_to_gain

#: channel names that may be augmented, and their stereo index (moshi-finetune's convention)
CHANNEL_INDEX = {"assistant": 0, "user": 1}
NOISE_LEVEL_MODES = ("snr", "relative", "dbfs")
NOISE_KINDS = ("white", "pink", "brown", "hum", "babble", "speech_shaped")

DEFAULT_NOISE_KINDS: dict[str, float] = {
    "white": 1.0,
    "pink": 2.0,
    "brown": 1.0,
    "hum": 1.0,
    "babble": 2.0,
    "speech_shaped": 1.0,
}


def default_chains() -> dict[str, list[dict[str, Any]]]:
    """The built-in channel-effect chains (one is picked per dialogue when a chain applies)."""
    return {
        "telephone": [
            {"type": "band_pass", "low_hz": [250.0, 400.0], "high_hz": [3000.0, 3600.0]},
            {"type": "mu_law", "p": 0.7, "bits": 8},
            {"type": "clipping", "p": 0.2, "percentile": [1, 5]},
        ],
        "laptop": [
            {"type": "high_pass", "cutoff_hz": [100.0, 300.0]},
            {"type": "peaking_eq", "center_hz": [1500.0, 4000.0], "gain_db": [-6.0, 8.0]},
            {"type": "low_pass", "p": 0.5, "cutoff_hz": [6000.0, 10000.0]},
            {"type": "tanh_distortion", "p": 0.3, "amount": [0.05, 0.3]},
        ],
        "lofi": [
            {"type": "narrowband", "sample_rate_hz": [8000, 16000]},
            {"type": "bit_crush", "p": 0.5, "bit_depth": [8, 12]},
            {"type": "low_shelf", "p": 0.5, "center_hz": [100.0, 400.0], "gain_db": [-12.0, 6.0]},
        ],
    }


@dataclass
class AugmentConfig:
    """Every knob of the ``augment`` stage. See docs/stages/augment.md."""

    #: channels to augment ("user" = 1, "assistant" = 0); the others stay bit-for-bit as mixed
    channels: tuple[str, ...] = ("user",)
    #: keep the pre-augmentation stereo mix in ``clean_audio``
    keep_clean: bool = True
    #: cache root for the simulated RIR library; None = $DUPLEXSYNTH_CACHE or ~/.cache/duplexsynth
    cache_dir: str | None = None
    #: store/reuse the simulated RIR library on disk
    rir_cache: bool = True
    #: the whole augmented channel is scaled down when its peak would exceed this
    peak_limit_dbfs: float = -1.0

    # ---- gain (Moshi: -24..+15 dB on 50 %) ----
    gain: bool = True
    gain_p: float = 0.5
    gain_db_range: tuple[float, float] = (-24.0, 15.0)

    # ---- noise ----
    noise: bool = True
    noise_p: float = 0.3
    #: directories of noise recordings (MUSAN, DNS challenge, ...), scanned recursively
    noise_dirs: tuple[str, ...] = ()
    #: glob patterns on paths relative to a noise dir (empty = every audio file), e.g. "noise/*"
    noise_include: tuple[str, ...] = ()
    #: when usable noise files exist: probability of a file (else generated noise)
    noise_file_p: float = 1.0
    #: noise files shorter than this are skipped with a warning
    noise_min_file_s: float = 0.5
    #: how the noise level is set: snr (speech/noise, dB), relative (noise re speech, dB), dbfs
    noise_level_mode: str = "relative"
    noise_snr_db_range: tuple[float, float] = (15.0, 30.0)
    noise_relative_db_range: tuple[float, float] = (-30.0, 6.0)
    noise_dbfs_range: tuple[float, float] = (-60.0, -30.0)
    #: probability that noise alternates with silence instead of running continuously
    noise_intermittent_p: float = 0.5
    noise_on_s_range: tuple[float, float] = (2.0, 20.0)
    noise_off_s_range: tuple[float, float] = (0.5, 30.0)
    noise_fade_ms: float = 50.0
    #: generated (offline) noise kinds and their weights
    noise_kinds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_NOISE_KINDS))
    #: simultaneous talkers in generated babble (built from the dialogue's own TTS audio)
    babble_talkers_range: tuple[int, int] = (3, 6)
    #: mains frequencies for generated hum
    hum_mains_hz: tuple[float, ...] = (50.0, 60.0)

    # ---- echo (Moshi: assistant x U[0, 0.2], delayed U[100, 500] ms, with reverb, 30 %) ----
    echo: bool = True
    echo_p: float = 0.3
    echo_scale_range: tuple[float, float] = (0.0, 0.2)
    echo_delay_ms_range: tuple[float, float] = (100.0, 500.0)
    #: pass the echo through a room impulse response from the library
    echo_reverb: bool = True

    # ---- reverb on the augmented channel's own speech ----
    reverb: bool = True
    reverb_p: float = 0.3
    #: directory of measured RIRs (audio files); None = simulate shoebox rooms
    rir_dir: str | None = None
    #: glob patterns on paths relative to rir_dir (empty = every audio file), e.g. "*/rir_*"
    rir_include: tuple[str, ...] = ()
    rir_library_size: int = 32
    rir_sample_rate_hz: int = 24000
    #: RIRs are cut where their energy decay reaches -60 dB, and at most this long
    rir_max_s: float = 1.0
    room_length_m_range: tuple[float, float] = (3.0, 10.0)
    room_width_m_range: tuple[float, float] = (2.5, 8.0)
    room_height_m_range: tuple[float, float] = (2.4, 4.0)
    rt60_s_range: tuple[float, float] = (0.15, 0.7)
    mic_distance_m_range: tuple[float, float] = (0.3, 2.5)
    #: image-source order cap (higher = longer, slower tails)
    rir_max_order: int = 60

    # ---- channel-effect chains (audiomentations / scipy; none shifts time) ----
    chain: bool = True
    chain_p: float = 0.2
    chains: dict[str, list[dict[str, Any]]] = field(default_factory=default_chains)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # lists (YAML, to_dict()) are accepted for tuples
            v = getattr(self, f.name)
            if isinstance(v, list) and isinstance(_DEFAULTS[f.name], tuple):
                setattr(self, f.name, tuple(v))
        self._validate()

    # ------------------------------------------------------------------ (de)serialisation
    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AugmentConfig:
        """Build from a plain dict (YAML section); ``ValueError`` names unknown keys/bad values."""
        if d is None:
            return cls()
        if not isinstance(d, dict):
            raise ValueError(f"augment config must be a mapping, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(
                f"unknown augment config key(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in d:
                values[f.name] = _coerce(f.name, d[f.name], _DEFAULTS[f.name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Every knob as JSON/YAML-safe values (tuples become lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, tuple):
                v = list(v)
            elif isinstance(v, dict):
                v = _plain(v)
            out[f.name] = v
        return out

    # ------------------------------------------------------------------ helpers
    @property
    def channel_indices(self) -> tuple[int, ...]:
        """Stereo indices of the augmented channels, sorted."""
        return tuple(sorted(CHANNEL_INDEX[c] for c in self.channels))

    @property
    def peak_limit(self) -> float:
        return db_to_gain(self.peak_limit_dbfs)

    @property
    def needs_rirs(self) -> bool:
        """Whether any enabled step draws from the RIR library."""
        return (self.reverb and self.reverb_p > 0) or (
            self.echo and self.echo_p > 0 and self.echo_reverb
        )

    def _validate(self) -> None:
        for c in self.channels:
            if c not in CHANNEL_INDEX:
                raise ValueError(
                    f"augment channels: unknown channel {c!r}; use 'user' or 'assistant'"
                )
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"augment channels: duplicate entries in {list(self.channels)}")
        for name in _PROBS:
            _check_prob(name, getattr(self, name))
        if self.noise_level_mode not in NOISE_LEVEL_MODES:
            raise ValueError(
                f"noise_level_mode must be one of {', '.join(NOISE_LEVEL_MODES)}, got {self.noise_level_mode!r}"
            )
        for f in dataclasses.fields(self):
            if f.name.endswith("_range"):
                _check_range(f.name, getattr(self, f.name))
        for name in (
            "noise_on_s_range",
            "noise_off_s_range",
            "echo_scale_range",
            "echo_delay_ms_range",
            "room_length_m_range",
            "room_width_m_range",
            "room_height_m_range",
            "rt60_s_range",
            "mic_distance_m_range",
            "babble_talkers_range",
        ):
            if getattr(self, name)[0] < 0:
                raise ValueError(f"{name} must not be negative, got {list(getattr(self, name))}")
        if self.noise_on_s_range[0] <= 0:
            raise ValueError(
                f"noise_on_s_range must start above 0 s, got {list(self.noise_on_s_range)}"
            )
        if self.babble_talkers_range[0] < 1:
            raise ValueError(
                f"babble_talkers_range must start at 1 or more, got {list(self.babble_talkers_range)}"
            )
        if self.rt60_s_range[0] <= 0:
            raise ValueError(f"rt60_s_range must be above 0 s, got {list(self.rt60_s_range)}")
        if min(self.room_length_m_range[0], self.room_width_m_range[0]) < 1.5:
            raise ValueError("rooms must be at least 1.5 m long and wide (room_*_m_range)")
        if self.room_height_m_range[0] < 1.5:
            raise ValueError("rooms must be at least 1.5 m high (room_height_m_range)")
        if self.mic_distance_m_range[0] <= 0:
            raise ValueError(
                f"mic_distance_m_range must be above 0 m, got {list(self.mic_distance_m_range)}"
            )
        if self.peak_limit_dbfs > 0:
            raise ValueError(f"peak_limit_dbfs must be <= 0, got {self.peak_limit_dbfs}")
        for name in ("noise_min_file_s", "noise_fade_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.rir_library_size < 1:
            raise ValueError(f"rir_library_size must be >= 1, got {self.rir_library_size}")
        if self.rir_sample_rate_hz < 8000:
            raise ValueError(f"rir_sample_rate_hz must be >= 8000, got {self.rir_sample_rate_hz}")
        if self.rir_max_s <= 0:
            raise ValueError(f"rir_max_s must be above 0, got {self.rir_max_s}")
        if self.rir_max_order < 0:
            raise ValueError(f"rir_max_order must be >= 0, got {self.rir_max_order}")
        if not self.hum_mains_hz or any(f <= 0 for f in self.hum_mains_hz):
            raise ValueError(
                f"hum_mains_hz must list positive frequencies, got {list(self.hum_mains_hz)}"
            )
        _check_weights("noise_kinds", self.noise_kinds, NOISE_KINDS)
        from duplexsynth.augment.chain import validate_chains

        validate_chains(self.chains)


_PROBS = (
    "gain_p",
    "noise_p",
    "noise_file_p",
    "noise_intermittent_p",
    "echo_p",
    "reverb_p",
    "chain_p",
)


def _check_prob(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


def _check_range(name: str, value: Any) -> None:
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValueError(f"{name} must be a [min, max] pair, got {value!r}")
    lo, hi = value
    if lo > hi:
        raise ValueError(f"{name}: min {lo} is above max {hi}")


def _check_weights(name: str, weights: Any, allowed: tuple[str, ...]) -> None:
    if not isinstance(weights, dict) or not weights:
        raise ValueError(f"{name} must be a non-empty mapping of kind -> weight, got {weights!r}")
    for k, w in weights.items():
        if k not in allowed:
            raise ValueError(f"{name}: unknown kind {k!r}; known: {', '.join(allowed)}")
        if not isinstance(w, (int, float)) or w < 0:
            raise ValueError(f"{name}: weight of {k!r} must be a number >= 0, got {w!r}")
    if sum(float(w) for w in weights.values()) <= 0:
        raise ValueError(f"{name}: at least one weight must be above 0")


def _coerce(name: str, value: Any, default: Any) -> Any:
    """Convert a YAML/JSON value to the type of the field's default, naming the field on error."""
    try:
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise TypeError("expected true or false")
            return value
        if name.endswith("_range"):
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise TypeError("expected a [min, max] pair")
            kind = int if isinstance(default[0], int) else float
            if kind is int and any(float(v) != int(v) for v in value):
                raise TypeError("expected whole numbers")
            return (kind(value[0]), kind(value[1]))
        if isinstance(default, tuple):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, (list, tuple)):
                raise TypeError("expected a list")
            if name == "hum_mains_hz":
                return tuple(float(v) for v in value)
            return tuple(str(v) for v in value)
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise TypeError("expected a mapping")
            return {str(k): v for k, v in value.items()}
        if isinstance(default, int):
            if isinstance(value, bool) or float(value) != int(value):
                raise TypeError("expected a whole number")
            return int(value)
        if isinstance(default, float):
            if isinstance(value, bool):
                raise TypeError("expected a number")
            return float(value)
        if default is None:  # optional strings
            return None if value is None else str(value)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise TypeError("expected a string")
            return value
    except (TypeError, ValueError) as exc:
        raise ValueError(f"augment config {name}: bad value {value!r} ({exc})") from None
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_DEFAULTS: dict[str, Any] = {
    f.name: (f.default if f.default is not dataclasses.MISSING else f.default_factory())  # type: ignore[misc]
    for f in dataclasses.fields(AugmentConfig)
}
