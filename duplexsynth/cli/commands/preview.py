"""``duplexsynth preview OUT ID``: a PNG and a WAV of one dialogue."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.common import run_or_fail


@click.command("preview")
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.argument("dialogue_id", metavar="ID")
@click.option(
    "--dest",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for ID.png and ID.wav [default: OUT/preview].",
)
@click.option(
    "--words/--no-words",
    default=True,
    show_default=True,
    help="Draw word boundaries and labels (turn them off for very long dialogues).",
)
def command(out: str, dialogue_id: str, dest: str | None, words: bool) -> None:
    """Render dialogue ID of OUT: a PNG with both channels' waveforms (0 = assistant on top,
    1 = user below), turn spans, word boundaries and events (turn starts/ends, backchannels,
    interruptions), and its stereo WAV for listening."""
    from duplexsynth.dataset.preview import preview

    png, wav = run_or_fail(lambda: preview(out, dialogue_id, dest, words=words))
    click.echo(f"image: {png}")
    click.echo(f"audio: {wav}")
