"""``duplexsynth stats OUT``: turn-taking realism figures beside the human reference."""

from __future__ import annotations

import json

import click

from duplexsynth.cli.commands.common import run_or_fail


@click.command("stats")
@click.argument("out", required=False, type=click.Path(file_okay=False))
@click.option(
    "--folder",
    type=click.Path(file_okay=False),
    default=None,
    help="Read this folder of part-*.parquet files instead of OUT's stage folders.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Use only the first N dialogues (in file order).",
)
@click.option(
    "--min-silence-s",
    type=click.FloatRange(min=0),
    default=0.2,
    show_default=True,
    help="Silences shorter than this do not end an IPU (0.2 s is the usual definition).",
)
@click.option(
    "--measure",
    type=click.Choice(["audio", "words"]),
    default="audio",
    show_default=True,
    help="Speech activity from the stereo audio (energy VAD: what a listener hears, engine "
    "silences included) or from the timeline words.",
)
@click.option(
    "--reference",
    default=None,
    help="Also compare with this reference: a timing.yaml from `fit-timing`, or real stereo "
    "recordings (WAV/FLAC file or folder, or a duplexsynth output), measured from their audio.",
)
@click.option(
    "--json/--no-json",
    "as_json",
    default=False,
    show_default=True,
    help="Print the full figures (per-minute, counts, distributions, reference) as JSON.",
)
def command(
    out: str | None,
    folder: str | None,
    limit: int | None,
    min_silence_s: float,
    measure: str,
    reference: str | None,
    as_json: bool,
) -> None:
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

    def _run():
        path = find_stats_folder(out, folder)
        summary = summarize(folder_timing(path, limit, min_silence_s, measure), min_silence_s)
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
