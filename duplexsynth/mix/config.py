"""``MixConfig``: a preset plus overrides, every scheduling knob with its unit in its name.

Knobs a preset controls default to ``None`` and are filled from the preset before the model
is validated (a ``mode="before"`` validator: the one preset-dependent default that generation can
not express as a constant), so ``MixConfig(preset="lively", interruption_prob=0.1)`` is the lively preset with one
override, and ``MixConfig()`` is the ``natural`` preset. ``to_dict()`` returns every resolved
value (JSON/YAML-safe); ``from_dict`` is its inverse and also accepts the backchannel level as
an RMS ratio (``backchannel_level_ratio_min``/``_max``) instead of dB.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import click
from pydantic import ConfigDict, Field, model_validator

from duplexsynth.audio import gain_to_db
from duplexsynth.config import Seconds, StageConfig, setting
from duplexsynth.mix.presets import (
    DEFAULT_PRESET,
    PRESET_KNOBS,
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


def _knob(description: str, **kwargs: Any) -> Any:
    """A preset-controlled knob: ``None`` until the preset fills it (the help gets the presets'
    values once the class exists, see :func:`_name_the_presets`)."""
    return setting(None, description, doc_default="preset", **kwargs)


#: the types of the preset-controlled knobs (None = take the preset's value), bounds said once
NonNegative = Annotated[float | None, Field(ge=0)]
Positive = Annotated[float | None, Field(gt=0)]
Probability = Annotated[float | None, Field(ge=0, le=1)]
Switch = bool | None


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
    ipu_min_silence_s: Seconds = setting(
        0.2, "Silences shorter than this do not end an IPU (labels and realism stats)."
    )
    channel_guard_s: Seconds = setting(
        0.02, "Minimum silence kept between two clips on the same channel."
    )
    stop_command_texts: tuple[str, ...] = setting(
        DEFAULT_STOP_COMMAND_TEXTS,
        "Stop-command texts looked up in the user's backchannel lexicon (lower-case, "
        "punctuation kept).",
    )

    # ---- preset-controlled knobs (None = take the preset's value) ----
    lead_silence_s_min: NonNegative = _knob("Silence before the first turn, lower bound (s).")
    lead_silence_s_max: NonNegative = _knob("Silence before the first turn, upper bound (s).")
    trail_silence_s_min: NonNegative = _knob("Silence after the last turn, lower bound (s).")
    trail_silence_s_max: NonNegative = _knob("Silence after the last turn, upper bound (s).")
    reply_gap_mode_s: Positive = _knob("User -> assistant gap: log-normal mode (s).")
    reply_gap_sigma: NonNegative = _knob("User -> assistant gap: log-normal shape.")
    reply_gap_max_s: NonNegative = _knob("User -> assistant gap: cap (s).")
    reply_overlap_prob: Probability = _knob(
        "Share of assistant replies that start before the user's last word ends.", flag=True
    )
    reply_overlap_s_min: NonNegative = _knob("Overlap of such a reply, lower bound (s).")
    reply_overlap_s_max: NonNegative = _knob("Overlap of such a reply, upper bound (s).")
    overlap_last_word_frac: float | None = _knob(
        "An overlap never covers more than this fraction of the user's last word.", gt=0, le=1
    )
    user_gap_mode_s: Positive = _knob(
        "Assistant -> user pause (and same-speaker transitions): log-normal mode (s)."
    )
    user_gap_sigma: NonNegative = _knob("Assistant -> user pause: log-normal shape.")
    user_gap_max_s: NonNegative = _knob("Assistant -> user pause: cap (s).")
    interruption_prob: Probability = _knob(
        "Probability that the user cuts into an assistant turn followed by a user turn.",
        flag=True,
    )
    interruption_min_words: int | None = _knob(
        "The assistant says at least this many words before the user may cut in.", ge=1
    )
    interruption_min_s: NonNegative = _knob(
        "The assistant speaks at least this long (s) before the user may cut in."
    )
    reaction_delay_s_min: NonNegative = _knob(
        "The assistant stops at the first word boundary after onset + this delay, lower bound (s)."
    )
    reaction_delay_s_max: NonNegative = _knob("Reaction delay, upper bound (s).")
    fade_ms: NonNegative = _knob("Fade-out over the last milliseconds before the cut.")
    stop_commands: Switch = _knob(
        "Let interrupting user turns open with a spoken stop command ('wait, stop') taken from the user's backchannel lexicon (skipped when the lexicon has none).",
        flag=True,
    )
    stop_command_prob: Probability = _knob(
        "Probability that an interruption opens with a stop command."
    )
    stop_command_gap_s_min: NonNegative = _knob(
        "Silence between the stop command and the rest of the turn, lower bound (s)."
    )
    stop_command_gap_s_max: NonNegative = _knob(
        "Silence between the stop command and the rest of the turn, upper bound (s)."
    )
    backchannels: Switch = _knob("Backchannels at all (both directions).", flag=True)
    user_backchannels: Switch = _knob("User backchannels during assistant turns.", flag=True)
    assistant_backchannels: Switch = _knob("Assistant backchannels during user turns.", flag=True)
    backchannel_rate_per_min: NonNegative = _knob(
        "Expected backchannels per minute of the other speaker's speech.", flag=True
    )
    backchannel_level_db_min: float | None = _knob(
        "Backchannel RMS relative to the speaker's speech RMS, lower bound (dB; or give backchannel_level_ratio_min as an RMS ratio)."
    )
    backchannel_level_db_max: float | None = _knob(
        "Backchannel level, upper bound (dB, at most 12; or backchannel_level_ratio_max).",
        le=12,
    )
    backchannel_min_turn_s: NonNegative = _knob(
        "Only turns with at least this much speech (s) get backchannels."
    )
    backchannel_min_spacing_s: NonNegative = _knob(
        "Minimum time (s) between two backchannels of one listener."
    )
    backchannel_edge_s: NonNegative = _knob(
        "No backchannel within this many seconds of a turn's first or last word."
    )
    backchannel_pause_s: NonNegative = _knob(
        "A word boundary is near a pause when followed by this much silence (s) or after punctuation."
    )
    backchannel_off_pause_weight: NonNegative = _knob(
        "Relative weight of boundaries not near a pause (near-pause ones weigh 1)."
    )
    backchannel_onset_s_min: float | None = _knob(
        "Backchannel starts this long after the chosen boundary, lower bound (s)."
    )
    backchannel_onset_s_max: float | None = _knob("Backchannel onset, upper bound (s).")
    backchannel_overlap_max_s: NonNegative = _knob(
        "A backchannel may run at most this far (s) into the speaker's next word."
    )
    pause_pacing: Switch = _knob(
        "Set the silences between the words of each turn from the pause model instead of keeping the engine's."
    )
    pause_rate_per_min: NonNegative = _knob(
        "Pauses per minute of a turn's speech (Poisson count, placed at word boundaries)."
    )
    pause_sentence_weight: NonNegative = _knob(
        "Relative weight of a boundary after a sentence end."
    )
    pause_clause_weight: NonNegative = _knob(
        "Relative weight of a boundary after a clause mark (, ; :)."
    )
    pause_word_weight: NonNegative = _knob("Relative weight of other word boundaries.")
    pause_mode_s: Positive = _knob("A drawn pause: log-normal mode (s).")
    pause_sigma: NonNegative = _knob("A drawn pause: log-normal shape.")
    pause_min_s: NonNegative = _knob("A drawn pause is clamped to at least this (s).")
    pause_max_s: NonNegative = _knob("A drawn pause is clamped to at most this (s).")
    pause_short_s: NonNegative = _knob(
        "Silences without a drawn pause keep the engine's length up to this (s)."
    )
    dialogue_variation_sigma: NonNegative = _knob(
        "Per-dialogue log-normal spread of the gap, pause, overlap and backchannel knobs (0 = none)."
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


def _name_the_presets(model: type[MixConfig]) -> None:
    """Each preset-controlled knob's help lists the presets' values (its default depends on
    ``--preset``); the help and the docs table are generated from the descriptions."""
    for name in PRESET_KNOBS:
        values = ", ".join(f"{preset} {PRESETS[preset][name]}" for preset in PRESET_NAMES)
        model.model_fields[name].description += f" [default: from --preset: {values}]"


_name_the_presets(MixConfig)
