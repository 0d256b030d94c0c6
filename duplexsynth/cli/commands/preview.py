"""``duplexsynth preview OUT ID``: a PNG and a WAV of one dialogue."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.common import run_or_fail
from duplexsynth.cli.commands.outarg import beam_args_argument, existing_out


@click.command("preview")
@click.argument("out", metavar="OUT")
@click.argument("dialogue_id", metavar="ID")
@beam_args_argument
@click.option(
    "--dest",
    default=None,
    help="Folder (or object-store URL) for ID.png and ID.wav [default: OUT/preview].",
)
@click.option(
    "--words/--no-words",
    default=True,
    show_default=True,
    help="Draw word boundaries and labels (turn them off for very long dialogues).",
)
def command(
    out: str, dialogue_id: str, beam_args: tuple[str, ...], dest: str | None, words: bool
) -> None:
    """Render dialogue ID of OUT: a PNG with both channels' waveforms (0 = assistant on top,
    1 = user below), turn spans, word boundaries and events (turn starts/ends, backchannels,
    interruptions), and its stereo WAV for listening.

    OUT may be an object-store URL (`s3://bucket/run`; S3 endpoint and keys as Beam options
    after `--`); the files then go to OUT/preview/ there. An unfinished run (OUT/_RUNNING or
    OUT/_FAILED) is refused."""
    from duplexsynth.dataset.preview import preview

    png, wav = run_or_fail(lambda: preview(existing_out(out), dialogue_id, dest, words=words))
    click.echo(f"image: {png}")
    click.echo(f"audio: {wav}")
