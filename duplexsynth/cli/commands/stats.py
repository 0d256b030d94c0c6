"""``duplexsynth stats OUT``: turn-taking realism figures beside the human reference."""

from __future__ import annotations

import json
from typing import Any

import click

from duplexsynth.cli.commands.common import run_or_fail
from duplexsynth.config import cli_options
from duplexsynth.dataset.stats import StatsOptions


@click.command("stats")
@click.argument("out", required=False, type=click.Path(file_okay=False))
@cli_options(StatsOptions)
@click.option(
    "--json/--no-json",
    "as_json",
    default=False,
    show_default=True,
    help="Print the full figures (per-minute, counts, distributions, reference) as JSON.",
)
def command(out: str | None, as_json: bool, **settings: Any) -> None:
    """Turn-taking realism of mixed dialogues beside human conversation.

    Reads OUT/dialogues, OUT/augmented or OUT/mixed (the first that exists, in that order) or
    --folder DIR. From the words on the stereo timeline: IPU = a channel's speech bounded by
    >= 0.2 s of silence; pause = silence between IPUs of one speaker; gap = silence between
    IPUs of different speakers; overlap = both speaking. Activity comes from the audio by
    default (--measure words: from the timeline words). --reference adds a side-by-side
    comparison of the per-minute figures and the gap/pause/overlap distributions. Prints cumulative seconds and counts
    per minute of audio, the gap and overlap distributions, and the human reference (Fisher:
    IPU 51.1, pause 6.4, gap 4.2, overlap 3.3 s per minute, as measured in the Moshi paper).
    """
    from duplexsynth.dataset.stats import find_stats_folder, folder_timing
    from duplexsynth.mix.stats import format_comparison, format_summary, summarize

    options = StatsOptions(**settings)
    reference, measure = options.reference, options.measure

    def _run():
        path = find_stats_folder(out, options.folder)
        summary = summarize(folder_timing(path, options), options.min_silence_s)
        summary["folder"] = str(path)
        summary["measure"] = measure
        if reference:
            from duplexsynth.mix.fit import reference_summary

            summary["reference_data"] = reference_summary(reference)
            summary["reference_data"]["source"] = reference
        return summary

    summary = run_or_fail(_run)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(f"{summary['folder']}:")
        click.echo(format_summary(summary))
        if reference:
            click.echo("")
            click.echo(format_comparison(summary, summary["reference_data"], reference))
    if not summary["dialogues"]:
        click.echo("warning: no mixed dialogues found", err=True)
