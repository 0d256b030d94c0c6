"""``duplexsynth stats OUT``: turn-taking realism figures beside the human reference."""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path

import click

from duplexsynth.cli.commands.common import run_or_fail

#: folders searched under OUT, most final first
STATS_FOLDERS = ("dialogues", "augmented", "mixed")
_COLUMNS = ("id", "duration_s", "words", "events")


def find_stats_folder(out: str | None, folder: str | None) -> Path:
    """The folder to read: ``folder`` if given, else the most final of OUT's stage folders."""
    if folder:
        path = Path(folder)
        if not glob.glob(os.path.join(str(path), "part-*.parquet")):
            raise ValueError(f"no part-*.parquet files in --folder {folder!r}")
        return path
    if not out:
        raise ValueError("give the output root OUT (or --folder DIR)")
    for name in STATS_FOLDERS:
        path = Path(out) / name
        if glob.glob(os.path.join(str(path), "part-*.parquet")):
            return path
    raise ValueError(
        f"none of {', '.join(n + '/' for n in STATS_FOLDERS)} under {out!r} holds part files: "
        f"run `duplexsynth mix --output {out}` first (or point --folder at a folder of shards)"
    )


def folder_timing(
    path: Path, limit: int | None = None, min_silence_s: float = 0.2, measure: str = "words"
):
    """Pooled :class:`TimingStats` of the rows in ``path`` (reads only the timing columns).

    ``measure="audio"`` takes each channel's speech activity from the stereo audio (energy VAD,
    ``mix/activity.py``; the clean mix before augmentation when the rows keep it) instead
    of the timeline words, so every silence an engine left inside a turn counts as a listener
    hears it."""
    if measure == "audio":
        return _audio_timing(path, limit, min_silence_s)
    import pyarrow.parquet as pq

    from duplexsynth.mix.stats import TimingStats, dialogue_timing
    from duplexsynth.schemas.records import TimelineWord

    total = TimingStats()
    seen = 0
    for f in sorted(glob.glob(os.path.join(str(path), "part-*.parquet"))):
        pf = pq.ParquetFile(f)
        cols = [c for c in _COLUMNS if c in pf.schema_arrow.names]
        if "words" not in cols or "duration_s" not in cols:
            raise ValueError(f"{f} has no timeline words: it is not a mixed stage's output")
        for batch in pf.iter_batches(batch_size=256, columns=cols):
            for row in batch.to_pylist():
                if limit is not None and seen >= limit:
                    return total
                seen += 1
                if not row.get("words") or not row.get("duration_s"):
                    continue
                words = [
                    TimelineWord(
                        w["word"],
                        w["start_s"],
                        w["end_s"],
                        int(w["channel"]),
                        w["speaker"],
                        int(w["turn_index"]),
                        w.get("kind") or "turn",
                    )
                    for w in row["words"]
                ]
                total = total + dialogue_timing(
                    words, float(row["duration_s"]), min_silence_s, row.get("events") or ()
                )
    return total


def _audio_timing(path: Path, limit: int | None, min_silence_s: float):
    import pyarrow.parquet as pq

    from duplexsynth.audio import decode_audio
    from duplexsynth.mix.activity import VadConfig, stereo_bytes, stereo_runs
    from duplexsynth.mix.stats import TimingStats, ipu_timing

    total = TimingStats()
    seen = 0
    vad = VadConfig(min_silence_s=min_silence_s)
    for f in sorted(glob.glob(os.path.join(str(path), "part-*.parquet"))):
        pf = pq.ParquetFile(f)
        if "audio" not in pf.schema_arrow.names:
            raise ValueError(f"{f} has no audio column: use --measure words")
        cols = [c for c in ("id", "audio", "clean_audio", "events") if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=8, columns=cols):
            for row in batch.to_pylist():
                if limit is not None and seen >= limit:
                    return total
                seen += 1
                data = stereo_bytes(row)
                if data is None:
                    continue
                audio, sr = decode_audio(data, always_2d=True)
                if audio.shape[1] != 2:
                    continue
                runs = stereo_runs(audio, sr, vad)
                total = total + ipu_timing(runs, audio.shape[0] / sr, row.get("events") or ())
    return total


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
