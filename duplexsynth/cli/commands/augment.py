"""``duplexsynth augment``: gain, noise, echo, room reverb and channel effects on the user channel."""

from __future__ import annotations

import click

from duplexsynth.augment.config import AugmentConfig
from duplexsynth.cli.commands.common import (
    config_option,
    finish,
    load_stage_config,
    run_or_fail,
    stage_options,
)
from duplexsynth.cli.commands.outarg import existing_dirs
from duplexsynth.config import cli_options


@click.command("augment")
@stage_options(input_help="Output root of `duplexsynth mix` (reads IN/mixed/part-*.parquet).")
@cli_options(AugmentConfig)
@config_option("augment")
def command(
    input_root: str,
    output: str,
    seed: int,
    limit: int | None,
    beam_args: tuple[str, ...],
    config_path: str | None,
    **_options,
) -> None:
    """Augment the user channel of mixed dialogues: gain, noise, echo, reverb, channel effects.

    Reads IN/mixed/, writes OUT/augmented/part-*.parquet. By default only channel 1 (user)
    changes; channel 0 (assistant, the training target) stays bit-for-bit as mixed. Defaults
    follow Moshi's recipe: gain -24..+15 dB on 50% of dialogues; noise on 30% at -30..+6 dB
    relative to the user's speech, continuous or alternating with silence; echo of the
    assistant x U[0, 0.2] delayed 100-500 ms through a room on 30%; plus room reverb (30%) and
    channel-effect chains (20%). Rooms are simulated once with pyroomacoustics and cached.
    Nothing moves in time, so word alignments stay valid. Every sampled value is recorded in
    params["augment"]; the clean mix stays in clean_audio. Same input and seed give
    byte-identical shards.
    """
    from duplexsynth.pipelines.stage import run_transform_stage
    from duplexsynth.pipelines.transforms.augment import AugmentTransform

    ctx = click.get_current_context()

    def _run():
        config = load_stage_config(AugmentConfig, "augment", config_path, ctx)
        existing_dirs(config.noise_dirs, "--noise-dir")
        existing_dirs(config.rir_dir, "--rir-dir")
        return run_transform_stage(
            "augment",
            AugmentTransform(config, seed),
            input_root=input_root,
            output_root=output,
            limit=limit,
            beam_args=beam_args,
            extra_summary={"seed": seed, "augmented_channels": list(config.channels)},
        )

    finish(run_or_fail(_run), output)
