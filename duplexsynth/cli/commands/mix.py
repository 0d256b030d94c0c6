"""``duplexsynth mix``: schedule turn-taking and mix each aligned dialogue to stereo."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.common import (
    config_option,
    finish,
    load_stage_config,
    run_or_fail,
    stage_options,
)
from duplexsynth.config import cli_fields, cli_options
from duplexsynth.mix.config import MixConfig


@click.command("mix")
@stage_options(input_help="Output root of `duplexsynth align` (reads IN/aligned/part-*.parquet).")
@cli_options(MixConfig)
@click.option(
    "--timing",
    "timing_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Timing fitted by `duplexsynth fit-timing` (its `mix` knobs; the config file and the "
    "flags above override single knobs).",
)
@config_option("mix")
def command(
    input_root: str,
    output: str,
    seed: int,
    limit: int | None,
    beam_args: tuple[str, ...],
    config_path: str | None,
    timing_path: str | None,
    **_options,
) -> None:
    """Schedule turn-taking and mix each aligned dialogue into a stereo timeline.

    Reads IN/aligned/, writes OUT/mixed/part-*.parquet: channel 0 = assistant, channel 1 =
    user (moshi-finetune's convention), sample-exact clip placement, words on the stereo
    timeline, frame-level labels (12.5 Hz) and turn-taking events. Gaps, overlaps,
    interruptions (cut at word boundaries), stop commands and backchannels are sampled from an
    RNG seeded by (seed, dialogue id) and recorded in params["mix"]; the same input and seed
    give byte-identical shards. Dialogues that break the input contract go to
    OUT/rejects/mix/ as bad_input. Check the realism with `duplexsynth stats OUT`.
    """
    from duplexsynth.cli.commands.common import passed_options, read_config_file
    from duplexsynth.pipelines.stage import run_transform_stage
    from duplexsynth.pipelines.transforms.mix import MixTransform

    ctx = click.get_current_context()

    def _run():
        if timing_path is None:
            config = load_stage_config(MixConfig, "mix", config_path, ctx)
        else:
            from duplexsynth.mix.fit import load_timing

            values = dict(load_timing(timing_path)["mix"])
            values.update(read_config_file(config_path).get("mix") or {})
            values.update(passed_options(ctx, list(cli_fields(MixConfig))))
            config = MixConfig.from_dict(values)
        return run_transform_stage(
            "mix",
            MixTransform(config, seed),
            input_root=input_root,
            output_root=output,
            limit=limit,
            beam_args=beam_args,
            extra_summary={"preset": config.preset, "seed": seed},
        )

    finish(run_or_fail(_run), output)
    click.echo(f"realism figures: duplexsynth stats {output}", err=True)
