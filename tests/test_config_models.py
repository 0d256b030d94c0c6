"""The stage config models are the one source of the commands' options, --set and the docs."""

from __future__ import annotations

import importlib

import click
import pytest

from duplexsynth.config import DeprecatedKeyWarning, cli_fields, options_table
from duplexsynth.pipelines.config import CONFIG_CLASSES, build_run_config, config_class

#: stage command module -> its config section
COMMANDS = {
    "filter": "filter",
    "rewrite": "rewrite",
    "synth": "synth",
    "align": "align",
    "mix": "mix",
    "augment": "augment",
}


@pytest.mark.parametrize("stage", sorted(COMMANDS))
def test_every_flagged_setting_is_an_option_with_the_models_default(stage: str) -> None:
    model = config_class(stage)
    command = importlib.import_module(f"duplexsynth.cli.commands.{stage}").command
    params = {p.name: p for p in command.params if isinstance(p, click.Option)}
    flags = cli_fields(model)
    assert flags, f"{stage}: no setting is a command-line option"
    for name, flag in flags.items():
        option = params[name]
        assert flag in option.opts, (stage, name, option.opts)
        default = model.model_fields[name].get_default(call_default_factory=True)
        if option.multiple:
            default = tuple(default)
        assert option.default == default, (stage, name, option.default, default)
        assert option.help == model.model_fields[name].description


@pytest.mark.parametrize("stage", sorted(CONFIG_CLASSES))
def test_defaults_round_trip_and_the_table_names_every_key(stage: str) -> None:
    model = config_class(stage)
    config = model()
    assert model.from_dict(config.to_dict()) == config
    table = options_table(model)
    for name in model.model_fields:
        assert f"| `{name}` |" in table


@pytest.mark.parametrize(
    ("section", "key", "suggestion"),
    [
        ("filter", "max_word_per_turn", "max_words_per_turn"),
        ("mix", "interuption_prob", "interruption_prob"),
        ("augment", "noise_pp", "noise_p"),
        ("write", "sample_rat", "sample_rate_hz"),
    ],
)
def test_set_names_an_unknown_key_and_suggests_the_close_one(section, key, suggestion) -> None:
    with pytest.raises(ValueError) as err:
        build_run_config({}, {section: {key: 1}}, stages=("filter", "mix", "augment", "write"))
    message = str(err.value)
    assert f"unknown {section} option(s): {key} (did you mean {suggestion}?)" in message


def test_a_bad_value_names_section_key_and_value() -> None:
    with pytest.raises(ValueError, match=r"augment\.noise_p: .*less than or equal to 1.*got 1\.5"):
        build_run_config({}, {"augment": {"noise_p": 1.5}}, stages=("augment",))


def test_sequences_from_yaml_fit_tuple_and_list_fields() -> None:
    augment = config_class("augment").from_dict({"gain_db_range": [-3, 3], "noise_dirs": "x"})
    assert augment.gain_db_range == (-3.0, 3.0) and augment.noise_dirs == ("x",)
    filt = config_class("filter").from_dict({"checks": ("code", "url")})
    assert filt.checks == ["code", "url"]


def _model_options():
    from duplexsynth.cli.commands import check_tts, serve_tts, stats
    from duplexsynth.dataset.stats import StatsOptions
    from duplexsynth.synth.check import Thresholds
    from duplexsynth.synth.config import SynthConfig

    engine = ("cosyvoice_model", "cosyvoice_repo", "cosyvoice_fp16")
    return [
        ("check-tts", check_tts.command, SynthConfig, check_tts.ENGINE_FIELDS),
        ("check-tts", check_tts.command, Thresholds, tuple(cli_fields(Thresholds))),
        ("serve-tts", serve_tts.command, SynthConfig, ("voice_bank", *engine)),
        ("stats", stats.command, StatsOptions, tuple(cli_fields(StatsOptions))),
    ]


@pytest.mark.parametrize(
    ("command", "model", "names"),
    [row[1:] for row in _model_options()],
    ids=[f"{row[0]}-{row[2].__name__}" for row in _model_options()],
)
def test_other_commands_take_their_settings_from_a_model(command, model, names) -> None:
    """One definition of check-tts's, serve-tts's and stats's settings: same flags, defaults
    and help text as the model's fields."""
    fields = model.model_fields
    params = {p.name: p for p in command.params}
    assert names
    for name in names:
        assert cli_fields(model)[name] in params[name].opts
        assert params[name].help == fields[name].description
        assert params[name].default == fields[name].get_default()


def test_cli_options_names_an_unknown_field() -> None:
    from duplexsynth.config import cli_options
    from duplexsynth.synth.config import SynthConfig

    with pytest.raises(ValueError, match="no field"):
        cli_options(SynthConfig, only=("cosyvoice_modle",))
    with pytest.raises(ValueError, match="no field"):
        cli_options(SynthConfig, exclude=("voice_bnak",))


@pytest.mark.parametrize("section", ["synth", "write"])
def test_a_renamed_key_is_still_read_with_a_warning(section: str) -> None:
    model = config_class(section)
    with pytest.warns(DeprecatedKeyWarning, match=rf"{section}\.sample_rate is deprecated"):
        old = model.from_dict({"sample_rate": 16000})
    assert old == model.from_dict({"sample_rate_hz": 16000})
    assert old.sample_rate_hz == 16000 and "sample_rate" not in old.to_dict()
    with pytest.raises(ValueError, match="either sample_rate_hz or its former name sample_rate"):
        model.from_dict({"sample_rate": 16000, "sample_rate_hz": 22050})


def test_layers_are_upgraded_before_they_merge() -> None:
    """A flag or --set with the new key beats the file's old key (and vice versa)."""
    with pytest.warns(DeprecatedKeyWarning):
        config = build_run_config(
            {"synth": {"sample_rate": 16000}, "write": {"sample_rate_hz": 16000}},
            {"synth": {"sample_rate_hz": 22050}, "write": {"sample_rate": 8000}},
            stages=("synth", "write"),
        )
    assert config.stages["synth"].sample_rate_hz == 22050
    assert config.stages["write"].sample_rate_hz == 8000


def test_a_retired_key_is_ignored_with_a_warning() -> None:
    model = config_class("rewrite")
    with pytest.warns(DeprecatedKeyWarning, match="rewrite.max_retry_after_s is ignored"):
        config = model.from_dict({"max_retry_after_s": 30.0, "max_attempts": 2})
    assert config == model(max_attempts=2) and "max_retry_after_s" not in config.to_dict()
