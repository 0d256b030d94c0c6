"""``duplexsynth report OUT``: the dataset card OUT/README.md with plots."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.common import run_or_fail
from duplexsynth.cli.commands.outarg import existing_out, out_argument


@click.command("report")
@out_argument
@click.option(
    "--reference",
    default=None,
    help="Also compare the timing with this reference: a timing.yaml from `fit-timing` or real "
    "stereo recordings (WAV/FLAC file or folder, or a duplexsynth output).",
)
def command(out: str, beam_args: tuple[str, ...], reference: str | None) -> None:
    """Write the dataset card OUT/README.md, plots in OUT/report/*.png and OUT/report/stats.json.

    The card gives hours, dialogues, turns, voices, rejects by stage and reason (from
    OUT/rejects/ and OUT/summary.json), augmentation coverage (from each row's params), and
    turn-taking realism (IPU, pause, gap, overlap per minute; gap and overlap distributions;
    backchannel rate) against the human reference, with gap/overlap histograms, durations and
    voices plots; --reference adds the gap, pause and overlap distributions beside a fitted
    timing file or real recordings. It carries Hugging Face front matter, so OUT can be pushed as a dataset repo.

    OUT may be an object-store URL (`s3://bucket/run`; S3 endpoint and keys as Beam options
    after `--`): the card, plots and stats are written there and nothing locally. An
    unfinished run (OUT/_RUNNING or OUT/_FAILED) is refused.
    """
    from duplexsynth.dataset.report import write_report

    result = run_or_fail(lambda: write_report(existing_out(out), reference))
    click.echo(f"dataset card: {result['card']}")
    for name, path in result["plots"].items():
        click.echo(f"  plot {name}: {path}")
    click.echo(f"  stats: {result['stats']}")
