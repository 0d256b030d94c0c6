"""``duplexsynth run``: the whole DAG as one Beam pipeline (see ``duplexsynth.pipelines.run``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from duplexsynth.cli.commands.common import (
    beam_arguments,
    finish,
    output_option,
    passed_options,
    read_config_file,
    run_or_fail,
    timing_defaults,
    timing_option,
    warn_empty_inputs,
)
from duplexsynth.config import cli_fields, cli_options, field_option
from duplexsynth.pipelines.config import RUN_SHORTCUTS, RunConfig, RunOptions


def shortcut_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One option per :data:`RUN_SHORTCUTS` entry, typed by the first key it sets."""
    for shortcut in reversed(RUN_SHORTCUTS):
        fn = field_option(
            shortcut.name,
            shortcut.field(),
            shortcut.flag,
            help=shortcut.help_text(),
            presentation={"show_default": shortcut.show_default},
        )(fn)
    return fn


def collect_overrides(passed: dict[str, Any], sets: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Section overrides from the flags the user passed (``passed``: parameter -> value), then
    the ``--set`` items (which win)."""
    from duplexsynth.pipelines.config import parse_set_option, shortcut_overrides

    overrides = shortcut_overrides(passed)
    overrides["run"] = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in passed.items()
        if name in cli_fields(RunOptions)
    }
    for item in sets:
        section, key, value = parse_set_option(item)
        overrides.setdefault(section, {})[key] = value
    return overrides


def run_config(
    config_path: str | None,
    timing: str | None,
    passed: dict[str, Any],
    sets: tuple[str, ...],
) -> RunConfig:
    """The run's settings: defaults <- the config file (with the ``--timing`` knobs under its
    ``mix`` section) <- the flags the user ``passed`` <- ``--set``; the stages built are those
    from the resolved ``run.from_stage`` on."""
    from duplexsynth.pipelines.config import build_run_config
    from duplexsynth.pipelines.run import stages_from

    file_data = read_config_file(config_path)
    if timing is not None:
        file_data = {
            **file_data,
            "mix": {**timing_defaults(timing), **(file_data.get("mix") or {})},
        }
    overrides = collect_overrides(passed, sets)
    run = RunOptions.from_dict({**(file_data.get("run") or {}), **overrides["run"]})
    return build_run_config(file_data, overrides, stages_from(run.from_stage))


@click.command("run")
@cli_options(RunOptions, only=("input",))
@output_option(
    "Output root; the run writes OUT/dialogues/part-*.parquet, OUT/rejects/<stage>/, "
    "OUT/config.yaml and OUT/summary.json."
)
@cli_options(RunOptions, exclude=("input",))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML or TOML file with a section per stage (filter, rewrite, synth, align, mix, "
    "augment, write) and an optional `run` section (the settings above: seed, input, limit, "
    "from_stage, shard, workers, progress_every_s).",
)
@timing_option
@shortcut_options
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Override any config value, e.g. --set filter.max_words_per_turn=120 --set augment.noise_p=0.5 "
    "(repeatable; VALUE is parsed as YAML; wins over the file and the flags).",
)
@beam_arguments
def command(
    output: str,
    config_path: str | None,
    timing: str | None,
    sets: tuple[str, ...],
    beam_args: tuple[str, ...],
    **_flags: Any,
) -> None:
    """Run filter -> rewrite -> synth -> align -> mix -> augment -> write as ONE Beam pipeline.

    Writes OUT/dialogues/part-*.parquet (one row per dialogue, stereo FLAC as a Hugging Face
    Audio column; channel 0 = assistant, 1 = user), every stage's rejects to
    OUT/rejects/<stage>/, the effective config to OUT/config.yaml and the run's counts to
    OUT/summary.json (input records = dialogues written + all rejects).

    Settings: defaults <- --config file <- the flags <- --set. Without --input the
    bundled sample corpus runs on the offline defaults. Anything after `--` goes to Beam,
    e.g. `-- --runner=PortableRunner --job_endpoint=embed --environment_type=LOOPBACK`;
    --input, --output and --cache-dir may be s3:// or gs:// URLs (object-store settings such
    as --s3_endpoint_url also go after `--`).
    """
    ctx = click.get_current_context()

    def _go() -> dict[str, Any]:
        from duplexsynth.pipelines.counting import parse_shard
        from duplexsynth.pipelines.run import RunSpec, run_pipeline

        config = run_config(config_path, timing, passed_options(ctx), sets)
        warn_empty_inputs(config.run.input)
        spec = RunSpec(
            output_root=output,
            config=config,
            beam_args=list(beam_args),
            progress_every_s=config.run.progress_every_s,
            shard=parse_shard(config.run.shard),
            workers=config.run.workers,
        )
        return run_pipeline(spec)

    summary = run_or_fail(_go)
    if summary is not None:
        click.echo(
            f"{summary['dialogues_written']} dialogues ({summary['audio_hours']:.4f} h) "
            f"written to {summary['output']}"
        )
        finish(summary, output)
