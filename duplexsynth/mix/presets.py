"""Named turn-taking presets: complete sets of scheduling knobs.

``natural`` (the default) is shaped like human conversation; ``omniflatten`` reproduces the
OmniFlatten recipe (no overlap, immediate replies, interruptions that stop the assistant at
once, no backchannels); ``lively`` has frequent backchannels and interruptions. A preset is
only a starting point: every knob can be overridden (``MixConfig(preset=..., knob=...)``,
a config file's ``mix`` section, or the ``duplexsynth mix`` flags).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

DEFAULT_PRESET = "natural"

#: the human-like preset: every preset-controlled knob with its value
NATURAL: dict[str, Any] = {
    # silence before the first and after the last word of the dialogue
    "lead_silence_s_min": 0.1,
    "lead_silence_s_max": 0.5,
    "trail_silence_s_min": 0.2,
    "trail_silence_s_max": 0.6,
    # user -> assistant: a log-normal gap (mode ~200 ms, ~90% under 500 ms) ...
    "reply_gap_mode_s": 0.2,
    "reply_gap_sigma": 0.55,
    "reply_gap_max_s": 1.2,
    # ... or, with this probability, a small overlap (the assistant starts early)
    # (tuned on bench/chat_corpus.py dialogues, measured from the audio: see docs/timing.md)
    "reply_overlap_prob": 0.5,
    "reply_overlap_s_min": 0.05,
    "reply_overlap_s_max": 0.6,
    "overlap_last_word_frac": 0.95,
    # assistant -> user: the pause before the next user turn, sampled separately
    "user_gap_mode_s": 0.2,
    "user_gap_sigma": 0.65,
    "user_gap_max_s": 2.0,
    # interruptions of the assistant by the user
    "interruption_prob": 0.25,
    "interruption_min_words": 3,
    "interruption_min_s": 1.0,
    "reaction_delay_s_min": 0.15,
    "reaction_delay_s_max": 0.4,
    "fade_ms": 20.0,
    "stop_commands": True,
    "stop_command_prob": 0.35,
    "stop_command_gap_s_min": 0.08,
    "stop_command_gap_s_max": 0.3,
    # backchannels of the listener during long turns
    "backchannels": True,
    "user_backchannels": True,
    "assistant_backchannels": True,
    "backchannel_rate_per_min": 11.0,
    "backchannel_level_db_min": -8.4,  # 0.38 x the speaker's RMS
    "backchannel_level_db_max": -3.1,  # 0.70 x the speaker's RMS
    "backchannel_min_turn_s": 2.0,
    "backchannel_min_spacing_s": 2.0,
    "backchannel_edge_s": 0.5,
    "backchannel_pause_s": 0.2,
    "backchannel_off_pause_weight": 0.0,
    "backchannel_onset_s_min": 0.15,
    "backchannel_onset_s_max": 0.35,
    "backchannel_overlap_max_s": 0.5,
    # pauses inside turns, independent of the TTS engine (mix/pacing.py)
    "pause_pacing": True,
    "pause_rate_per_min": 30.0,
    "pause_sentence_weight": 10.0,
    "pause_clause_weight": 4.0,
    "pause_word_weight": 0.3,
    "pause_mode_s": 0.35,
    "pause_sigma": 0.5,
    "pause_min_s": 0.25,
    "pause_max_s": 1.5,
    "pause_short_s": 0.12,
    # per-dialogue spread of gaps, pauses, overlaps and backchannel rate (log-normal sigma)
    "dialogue_variation_sigma": 0.2,
}

_OMNIFLATTEN: dict[str, Any] = {
    **NATURAL,
    "lead_silence_s_min": 0.1,
    "lead_silence_s_max": 0.3,
    "trail_silence_s_min": 0.1,
    "trail_silence_s_max": 0.3,
    "reply_gap_mode_s": 0.08,
    "reply_gap_sigma": 0.25,
    "reply_gap_max_s": 0.25,
    "reply_overlap_prob": 0.0,
    "user_gap_mode_s": 0.08,
    "user_gap_sigma": 0.25,
    "user_gap_max_s": 0.25,
    "interruption_prob": 0.2,
    "reaction_delay_s_min": 0.0,
    "reaction_delay_s_max": 0.0,
    "fade_ms": 10.0,
    "stop_commands": False,
    "backchannels": False,
    "pause_pacing": False,
    "dialogue_variation_sigma": 0.0,
}

_LIVELY: dict[str, Any] = {
    **NATURAL,
    "reply_gap_mode_s": 0.15,
    "reply_overlap_prob": 0.65,
    "user_gap_mode_s": 0.15,
    "interruption_prob": 0.4,
    "interruption_min_words": 2,
    "interruption_min_s": 0.6,
    "stop_command_prob": 0.5,
    "backchannel_rate_per_min": 24.0,
    "backchannel_min_turn_s": 1.2,
    "backchannel_min_spacing_s": 1.2,
    "backchannel_off_pause_weight": 0.3,
}

#: preset name -> knob values (read-only views)
PRESETS: MappingProxyType[str, MappingProxyType[str, Any]] = MappingProxyType(
    {
        "natural": MappingProxyType(NATURAL),
        "omniflatten": MappingProxyType(_OMNIFLATTEN),
        "lively": MappingProxyType(_LIVELY),
    }
)
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)
#: the knobs a preset sets (every other MixConfig field has a plain default)
PRESET_KNOBS: tuple[str, ...] = tuple(NATURAL)


def preset_values(name: str) -> dict[str, Any]:
    """A fresh dict of ``name``'s knob values; ``ValueError`` naming the choices if unknown."""
    if name not in PRESETS:
        raise ValueError(f"unknown mix preset {name!r}; expected one of {', '.join(PRESET_NAMES)}")
    return dict(PRESETS[name])
