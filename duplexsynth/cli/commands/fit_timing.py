"""``duplexsynth fit-timing``: fit the mix timing knobs to real two-channel conversations."""

from __future__ import annotations

from pathlib import Path

import click

from duplexsynth.cli.commands.common import run_or_fail


@click.command("fit-timing")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    required=True,
    help="Where to write the fitted timing (YAML), for `mix/run --timing` and `stats --reference`.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Use only the first N conversations."
)
def command(inputs: tuple[str, ...], output: str, limit: int | None) -> None:
    """Fit gap, overlap, pause, backchannel and interruption timing to real conversations.

    INPUTS are stereo WAV/FLAC files or folders of them (one speaker per channel, any rate;
    channel 0 = the assistant's side, 1 = the user's; a moshi-finetune export is such a
    folder) or duplexsynth output roots. Speech activity per channel comes from an energy VAD
    (IPUs bridged over < 0.2 s). Writes the fitted mix knobs (`mix:`, the natural preset
    underneath) and the recordings' own figures (`measured:`). See docs/timing.md.
    """
    import yaml

    from duplexsynth.mix.fit import fit_timing
    from duplexsynth.mix.stats import format_summary

    fit = run_or_fail(lambda: fit_timing(list(inputs), limit))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(yaml.safe_dump(fit.to_dict(), sort_keys=False))
    click.echo(format_summary(fit.measured))
    click.echo(f"fitted timing written to {output} (use: duplexsynth run --timing {output})")
