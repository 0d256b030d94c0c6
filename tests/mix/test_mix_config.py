"""MixConfig: presets plus overrides, validation, round trips."""

from __future__ import annotations

import pytest

from duplexsynth.mix.config import MixConfig
from duplexsynth.mix.presets import PRESET_KNOBS, PRESETS


def test_default_is_the_natural_preset() -> None:
    cfg = MixConfig()
    assert cfg.preset == "natural"
    for knob in PRESET_KNOBS:
        assert getattr(cfg, knob) == PRESETS["natural"][knob]


def test_presets_are_what_they_promise() -> None:
    omni, natural, lively = (MixConfig(preset=p) for p in ("omniflatten", "natural", "lively"))
    assert omni.reply_overlap_prob == 0 and not omni.backchannels and not omni.stop_commands
    assert omni.reaction_delay_s_max == 0  # the assistant stops at once
    assert omni.interruption_prob > 0
    assert natural.reply_overlap_prob > 0 and natural.backchannels
    assert 0.15 <= natural.reaction_delay_s_min <= natural.reaction_delay_s_max <= 0.4
    assert lively.backchannel_rate_per_min > natural.backchannel_rate_per_min
    assert lively.interruption_prob > natural.interruption_prob


def test_overrides_win_over_the_preset_and_round_trip() -> None:
    cfg = MixConfig.from_dict({"preset": "lively", "interruption_prob": 0.05, "fade_ms": 50})
    assert cfg.interruption_prob == 0.05 and cfg.fade_ms == 50
    assert cfg.backchannel_rate_per_min == PRESETS["lively"]["backchannel_rate_per_min"]
    assert MixConfig.from_dict(cfg.to_dict()) == cfg
    assert MixConfig(preset="lively", interruption_prob=0.05, fade_ms=50) == cfg


def test_backchannel_level_as_rms_ratio() -> None:
    cfg = MixConfig.from_dict(
        {"backchannel_level_ratio_min": 0.5, "backchannel_level_ratio_max": 1.0}
    )
    assert cfg.backchannel_level_db_min == pytest.approx(-6.0206, abs=1e-3)
    assert cfg.backchannel_level_db_max == pytest.approx(0.0)
    with pytest.raises(ValueError, match="not both"):
        MixConfig.from_dict({"backchannel_level_ratio_min": 0.5, "backchannel_level_db_min": -6})


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"colour": 1}, "unknown mix option"),
        ({"preset": "chaotic"}, "mix.preset: .*got 'chaotic'"),
        ({"interruption_prob": 1.5}, "interruption_prob"),
        ({"reaction_delay_s_min": 0.5, "reaction_delay_s_max": 0.2}, "reaction_delay_s_min"),
        ({"backchannels": "yes"}, "mix.backchannels: .*valid boolean"),
        ({"fade_ms": -1}, "mix.fade_ms: .*greater than or equal to 0"),
        ({"frame_rate_hz": 0}, "mix.frame_rate_hz: .*greater than 0"),
        ({"interruption_min_words": 0}, "interruption_min_words"),
        ({"sample_rate_hz": 16000.5}, "sample_rate_hz"),
        ({"reply_gap_max_s": 0.1}, "reply_gap_max_s"),
        ({"stop_command_texts": [""]}, "stop_command_texts"),
        ({"backchannel_level_ratio_min": -1}, "positive RMS ratio"),
    ],
)
def test_bad_values_name_the_knob(values: dict, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        MixConfig.from_dict(values)


def test_the_preset_controlled_knobs_are_the_presets_knobs_and_their_help_names_them() -> None:
    knobs = {
        name
        for name, info in MixConfig.model_fields.items()
        if (info.json_schema_extra or {}).get("doc_default") == "preset"
    }
    assert knobs == set(PRESET_KNOBS)
    for name in knobs:
        info = MixConfig.model_fields[name]
        assert info.default is None  # filled from the preset
        natural = PRESETS["natural"][name]
        assert info.description.endswith("]") and f"natural {natural}," in info.description
