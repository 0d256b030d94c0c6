"""``duplexsynth augment``: gain, noise, echo, room reverb and channel effects on the user channel."""

from __future__ import annotations

import click

from duplexsynth.augment.config import NOISE_LEVEL_MODES, AugmentConfig
from duplexsynth.pipelines.commands.common import (
    cache_dir_option,
    config_option,
    load_stage_config,
    run_or_fail,
    stage_options,
)

_D = AugmentConfig()

#: click parameter name -> AugmentConfig field
OPTION_TO_FIELD = {
    "noise_dirs": "noise_dirs",
    "noise_include": "noise_include",
    "rir_dir": "rir_dir",
    "rir_include": "rir_include",
    "gain": "gain",
    "noise": "noise",
    "echo": "echo",
    "reverb": "reverb",
    "chain": "chain",
    "keep_clean": "keep_clean",
    "gain_p": "gain_p",
    "noise_p": "noise_p",
    "echo_p": "echo_p",
    "reverb_p": "reverb_p",
    "chain_p": "chain_p",
    "gain_db": "gain_db_range",
    "noise_level_mode": "noise_level_mode",
    "snr_db": "noise_snr_db_range",
    "noise_relative_db": "noise_relative_db_range",
    "noise_dbfs": "noise_dbfs_range",
    "echo_scale": "echo_scale_range",
    "echo_delay_ms": "echo_delay_ms_range",
    "rir_library_size": "rir_library_size",
    "channels": "channels",
    "cache_dir": "cache_dir",
}

_P = click.FloatRange(0, 1)


def _switch(name: str, what: str):
    flag = name.replace("_", "-")
    return click.option(
        f"--{flag}/--no-{flag}", name, default=getattr(_D, name), show_default=True, help=what
    )


def _prob(name: str, what: str):
    return click.option(
        f"--{name.replace('_', '-')}",
        type=_P,
        default=getattr(_D, name),
        show_default=True,
        help=what,
    )


def _pair(flag: str, field: str, what: str, kind=float):
    return click.option(
        flag,
        type=(kind, kind),
        default=getattr(_D, field),
        show_default=True,
        metavar="MIN MAX",
        help=what,
    )


@click.command("augment")
@stage_options(input_help="Output root of `duplexsynth mix` (reads IN/mixed/part-*.parquet).")
@click.option(
    "--noise-dir",
    "noise_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Directory of noise recordings, scanned recursively (MUSAN's noise/, DNS challenge's "
    "noise/ or noise_fullband/); any rate, mono or stereo. Repeatable. Odd files are skipped "
    "with a warning. Without it, noise is generated offline (coloured noise, hum, babble from "
    "the dialogue's own TTS audio, speech-shaped noise).",
)
@click.option(
    "--noise-include",
    multiple=True,
    help="Glob on paths relative to a noise dir to use (repeatable), e.g. 'noise/*' on a MUSAN root.",
)
@click.option(
    "--rir-dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Directory of measured room impulse responses (audio files) used instead of the "
    "simulated shoebox-room library.",
)
@click.option(
    "--rir-include",
    multiple=True,
    help="Glob on paths relative to --rir-dir to use (repeatable), e.g. '*rir*' when a folder "
    "mixes impulse responses with noise recordings (OpenSLR 28's real_rirs_isotropic_noises).",
)
@_switch("gain", "Random gain on the user's speech (peak-safe).")
@_switch("noise", "Background noise on the user channel.")
@_switch("echo", "Echo of the assistant channel into the user's microphone.")
@_switch("reverb", "Room reverb on the user's speech.")
@_switch("chain", "Channel effects (telephone, laptop, lo-fi chains).")
@_switch("keep_clean", "Keep the pre-augmentation stereo mix in the clean_audio column.")
@_prob("gain_p", "Share of dialogues whose user speech gets a random gain.")
@_prob("noise_p", "Share of dialogues that get noise.")
@_prob("echo_p", "Share of dialogues that get echo.")
@_prob("reverb_p", "Share of dialogues whose user speech gets room reverb.")
@_prob("chain_p", "Share of dialogues that go through a channel-effect chain.")
@_pair("--gain-db", "gain_db_range", "Gain range in dB (Moshi: -24 15).")
@click.option(
    "--noise-level-mode",
    type=click.Choice(NOISE_LEVEL_MODES),
    default=_D.noise_level_mode,
    show_default=True,
    help="How the noise level is set: snr (speech over noise, --snr-db), relative (noise re "
    "speech, --noise-relative-db, Moshi's -30..+6), dbfs (absolute, --noise-dbfs). Speech "
    "level = power over the user's speech spans; noise level = power while the noise is on.",
)
@_pair(
    "--snr-db",
    "noise_snr_db_range",
    "SNR range in dB for --noise-level-mode snr (OmniFlatten: 15 30).",
)
@_pair(
    "--noise-relative-db", "noise_relative_db_range", "Noise level re speech in dB (mode relative)."
)
@_pair("--noise-dbfs", "noise_dbfs_range", "Noise RMS in dBFS (mode dbfs).")
@_pair("--echo-scale", "echo_scale_range", "Echo amplitude as a fraction of the assistant's.")
@_pair("--echo-delay-ms", "echo_delay_ms_range", "Echo delay in milliseconds.")
@click.option(
    "--rir-library-size",
    type=click.IntRange(min=1),
    default=_D.rir_library_size,
    show_default=True,
    help="Rooms simulated once per (seed, room config) and cached on disk.",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    type=click.Choice(["user", "assistant"]),
    default=_D.channels,
    show_default=True,
    help="Channel(s) to augment (repeatable). Channels not named stay bit-for-bit as mixed.",
)
@cache_dir_option("the simulated RIR library")
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
        config = load_stage_config(AugmentConfig, "augment", config_path, ctx, OPTION_TO_FIELD)
        return run_transform_stage(
            "augment",
            AugmentTransform(config, seed),
            input_root=input_root,
            output_root=output,
            limit=limit,
            beam_args=beam_args,
            extra_summary={"seed": seed, "augmented_channels": list(config.channels)},
        )

    run_or_fail(_run)
