"""``duplexsynth export moshi|lhotse OUT DEST``: the final shards in training repos' formats."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from duplexsynth.cli.commands.common import beam_arguments, run_or_fail
from duplexsynth.cli.commands.outarg import existing_out


@click.group("export")
def command() -> None:
    """Export OUT/dialogues to the formats training repos read (moshi-finetune, Lhotse).

    OUT is the output root of `duplexsynth run` (or its dialogues/ folder), a local folder or an
    object-store URL (S3 endpoint and keys as Beam options after `--`); DEST is a local folder.
    Existing files in DEST are kept unless --overwrite; manifests are always rewritten,
    atomically.
    """


def exporter(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """``export NAME OUT DEST [-- BEAM_OPTIONS...]`` running the decorated function.

    The function gets the checked OUT, DEST and its own options (declared on it) and returns
    the export summary, which is printed; user errors end in one line (:func:`run_or_fail`).
    """

    def decorate(fn: Callable[..., Any]) -> click.Command:
        @command.command(name, help=fn.__doc__)
        @click.argument("out", metavar="OUT")
        @click.argument("dest", type=click.Path(file_okay=False))
        @beam_arguments
        @functools.wraps(fn)  # keeps the options declared on fn
        def run(out: str, dest: str, beam_args: tuple[str, ...], **options: Any) -> None:
            _report(run_or_fail(lambda: fn(existing_out(out), dest, **options)))

        return run

    return decorate


def _report(summary) -> None:
    d = summary.to_dict()
    click.echo(
        f"{d['dialogues']} dialogues ({d['audio_hours']:.4f} h) exported to {d['dest']} "
        f"({d['written']} written, {d['skipped_existing']} already there)"
    )
    for name, path in d["files"].items():
        click.echo(f"  {name}: {path}")
    if not d["dialogues"]:
        click.echo("warning: no dialogues were exported", err=True)


@exporter("moshi")
@click.option(
    "--manifest",
    "manifest_name",
    default="dataset.jsonl",
    show_default=True,
    help="File name of the JSONL manifest in DEST (point moshi-finetune's train_data at it).",
)
@click.option(
    "--sample-rate",
    type=click.IntRange(8000, 192000),
    default=None,
    help="Resample the WAVs (default: keep the dataset's rate; moshi-finetune resamples to 24 kHz).",
)
@click.option(
    "--user-words/--no-user-words",
    default=True,
    show_default=True,
    help="Also list the user's words (as SPEAKER_USER) in each alignment file.",
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help="Rewrite dialogues whose .wav and .json already exist in DEST.",
)
def moshi(out: str, dest: str, user_words: bool, **options: Any):
    """Write kyutai moshi-finetune's format to DEST.

    DEST/data_stereo/<id>.wav (stereo; channel 0 = assistant, 1 = user), beside each a .json
    {"alignments": [[word, [start, end], speaker], ...]} sorted by start time (assistant =
    SPEAKER_MAIN, user = SPEAKER_USER), and DEST/<manifest> with {"path", "duration"} per line,
    paths relative to DEST.
    """
    from duplexsynth.dataset.export.moshi import export_moshi

    return export_moshi(out, dest, include_user_words=user_words, **options)


@exporter("lhotse")
@click.option(
    "--shar/--no-shar",
    default=False,
    show_default=True,
    help="Also write Lhotse Shar to DEST/shar (needs lhotse: the [lhotse] extra).",
)
@click.option(
    "--shar-shard-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Cuts per Shar shard.",
)
@click.option(
    "--language",
    default="auto",
    show_default=True,
    help="Language of the supervisions; auto: English or Chinese per dialogue, from its script.",
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help="Rewrite audio files that already exist in DEST/audio.",
)
def lhotse(out: str, dest: str, **options: Any):
    """Write Lhotse manifests to DEST.

    DEST/audio/<id>.flac, DEST/recordings.jsonl.gz (2-channel Recordings), DEST/supervisions.jsonl.gz
    (one SupervisionSegment per utterance with channel, speaker, text and word alignment) and
    DEST/cuts.jsonl.gz (one MultiCut per dialogue). Load with
    lhotse.load_manifest(...) or CutSet.from_file(DEST/cuts.jsonl.gz).
    """
    from duplexsynth.dataset.export.lhotse import export_lhotse

    return export_lhotse(out, dest, **options)
