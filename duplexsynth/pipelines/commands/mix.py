"""``duplexsynth mix``: schedule turn-taking and mix each aligned dialogue to stereo."""

from __future__ import annotations

import click

from duplexsynth.pipelines.commands.common import (
    config_option,
    load_stage_config,
    run_or_fail,
    stage_options,
)
from duplexsynth.schedule.presets import DEFAULT_PRESET, PRESET_NAMES, PRESETS

#: click parameter name -> MixConfig field
OPTION_TO_FIELD = {
    "preset": "preset",
    "interruption_prob": "interruption_prob",
    "reply_overlap_prob": "reply_overlap_prob",
    "backchannel_rate_per_min": "backchannel_rate_per_min",
    "backchannels": "backchannels",
    "user_backchannels": "user_backchannels",
    "assistant_backchannels": "assistant_backchannels",
    "stop_commands": "stop_commands",
    "sample_rate": "sample_rate_hz",
    "frame_rate_hz": "frame_rate_hz",
}


def _by_preset(knob: str) -> str:
    values = ", ".join(f"{name} {PRESETS[name][knob]}" for name in PRESET_NAMES)
    return f"[default: from --preset: {values}]"


@click.command("mix")
@stage_options(input_help="Output root of `duplexsynth align` (reads IN/aligned/part-*.parquet).")
@click.option(
    "--preset",
    type=click.Choice(PRESET_NAMES),
    default=DEFAULT_PRESET,
    show_default=True,
    help="Turn-taking style: natural (human-like gaps, overlaps, backchannels, interruptions), "
    "omniflatten (no overlap, immediate replies, the assistant stops at once when interrupted, "
    "no backchannels), lively (frequent backchannels and interruptions). Other flags and the "
    "config file override single knobs.",
)
@click.option(
    "--interruption-prob",
    type=click.FloatRange(0, 1),
    default=None,
    show_default=True,
    help="Probability that the user cuts into an assistant turn followed by a user turn. "
    + _by_preset("interruption_prob"),
)
@click.option(
    "--reply-overlap-prob",
    type=click.FloatRange(0, 1),
    default=None,
    show_default=True,
    help="Share of assistant replies that start before the user's last word ends. "
    + _by_preset("reply_overlap_prob"),
)
@click.option(
    "--backchannel-rate-per-min",
    type=click.FloatRange(min=0),
    default=None,
    show_default=True,
    help="Expected backchannels per minute of the other speaker's speech. "
    + _by_preset("backchannel_rate_per_min"),
)
@click.option(
    "--backchannels/--no-backchannels",
    default=None,
    show_default=True,
    help="Backchannels at all (both directions). " + _by_preset("backchannels"),
)
@click.option(
    "--user-backchannels/--no-user-backchannels",
    default=None,
    show_default=True,
    help="User backchannels during assistant turns. " + _by_preset("user_backchannels"),
)
@click.option(
    "--assistant-backchannels/--no-assistant-backchannels",
    default=None,
    show_default=True,
    help="Assistant backchannels during user turns. " + _by_preset("assistant_backchannels"),
)
@click.option(
    "--stop-commands/--no-stop-commands",
    default=None,
    show_default=True,
    help="Let interrupting user turns open with a spoken stop command ('wait, stop') taken from "
    "the user's backchannel lexicon (skipped when the lexicon has none). "
    + _by_preset("stop_commands"),
)
@click.option(
    "--sample-rate",
    type=click.IntRange(min=1000),
    default=None,
    show_default=True,
    help="Output sample rate [default: the turns' own rate; other rates are resampled].",
)
@click.option(
    "--frame-rate-hz",
    type=click.FloatRange(min=0, min_open=True),
    default=12.5,
    show_default=True,
    help="Frame rate of the frame-level activity/state labels (12.5 Hz = Mimi's).",
)
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
    from duplexsynth.pipelines.commands.common import passed_options, read_config_file
    from duplexsynth.pipelines.stage import run_transform_stage
    from duplexsynth.pipelines.transforms.mix import MixTransform
    from duplexsynth.schedule.config import MixConfig

    ctx = click.get_current_context()

    def _run():
        if timing_path is None:
            config = load_stage_config(MixConfig, "mix", config_path, ctx, OPTION_TO_FIELD)
        else:
            from duplexsynth.schedule.fit import load_timing

            values = dict(load_timing(timing_path)["mix"])
            values.update(read_config_file(config_path).get("mix") or {})
            for opt, value in passed_options(ctx, list(OPTION_TO_FIELD)).items():
                values[OPTION_TO_FIELD[opt]] = value
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

    run_or_fail(_run)
    click.echo(f"realism figures: duplexsynth stats {output}", err=True)
