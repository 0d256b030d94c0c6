"""`duplexsynth run`'s flags come from one place: the `run` section's model (RunOptions) and the
shortcut flags that set stage keys (RUN_SHORTCUTS); both resolve into the run's config."""

from __future__ import annotations

import importlib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from duplexsynth.cli.commands.run import command as run_command
from duplexsynth.cli.commands.run import run_config
from duplexsynth.cli.main import main
from duplexsynth.config import cli_fields
from duplexsynth.pipelines.config import RUN_SHORTCUTS, RunOptions, config_class

OPTIONS = {p.name: p for p in run_command.params if isinstance(p, click.Option)}


def _model_default(info):
    default = info.get_default(call_default_factory=True)
    return tuple(default) if isinstance(default, list) else default


@pytest.mark.parametrize("name", sorted(cli_fields(RunOptions)))
def test_every_run_setting_is_a_flag_with_the_models_default_and_help(name: str) -> None:
    info = RunOptions.model_fields[name]
    option = OPTIONS[name]
    assert cli_fields(RunOptions)[name] in option.opts
    assert option.default == _model_default(info)
    assert option.help == info.description
    help_text = CliRunner().invoke(main, ["run", "--help"]).output
    assert cli_fields(RunOptions)[name] in help_text


@pytest.mark.parametrize("shortcut", RUN_SHORTCUTS, ids=lambda s: s.name)
def test_every_shortcut_sets_existing_keys_and_is_typed_by_the_first(shortcut) -> None:
    for target in shortcut.sets:
        section, key = target.split(".", 1)
        assert key in config_class(section).model_fields, f"{shortcut.flag}: no {target}"
    option = OPTIONS[shortcut.name]
    assert shortcut.flag in option.opts
    assert option.default == _model_default(shortcut.field())
    assert all(target in option.help for target in shortcut.sets)
    assert shortcut.name not in RunOptions.model_fields  # one flag, one meaning


@pytest.mark.parametrize("stage", ["filter", "rewrite", "synth", "align", "mix", "augment"])
def test_stage_commands_take_seed_and_limit_from_the_run_model(stage: str) -> None:
    command = importlib.import_module(f"duplexsynth.cli.commands.{stage}").command
    params = {p.name: p for p in command.params}
    for name in ("seed", "limit"):
        assert params[name].default == RunOptions.model_fields[name].default
        assert params[name].help == RunOptions.model_fields[name].description


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--workers", "-1"], "--workers"),
        (["--progress-every", "0"], "--progress-every"),
        (["--from", "nowhere"], "--from"),
        (["--preset", "wild"], "--preset"),
        (["--sample-rate", "100"], "--sample-rate"),
        (["--shard", "3/2"], "--shard"),
        (["--set", "run.workers=-1"], "run.workers"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_flag(args, flag: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["run", "--output", str(tmp_path / "o"), *args])
    assert res.exit_code == 2, res.output
    errors = [line for line in res.output.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1 and flag in errors[0], res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()


def test_file_flags_and_set_resolve_in_order(tmp_path: Path) -> None:
    conf = tmp_path / "run.yaml"
    conf.write_text(
        "run: {seed: 5, workers: 3, shard: 1/4, progress_every_s: 2.0}\nmix: {preset: lively}\n"
    )
    passed = {"workers": 1, "preset": "omniflatten", "sample_rate": 16000}
    config = run_config(str(conf), None, passed, ("run.seed=9", "run.from_stage=mix"))
    run = config.run
    assert (run.seed, run.workers, run.shard, run.progress_every_s) == (9, 1, "1/4", 2.0)
    # --set run.from_stage picks the stages that run; shortcuts reach only those
    assert list(config.stages) == ["mix", "augment", "write"]
    assert config.stages["mix"].preset == "omniflatten"  # the flag beats the file
    assert config.stages["mix"].sample_rate_hz == 16000
    assert config.stages["write"].sample_rate_hz == 16000


def test_a_chinese_run_voices_with_the_bank_it_names() -> None:
    passed = {"language": "zh", "voice_bank": "espeak"}
    config = run_config(None, None, passed, ())
    synth = config.stages["synth"]
    assert synth.language == "zh" and synth.voice_bank == synth.voice_bank_zh == "espeak"
    assert config.stages["filter"].language == config.stages["align"].language == "zh"


def test_a_bad_run_key_in_the_file_names_it(tmp_path: Path) -> None:
    conf = tmp_path / "run.yaml"
    conf.write_text("run: {workers: many}\n")
    with pytest.raises(ValueError, match=r"run\.workers: .*got 'many'"):
        run_config(str(conf), None, {}, ())
