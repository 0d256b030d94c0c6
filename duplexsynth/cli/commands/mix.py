"""``duplexsynth mix``: schedule turn-taking and mix each aligned dialogue to stereo."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.common import timing_defaults, timing_option
from duplexsynth.cli.commands.stage_command import StageArgs, StagePlan, stage_command
from duplexsynth.mix.config import MixConfig


@stage_command(
    "mix",
    MixConfig,
    options=[timing_option],
    defaults=lambda options: timing_defaults(options["timing"]),
)
def command(args: StageArgs) -> StagePlan:
    """Schedule turn-taking and mix each aligned dialogue into a stereo timeline.

    Reads IN/aligned/, writes OUT/mixed/part-*.parquet: channel 0 = assistant, channel 1 =
    user (moshi-finetune's convention), sample-exact clip placement, words on the stereo
    timeline, frame-level labels (12.5 Hz) and turn-taking events. Gaps, overlaps,
    interruptions (cut at word boundaries), stop commands and backchannels are sampled from an
    RNG seeded by (seed, dialogue id) and recorded in params["mix"]; the same input and seed
    give byte-identical shards. Dialogues that break the input contract go to
    OUT/rejects/mix/ as bad_input. Check the realism with `duplexsynth stats OUT`.
    """
    from duplexsynth.pipelines.transforms.mix import MixTransform

    def after(_summary: dict) -> None:
        click.echo(f"realism figures: duplexsynth stats {args.output}", err=True)

    return StagePlan(
        MixTransform(args.config, args.seed),
        {"preset": args.config.preset, "seed": args.seed},
        after=after,
    )
