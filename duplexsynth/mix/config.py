"""``MixConfig``: a preset plus overrides, every scheduling knob with its unit in its name.

Knobs a preset controls default to ``None`` and are filled from the preset before the model
is validated (a ``mode="before"`` validator: the one preset-dependent default that generation can
not express as a constant), so ``MixConfig(preset="lively", interruption_prob=0.1)`` is the lively preset with one
override, and ``MixConfig()`` is the ``natural`` preset. ``to_dict()`` returns every resolved
value (JSON/YAML-safe); ``from_dict`` is its inverse and also accepts the backchannel level as
an RMS ratio (``backchannel_level_ratio_min``/``_max``) instead of dB.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import click
from pydantic import ConfigDict, model_validator

from duplexsynth.audio import gain_to_db
from duplexsynth.config import StageConfig, setting
from duplexsynth.mix.presets import (
    DEFAULT_PRESET,
    PRESET_NAMES,
    PRESETS,
    preset_values,
)

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
_RATIO_ALIASES = {
    "backchannel_level_ratio_min": "backchannel_level_db_min",
    "backchannel_level_ratio_max": "backchannel_level_db_max",
}


def _by_preset(knob: str) -> str:
    values = ", ".join(f"{name} {PRESETS[name][knob]}" for name in PRESET_NAMES)
    return f" [default: from --preset: {values}]"


def _knob(name: str, description: str, **kwargs: Any) -> Any:
    """A preset-controlled knob: ``None`` until the preset fills it; its help lists the presets'."""
    return setting(None, description + _by_preset(name), doc_default="preset", **kwargs)


