"""``duplexsynth augment``: gain, noise, echo, room reverb and channel effects on the user channel."""

from __future__ import annotations

from duplexsynth.augment.config import AugmentConfig
from duplexsynth.cli.commands.outarg import existing_dirs
from duplexsynth.cli.commands.stage_command import StageArgs, StagePlan, stage_command


@stage_command("augment", AugmentConfig)
def command(args: StageArgs) -> StagePlan:
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
    from duplexsynth.pipelines.transforms.augment import AugmentTransform

    existing_dirs(args.config.noise_dirs, "--noise-dir")
    existing_dirs(args.config.rir_dir, "--rir-dir")
    return StagePlan(
        AugmentTransform(args.config, args.seed),
        {"seed": args.seed, "augmented_channels": list(args.config.channels)},
    )
