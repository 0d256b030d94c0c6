"""``MixConfig``: a preset plus overrides, every scheduling knob with its unit in its name.

Knobs a preset controls default to ``None`` and are filled from the preset when the config is
built, so ``MixConfig(preset="lively", interruption_prob=0.1)`` is the lively preset with one
override, and ``MixConfig()`` is the ``natural`` preset. ``to_dict()`` returns every resolved
value (JSON/YAML-safe); ``from_dict`` is its inverse and also accepts the backchannel level as
an RMS ratio (``backchannel_level_ratio_min``/``_max``) instead of dB.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from duplexsynth.audio import gain_to_db
from duplexsynth.schedule.presets import DEFAULT_PRESET, PRESET_KNOBS, preset_values

#: openers a user may say when cutting in (matched against the user's backchannel lexicon)
DEFAULT_STOP_COMMAND_TEXTS: tuple[str, ...] = (
    "wait, stop",
    "hold on",
    "hang on",
    "wait",
    "stop",
    "sorry, wait",
    "wait a second",
    "等一下，停一下",
    "等一下",
    "停一下",
)

_PROBS = (
    "reply_overlap_prob",
    "interruption_prob",
    "stop_command_prob",
)
_BOOLS = (
    "stop_commands",
    "backchannels",
    "user_backchannels",
    "assistant_backchannels",
    "pause_pacing",
)
_INTS = ("interruption_min_words",)
_RANGES = (
    ("lead_silence_s_min", "lead_silence_s_max"),
    ("trail_silence_s_min", "trail_silence_s_max"),
    ("reply_overlap_s_min", "reply_overlap_s_max"),
    ("reaction_delay_s_min", "reaction_delay_s_max"),
    ("stop_command_gap_s_min", "stop_command_gap_s_max"),
    ("backchannel_level_db_min", "backchannel_level_db_max"),
    ("backchannel_onset_s_min", "backchannel_onset_s_max"),
    ("pause_min_s", "pause_max_s"),
)
#: knobs that may be negative (everything else numeric must be >= 0)
_SIGNED = (
    "backchannel_level_db_min",
    "backchannel_level_db_max",
    "backchannel_onset_s_min",
    "backchannel_onset_s_max",
)
_RATIO_ALIASES = {
    "backchannel_level_ratio_min": "backchannel_level_db_min",
    "backchannel_level_ratio_max": "backchannel_level_db_max",
}


@dataclass
class MixConfig:
    """Every knob of the ``mix`` stage (``duplexsynth.schedule``). See docs/stages/mix.md."""

    #: named starting point: natural | omniflatten | lively
    preset: str = DEFAULT_PRESET
    #: output sample rate; None = the turns' own rate (turns at other rates are resampled)
    sample_rate_hz: int | None = None
    #: frame rate of the frame-level labels (12.5 Hz = Mimi's)
    frame_rate_hz: float = 12.5
    #: silences shorter than this do not end an IPU (labels' activity and the realism stats)
    ipu_min_silence_s: float = 0.2
    #: minimum silence kept between two clips on the same channel
    channel_guard_s: float = 0.02
    #: stop-command texts looked up in the user's backchannel lexicon (lower-case, punctuation kept)
    stop_command_texts: tuple[str, ...] = DEFAULT_STOP_COMMAND_TEXTS

    # ---- preset-controlled knobs (None = take the preset's value) ----
    lead_silence_s_min: float | None = None
    lead_silence_s_max: float | None = None
    trail_silence_s_min: float | None = None
    trail_silence_s_max: float | None = None
    #: user -> assistant gap: log-normal with this mode (s) and shape sigma, capped at max
    reply_gap_mode_s: float | None = None
    reply_gap_sigma: float | None = None
    reply_gap_max_s: float | None = None
    #: share of assistant replies that start before the user has finished (negative gap)
    reply_overlap_prob: float | None = None
    reply_overlap_s_min: float | None = None
    reply_overlap_s_max: float | None = None
    #: an overlap never covers more than this fraction of the user's last word
    overlap_last_word_frac: float | None = None
    #: assistant -> user pause (and any same-speaker transition): log-normal mode/sigma/cap
    user_gap_mode_s: float | None = None
    user_gap_sigma: float | None = None
    user_gap_max_s: float | None = None
    #: probability that the user cuts into an assistant turn that is followed by a user turn
    interruption_prob: float | None = None
    #: the assistant says at least this many words / seconds before the user may cut in
    interruption_min_words: int | None = None
    interruption_min_s: float | None = None
    #: the assistant stops at the first word boundary after onset + this delay
    reaction_delay_s_min: float | None = None
    reaction_delay_s_max: float | None = None
    #: fade-out applied to the last ms before the cut
    fade_ms: float | None = None
    #: interrupting user turns may open with a spoken stop command ("wait, stop")
    stop_commands: bool | None = None
    stop_command_prob: float | None = None
    #: silence between the stop command and the rest of the user's turn
    stop_command_gap_s_min: float | None = None
    stop_command_gap_s_max: float | None = None
    #: master switch for backchannels; the two direction switches below apply when it is on
    backchannels: bool | None = None
    #: user backchannels during assistant turns
    user_backchannels: bool | None = None
    #: assistant backchannels during user turns
    assistant_backchannels: bool | None = None
    #: expected backchannels per minute of the other speaker's speech
    backchannel_rate_per_min: float | None = None
    #: backchannel RMS relative to the speaker's speech RMS, sampled uniformly in dB
    backchannel_level_db_min: float | None = None
    backchannel_level_db_max: float | None = None
    #: only turns with at least this much speech get backchannels
    backchannel_min_turn_s: float | None = None
    #: minimum time between two backchannels of one listener
    backchannel_min_spacing_s: float | None = None
    #: no backchannel within this many seconds of a turn's first or last word
    backchannel_edge_s: float | None = None
    #: a word boundary is "near a pause" when followed by this much silence or after punctuation
    backchannel_pause_s: float | None = None
    #: relative weight of boundaries that are not near a pause (near-pause boundaries weigh 1)
    backchannel_off_pause_weight: float | None = None
    #: backchannel speech starts this long after the chosen word boundary (uniform)
    backchannel_onset_s_min: float | None = None
    backchannel_onset_s_max: float | None = None
    #: a backchannel may run at most this far into the speaker's next word (else not placed)
    backchannel_overlap_max_s: float | None = None
    #: set the silences between the words of each turn from the pause model below instead of
    #: keeping the engine's (so one preset gives the same pauses with every TTS engine)
    pause_pacing: bool | None = None
    #: pauses per minute of a turn's speech (Poisson count per turn, placed at word boundaries)
    pause_rate_per_min: float | None = None
    #: relative weight of a boundary after a sentence end / a clause mark (, ; :) / other words
    pause_sentence_weight: float | None = None
    pause_clause_weight: float | None = None
    pause_word_weight: float | None = None
    #: a drawn pause: log-normal with this mode (s) and shape, clamped to [min, max]
    pause_mode_s: float | None = None
    pause_sigma: float | None = None
    pause_min_s: float | None = None
    pause_max_s: float | None = None
    #: silences without a drawn pause keep the engine's length up to this (below the IPU bridge)
    pause_short_s: float | None = None
    #: per-dialogue log-normal spread of the gap, pause, overlap and backchannel knobs (0 = none)
    dialogue_variation_sigma: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.preset, str):
            raise ValueError(f"mix preset must be a string, got {self.preset!r}")
        values = preset_values(self.preset)
        for knob in PRESET_KNOBS:
            if getattr(self, knob) is None:
                setattr(self, knob, values[knob])
        if isinstance(self.stop_command_texts, (list, tuple)):
            self.stop_command_texts = tuple(self.stop_command_texts)
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad knob and its value."""
        for f in dataclasses.fields(self):
            if f.name.startswith("_") or f.name in ("preset", "stop_command_texts"):
                continue
            value = getattr(self, f.name)
            if f.name == "sample_rate_hz":
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int) or value <= 0
                ):
                    raise ValueError(
                        f"mix.sample_rate_hz must be a positive integer or null, got {value!r}"
                    )
                continue
            if f.name in _BOOLS:
                if not isinstance(value, bool):
                    raise ValueError(f"mix.{f.name} must be true or false, got {value!r}")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"mix.{f.name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"mix.{f.name} must be finite, got {value!r}")
            if f.name in _INTS and (not isinstance(value, int) or value < 1):
                raise ValueError(f"mix.{f.name} must be an integer >= 1, got {value!r}")
            if f.name not in _SIGNED and value < 0:
                raise ValueError(f"mix.{f.name} must be >= 0, got {value!r}")
            if f.name in _PROBS and value > 1:
                raise ValueError(f"mix.{f.name} is a probability in [0, 1], got {value!r}")
        for name in ("frame_rate_hz", "reply_gap_mode_s", "user_gap_mode_s", "pause_mode_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"mix.{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 < self.overlap_last_word_frac <= 1:
            raise ValueError(
                f"mix.overlap_last_word_frac must be in (0, 1], got {self.overlap_last_word_frac!r}"
            )
        if self.reply_gap_max_s < self.reply_gap_mode_s:
            raise ValueError(
                f"mix.reply_gap_max_s ({self.reply_gap_max_s}) must be >= reply_gap_mode_s "
                f"({self.reply_gap_mode_s})"
            )
        if self.user_gap_max_s < self.user_gap_mode_s:
            raise ValueError(
                f"mix.user_gap_max_s ({self.user_gap_max_s}) must be >= user_gap_mode_s "
                f"({self.user_gap_mode_s})"
            )
        for lo, hi in _RANGES:
            if getattr(self, lo) > getattr(self, hi):
                raise ValueError(
                    f"mix.{lo} ({getattr(self, lo)}) must be <= mix.{hi} ({getattr(self, hi)})"
                )
        if self.backchannel_level_db_max > 12:
            raise ValueError(
                f"mix.backchannel_level_db_max must be <= 12 dB, got {self.backchannel_level_db_max}"
            )
        texts = self.stop_command_texts
        if not isinstance(texts, tuple) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError(
                f"mix.stop_command_texts must be a list of non-empty strings, got {texts!r}"
            )

    # ------------------------------------------------------------------ (de)serialization
    def to_dict(self) -> dict[str, Any]:
        """Every resolved knob (JSON/YAML-safe)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MixConfig:
        """Build from a mapping (a config file's ``mix`` section); ``ValueError`` on unknown keys
        or bad values, naming them. Keys not given come from ``preset`` (default natural)."""
        if not isinstance(d, dict):
            raise ValueError(f"the mix config must be a mapping, got {type(d).__name__}")
        values = dict(d)
        for alias, target in _RATIO_ALIASES.items():
            if alias in values:
                if target in values:
                    raise ValueError(f"mix: give either {alias} or {target}, not both")
                ratio = values.pop(alias)
                if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio <= 0:
                    raise ValueError(f"mix.{alias} must be a positive RMS ratio, got {ratio!r}")
                values[target] = gain_to_db(float(ratio))
        names = {f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(
                f"unknown mix config key(s): {', '.join(unknown)}; expected some of "
                f"{', '.join(sorted(names | set(_RATIO_ALIASES)))}"
            )
        if "stop_command_texts" in values and isinstance(values["stop_command_texts"], str):
            values["stop_command_texts"] = [values["stop_command_texts"]]
        for key in list(values):
            if key in _INTS and isinstance(values[key], float) and values[key].is_integer():
                values[key] = int(values[key])
        return cls(**values)