class MixConfig(StageConfig):
    """Every knob of the ``mix`` stage (``duplexsynth.mix``). See docs/stages/mix.md."""

    SECTION: ClassVar[str] = "mix"
    model_config = ConfigDict(allow_inf_nan=False)

    preset: Literal[PRESET_NAMES] = setting(  # type: ignore[valid-type]
        DEFAULT_PRESET,
        "Turn-taking style: natural (human-like gaps, overlaps, backchannels, interruptions), "
        "omniflatten (no overlap, immediate replies, the assistant stops at once when "
        "interrupted, no backchannels), lively (frequent backchannels and interruptions). Other "
        "flags and the config file override single knobs.",
        flag=True,
    )
    sample_rate_hz: int | None = setting(
        None,
        "Output sample rate [default: the turns' own rate; other rates are resampled].",
        flag="--sample-rate",
        click_type=click.IntRange(min=1000),
        gt=0,
    )
    frame_rate_hz: float = setting(
        12.5,
        "Frame rate of the frame-level activity/state labels (12.5 Hz = Mimi's).",
        flag=True,
        gt=0,
    )
    ipu_min_silence_s: float = setting(
        0.2, "Silences shorter than this do not end an IPU (labels and realism stats).", ge=0
    )
    channel_guard_s: float = setting(
        0.02, "Minimum silence kept between two clips on the same channel.", ge=0
    )
    stop_command_texts: tuple[str, ...] = setting(
        DEFAULT_STOP_COMMAND_TEXTS,
        "Stop-command texts looked up in the user's backchannel lexicon (lower-case, "
        "punctuation kept).",
    )

    # ---- preset-controlled knobs (None = take the preset's value) ----
    lead_silence_s_min: float | None = _knob(
        "lead_silence_s_min", "Silence before the first turn, lower bound (s).", ge=0
    )
    lead_silence_s_max: float | None = _knob(
        "lead_silence_s_max", "Silence before the first turn, upper bound (s).", ge=0
    )
    trail_silence_s_min: float | None = _knob(
        "trail_silence_s_min", "Silence after the last turn, lower bound (s).", ge=0
    )
    trail_silence_s_max: float | None = _knob(
        "trail_silence_s_max", "Silence after the last turn, upper bound (s).", ge=0
    )
    reply_gap_mode_s: float | None = _knob(
        "reply_gap_mode_s", "User -> assistant gap: log-normal mode (s).", gt=0
    )
    reply_gap_sigma: float | None = _knob(
        "reply_gap_sigma", "User -> assistant gap: log-normal shape.", ge=0
    )
    reply_gap_max_s: float | None = _knob(
        "reply_gap_max_s", "User -> assistant gap: cap (s).", ge=0
    )
    reply_overlap_prob: float | None = _knob(
        "reply_overlap_prob",
        "Share of assistant replies that start before the user's last word ends.",
        flag=True,
        ge=0,
        le=1,
    )
    reply_overlap_s_min: float | None = _knob(
        "reply_overlap_s_min", "Overlap of such a reply, lower bound (s).", ge=0
    )
    reply_overlap_s_max: float | None = _knob(
        "reply_overlap_s_max", "Overlap of such a reply, upper bound (s).", ge=0
    )
    overlap_last_word_frac: float | None = _knob(
        "overlap_last_word_frac",
        "An overlap never covers more than this fraction of the user's last word.",
        gt=0,
        le=1,
    )
    user_gap_mode_s: float | None = _knob(
        "user_gap_mode_s",
        "Assistant -> user pause (and same-speaker transitions): log-normal mode (s).",
        gt=0,
    )
    user_gap_sigma: float | None = _knob(
        "user_gap_sigma", "Assistant -> user pause: log-normal shape.", ge=0
    )
    user_gap_max_s: float | None = _knob(
        "user_gap_max_s", "Assistant -> user pause: cap (s).", ge=0
    )
    interruption_prob: float | None = _knob(
        "interruption_prob",
        "Probability that the user cuts into an assistant turn followed by a user turn.",
        flag=True,
        ge=0,
        le=1,
    )
    interruption_min_words: int | None = _knob(
        "interruption_min_words",
        "The assistant says at least this many words before the user may cut in.",
        ge=1,
    )
    interruption_min_s: float | None = _knob(
        "interruption_min_s",
        "The assistant speaks at least this long (s) before the user may cut in.",
        ge=0,
    )
    reaction_delay_s_min: float | None = _knob(
        "reaction_delay_s_min",
        "The assistant stops at the first word boundary after onset + this delay, lower bound (s).",
        ge=0,
    )
    reaction_delay_s_max: float | None = _knob(
        "reaction_delay_s_max", "Reaction delay, upper bound (s).", ge=0
    )
    fade_ms: float | None = _knob(
        "fade_ms", "Fade-out over the last milliseconds before the cut.", ge=0
    )
    stop_commands: bool | None = _knob(
        "stop_commands",
        "Let interrupting user turns open with a spoken stop command ('wait, stop') taken from the user's backchannel lexicon (skipped when the lexicon has none).",
        flag=True,
    )
    stop_command_prob: float | None = _knob(
        "stop_command_prob",
        "Probability that an interruption opens with a stop command.",
        ge=0,
        le=1,
    )
    stop_command_gap_s_min: float | None = _knob(
        "stop_command_gap_s_min",
        "Silence between the stop command and the rest of the turn, lower bound (s).",
        ge=0,
    )
    stop_command_gap_s_max: float | None = _knob(
        "stop_command_gap_s_max",
        "Silence between the stop command and the rest of the turn, upper bound (s).",
        ge=0,
    )
    backchannels: bool | None = _knob(
        "backchannels", "Backchannels at all (both directions).", flag=True
    )
    user_backchannels: bool | None = _knob(
        "user_backchannels", "User backchannels during assistant turns.", flag=True
    )
    assistant_backchannels: bool | None = _knob(
        "assistant_backchannels", "Assistant backchannels during user turns.", flag=True
    )
    backchannel_rate_per_min: float | None = _knob(
        "backchannel_rate_per_min",
        "Expected backchannels per minute of the other speaker's speech.",
        flag=True,
        ge=0,
    )
    backchannel_level_db_min: float | None = _knob(
        "backchannel_level_db_min",
        "Backchannel RMS relative to the speaker's speech RMS, lower bound (dB; or give backchannel_level_ratio_min as an RMS ratio).",
    )
    backchannel_level_db_max: float | None = _knob(
        "backchannel_level_db_max",
        "Backchannel level, upper bound (dB, at most 12; or backchannel_level_ratio_max).",
        le=12,
    )
    backchannel_min_turn_s: float | None = _knob(
        "backchannel_min_turn_s",
        "Only turns with at least this much speech (s) get backchannels.",
        ge=0,
    )
    backchannel_min_spacing_s: float | None = _knob(
        "backchannel_min_spacing_s",
        "Minimum time (s) between two backchannels of one listener.",
        ge=0,
    )
    backchannel_edge_s: float | None = _knob(
        "backchannel_edge_s",
        "No backchannel within this many seconds of a turn's first or last word.",
        ge=0,
    )
    backchannel_pause_s: float | None = _knob(
        "backchannel_pause_s",
        "A word boundary is near a pause when followed by this much silence (s) or after punctuation.",
        ge=0,
    )
    backchannel_off_pause_weight: float | None = _knob(
        "backchannel_off_pause_weight",
        "Relative weight of boundaries not near a pause (near-pause ones weigh 1).",
        ge=0,
    )
    backchannel_onset_s_min: float | None = _knob(
        "backchannel_onset_s_min",
        "Backchannel starts this long after the chosen boundary, lower bound (s).",
    )
    backchannel_onset_s_max: float | None = _knob(
        "backchannel_onset_s_max", "Backchannel onset, upper bound (s)."
    )
    backchannel_overlap_max_s: float | None = _knob(
        "backchannel_overlap_max_s",
        "A backchannel may run at most this far (s) into the speaker's next word.",
        ge=0,
    )
    pause_pacing: bool | None = _knob(
        "pause_pacing",
        "Set the silences between the words of each turn from the pause model instead of keeping the engine's.",
    )
    pause_rate_per_min: float | None = _knob(
        "pause_rate_per_min",
        "Pauses per minute of a turn's speech (Poisson count, placed at word boundaries).",
        ge=0,
    )
    pause_sentence_weight: float | None = _knob(
        "pause_sentence_weight", "Relative weight of a boundary after a sentence end.", ge=0
    )
    pause_clause_weight: float | None = _knob(
        "pause_clause_weight", "Relative weight of a boundary after a clause mark (, ; :).", ge=0
    )
    pause_word_weight: float | None = _knob(
        "pause_word_weight", "Relative weight of other word boundaries.", ge=0
    )
    pause_mode_s: float | None = _knob("pause_mode_s", "A drawn pause: log-normal mode (s).", gt=0)
    pause_sigma: float | None = _knob("pause_sigma", "A drawn pause: log-normal shape.", ge=0)
    pause_min_s: float | None = _knob(
        "pause_min_s", "A drawn pause is clamped to at least this (s).", ge=0
    )
    pause_max_s: float | None = _knob(
        "pause_max_s", "A drawn pause is clamped to at most this (s).", ge=0
    )
    pause_short_s: float | None = _knob(
        "pause_short_s",
        "Silences without a drawn pause keep the engine's length up to this (s).",
        ge=0,
    )
    dialogue_variation_sigma: float | None = _knob(
        "dialogue_variation_sigma",
        "Per-dialogue log-normal spread of the gap, pause, overlap and backchannel knobs (0 = none).",
        ge=0,
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_from_preset(cls, data: Any) -> Any:
        """Knobs not given (or null) come from the preset; RMS-ratio aliases become dB."""
        if not isinstance(data, dict):
            return data
        values = dict(data)
        for alias, target in _RATIO_ALIASES.items():
            if alias in values:
                if target in values:
                    raise ValueError(f"give either {alias} or {target}, not both")
                ratio = values.pop(alias)
                if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio <= 0:
                    raise ValueError(f"{alias} must be a positive RMS ratio, got {ratio!r}")
                values[target] = gain_to_db(float(ratio))
        preset = values.get("preset", DEFAULT_PRESET)
        if isinstance(preset, str) and preset in PRESETS:
            for knob, value in preset_values(preset).items():
                if values.get(knob) is None:
                    values[knob] = value
        texts = values.get("stop_command_texts")
        if isinstance(texts, str):
            values["stop_command_texts"] = (texts,)
        elif isinstance(texts, list):
            values["stop_command_texts"] = tuple(texts)
        n = values.get("interruption_min_words")
        if isinstance(n, float) and n.is_integer():
            values["interruption_min_words"] = int(n)
        return values

    @model_validator(mode="after")
    def _ranges_ordered(self) -> MixConfig:
        for lo, hi in (
            ("reply_gap_mode_s", "reply_gap_max_s"),
            ("user_gap_mode_s", "user_gap_max_s"),
        ):
            if getattr(self, hi) < getattr(self, lo):
                raise ValueError(
                    f"{hi} ({getattr(self, hi)}) must be >= {lo} ({getattr(self, lo)})"
                )
        for lo, hi in _RANGES:
            if getattr(self, lo) > getattr(self, hi):
                raise ValueError(
                    f"{lo} ({getattr(self, lo)}) must be <= {hi} ({getattr(self, hi)})"
                )
        if not all(t.strip() for t in self.stop_command_texts):
            raise ValueError(
                f"stop_command_texts must be non-empty strings, got {list(self.stop_command_texts)!r}"
            )
        return self
