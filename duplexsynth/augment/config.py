"""``AugmentConfig``: every knob of the augment stage, its default and its unit.

Defaults follow Moshi's user-stream recipe (gain −24..+15 dB on half the dialogues; noise on
30 % of them at −30..+6 dB relative to the user's speech, alternating with silences of up to
30 s; echo of the assistant ×U[0, 0.2] delayed U[100, 500] ms through a room, 30 % of the time),
plus room reverb on the user's speech and channel-effect chains (telephone, laptop, lo-fi)
that the recipe leaves out. Ranges are ``(min, max)`` pairs named ``*_range``; probabilities
are per dialogue (``--gain-db MIN MAX`` on the command line). ``from_dict`` validates and names
any unknown key or bad value.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

import click
from pydantic import model_validator

from duplexsynth.audio import db_to_gain
from duplexsynth.config import Fraction, Seconds, StageConfig, folder, setting

#: channel names that may be augmented, and their stereo index (moshi-finetune's convention)
CHANNEL_INDEX = {"assistant": 0, "user": 1}
NoiseLevelMode = Literal["snr", "relative", "dbfs"]
NOISE_LEVEL_MODES: tuple[str, ...] = get_args(NoiseLevelMode)
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


Pair = tuple[float, float]


def _switch(default: bool, what: str) -> Any:
    return setting(default, what, flag=True)


def _prob(default: float, what: str, flag: bool | None = True) -> Any:
    return setting(default, what, flag=flag)  # the field's type is Fraction


def _pair(default: Pair, what: str, flag: str | None = None) -> Any:
    return setting(default, what, flag=flag, metavar="MIN MAX" if flag else None)


def _include(folder: str, example: str) -> Any:
    """Globs picking the files to use from ``folder`` (none given: every file)."""
    what = f"Glob on paths relative to {folder} to use (repeatable), e.g. {example}."
    return setting((), what, flag=True, show_default=False)


class AugmentConfig(StageConfig):
    """Every knob of the ``augment`` stage. See docs/stages/augment.md."""

    SECTION: ClassVar[str] = "augment"

    channels: tuple[Literal["user", "assistant"], ...] = setting(
        ("user",),
        "Channel(s) to augment (repeatable). Channels not named stay bit-for-bit as mixed.",
        flag="--channel",
    )
    keep_clean: bool = _switch(
        True, "Keep the pre-augmentation stereo mix in the clean_audio column."
    )
    cache_dir: str | None = folder(
        "Cache root for the simulated RIR library [default: $DUPLEXSYNTH_CACHE or "
        "~/.cache/duplexsynth]."
    )
    rir_cache: bool = setting(True, "Store/reuse the simulated RIR library on disk.")
    peak_limit_dbfs: float = setting(
        -1.0, "The augmented channel is scaled down when its peak would exceed this.", le=0
    )

    # ---- gain (Moshi: -24..+15 dB on 50 %) ----
    gain: bool = _switch(True, "Random gain on the user's speech (peak-safe).")
    gain_p: Fraction = _prob(0.5, "Share of dialogues whose user speech gets a random gain.")
    gain_db_range: Pair = _pair((-24.0, 15.0), "Gain range in dB (Moshi: -24 15).", "--gain-db")

    # ---- noise ----
    noise: bool = _switch(True, "Background noise on the user channel.")
    noise_p: Fraction = _prob(0.3, "Share of dialogues that get noise.")
    noise_dirs: tuple[str, ...] = setting(
        (),
        "Directory of noise recordings, scanned recursively (MUSAN's noise/, DNS challenge's "
        "noise/ or noise_fullband/): a local folder or an object-store URL (s3://, gs://); any "
        "rate, mono or stereo. Repeatable. Odd files are skipped with a warning. Without it, "
        "noise is generated offline (coloured noise, hum, babble from the dialogue's own TTS "
        "audio, speech-shaped noise).",
        flag="--noise-dir",
        click_type=click.Path(file_okay=False),
        show_default=False,
    )
    noise_include: tuple[str, ...] = _include("a noise dir", "'noise/*' on a MUSAN root")
    noise_file_p: Fraction = _prob(
        1.0, "When usable noise files exist: probability of a file (else generated noise).", None
    )
    noise_min_file_s: Seconds = setting(
        0.5, "Noise files shorter than this are skipped with a warning."
    )
    noise_level_mode: NoiseLevelMode = setting(
        "relative",
        "How the noise level is set: snr (speech over noise, --snr-db), relative (noise re "
        "speech, --noise-relative-db, Moshi's -30..+6), dbfs (absolute, --noise-dbfs). Speech "
        "level = power over the user's speech spans; noise level = power while the noise is on.",
        flag=True,
    )
    noise_snr_db_range: Pair = _pair(
        (15.0, 30.0), "SNR range in dB for --noise-level-mode snr (OmniFlatten: 15 30).", "--snr-db"
    )
    noise_relative_db_range: Pair = _pair(
        (-30.0, 6.0), "Noise level re speech in dB (mode relative).", "--noise-relative-db"
    )
    noise_dbfs_range: Pair = _pair((-60.0, -30.0), "Noise RMS in dBFS (mode dbfs).", "--noise-dbfs")
    noise_intermittent_p: Fraction = _prob(
        0.5, "Probability that noise alternates with silence instead of running continuously.", None
    )
    noise_on_s_range: Pair = _pair((2.0, 20.0), "Length of a noise burst (s), above 0.")
    noise_off_s_range: Pair = _pair((0.5, 30.0), "Length of a silence between bursts (s).")
    noise_fade_ms: float = setting(50.0, "Fade in/out of each noise burst (ms).", ge=0)
    noise_kinds: dict[str, float] = setting(
        default_factory=lambda: dict(DEFAULT_NOISE_KINDS),
        description="Generated (offline) noise kinds and their weights.",
    )
    babble_talkers_range: tuple[int, int] = setting(
        (3, 6), "Simultaneous talkers in generated babble (from the dialogue's own TTS audio)."
    )
    hum_mains_hz: tuple[float, ...] = setting((50.0, 60.0), "Mains frequencies for generated hum.")

    # ---- echo (Moshi: assistant x U[0, 0.2], delayed U[100, 500] ms, with reverb, 30 %) ----
    echo: bool = _switch(True, "Echo of the assistant channel into the user's microphone.")
    echo_p: Fraction = _prob(0.3, "Share of dialogues that get echo.")
    echo_scale_range: Pair = _pair(
        (0.0, 0.2), "Echo amplitude as a fraction of the assistant's.", "--echo-scale"
    )
    echo_delay_ms_range: Pair = _pair(
        (100.0, 500.0), "Echo delay in milliseconds.", "--echo-delay-ms"
    )
    echo_reverb: bool = setting(
        True, "Pass the echo through a room impulse response from the library."
    )

    # ---- reverb on the augmented channel's own speech ----
    reverb: bool = _switch(True, "Room reverb on the user's speech.")
    reverb_p: Fraction = _prob(0.3, "Share of dialogues whose user speech gets room reverb.")
    rir_dir: str | None = folder(
        "Directory of measured room impulse responses (audio files), a local folder or an "
        "object-store URL (s3://, gs://), used instead of the simulated shoebox-room library.",
    )
    rir_include: tuple[str, ...] = _include(
        "--rir-dir",
        "'*rir*' when a folder mixes impulse responses with noise recordings (OpenSLR 28's "
        "real_rirs_isotropic_noises)",
    )
    rir_library_size: int = setting(
        32, "Rooms simulated once per (seed, room config) and cached on disk.", flag=True, ge=1
    )
    rir_sample_rate_hz: int = setting(24000, "Sample rate of the simulated RIRs.", ge=8000)
    rir_max_s: float = setting(
        1.0, "RIRs are cut where their decay reaches -60 dB, and at most this long (s).", gt=0
    )
    room_length_m_range: Pair = _pair((3.0, 10.0), "Room length (m), at least 1.5.")
    room_width_m_range: Pair = _pair((2.5, 8.0), "Room width (m), at least 1.5.")
    room_height_m_range: Pair = _pair((2.4, 4.0), "Room height (m), at least 1.5.")
    rt60_s_range: Pair = _pair((0.15, 0.7), "Reverberation time RT60 (s), above 0.")
    mic_distance_m_range: Pair = _pair((0.3, 2.5), "Talker-microphone distance (m), above 0.")
    rir_max_order: int = setting(
        60, "Image-source order cap (higher = longer, slower tails).", ge=0
    )

    # ---- channel-effect chains (audiomentations / scipy; none shifts time) ----
    chain: bool = _switch(True, "Channel effects (telephone, laptop, lo-fi chains).")
    chain_p: Fraction = _prob(0.2, "Share of dialogues that go through a channel-effect chain.")
    chains: dict[str, list[dict[str, Any]]] = setting(
        default_factory=default_chains,
        doc_default="`telephone`, `laptop`, `lofi` (see `default_chains`)",
        description="Named channel-effect chains (docs/stages/augment.md); one is picked per "
        "dialogue when a chain applies.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> AugmentConfig:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"channels: duplicate entries in {list(self.channels)}")
        for name in type(self).model_fields:
            if name.endswith("_range"):
                lo, hi = getattr(self, name)
                if lo > hi:
                    raise ValueError(f"{name}: min {lo} is above max {hi}")
        for name, low, strict in _LOWER_BOUNDS:
            lo = getattr(self, name)[0]
            if lo < low or (strict and lo == low):
                sign = ">" if strict else ">="
                raise ValueError(f"{name} must start {sign} {low}, got {list(getattr(self, name))}")
        if not self.hum_mains_hz or any(f <= 0 for f in self.hum_mains_hz):
            raise ValueError(
                f"hum_mains_hz must list positive frequencies, got {list(self.hum_mains_hz)}"
            )
        _check_weights("noise_kinds", self.noise_kinds, NOISE_KINDS)
        from duplexsynth.augment.chain import validate_chains

        validate_chains(self.chains)
        return self

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


#: (range knob, lowest allowed start, start must be above it)
_LOWER_BOUNDS = (
    ("noise_on_s_range", 0, True),
    ("noise_off_s_range", 0, False),
    ("echo_scale_range", 0, False),
    ("echo_delay_ms_range", 0, False),
    ("room_length_m_range", 1.5, False),
    ("room_width_m_range", 1.5, False),
    ("room_height_m_range", 1.5, False),
    ("rt60_s_range", 0, True),
    ("mic_distance_m_range", 0, True),
    ("babble_talkers_range", 1, False),
)


def _check_weights(name: str, weights: dict[str, float], allowed: tuple[str, ...]) -> None:
    if not weights:
        raise ValueError(f"{name} must be a non-empty mapping of kind -> weight, got {weights!r}")
    for k, w in weights.items():
        if k not in allowed:
            raise ValueError(f"{name}: unknown kind {k!r}; known: {', '.join(allowed)}")
        if w < 0:
            raise ValueError(f"{name}: weight of {k!r} must be a number >= 0, got {w!r}")
    if sum(weights.values()) <= 0:
        raise ValueError(f"{name}: at least one weight must be above 0")
