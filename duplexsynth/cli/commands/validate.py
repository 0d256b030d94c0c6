"""``duplexsynth validate OUT``: check the final shards against the contract."""

from __future__ import annotations

import sys

import click

from duplexsynth.cli.commands.common import run_or_fail
from duplexsynth.cli.commands.outarg import existing_out, out_argument


@click.command("validate")
@out_argument
@click.option(
    "--max-problems",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Stop after this many problems (the exit status is non-zero either way).",
)
def command(out: str, beam_args: tuple[str, ...], max_problems: int) -> None:
    """Check OUT/dialogues/part-*.parquet against the stage contract.

    Schema version and fields, Hugging Face features metadata, unique ids, audio that decodes
    to 2 channels at sample_rate and lasts duration_s, words inside the audio and inside speech
    on their channel (energy check), turns on their speaker's channel and consistent with the
    words. Prints one line per problem (dialogue id, check, message) and exits 1, or prints a
    one-line OK summary and exits 0. OUT may be an object-store URL (`s3://bucket/out`; S3
    endpoint and keys as Beam options after `--`).
    """
    from duplexsynth.dataset.validate import validate_output

    result = run_or_fail(lambda: validate_output(existing_out(out), max_problems=max_problems))
    for problem in result.problems:
        click.echo(str(problem))
    if not result.ok:
        counts = ", ".join(f"{k}: {v}" for k, v in result.counts().items())
        click.echo(f"{result.summary_line()} [{counts}]")
        sys.exit(1)
    click.echo(result.summary_line())
