"""``duplexsynth check-tts``: speak a fixed set of sentences in every voice of a bank on the
real engine and fail on slow, unintelligible or look-alike voices (see duplexsynth.synth.check)."""

from __future__ import annotations

import json
from typing import Any

import click

from duplexsynth.cli.commands.common import fail, run_or_fail
from duplexsynth.config import cli_options
from duplexsynth.synth.check import Thresholds
from duplexsynth.synth.config import SynthConfig

#: the engine settings come from the synth stage's model (one definition, one help text)
ENGINE_FIELDS = (
    "voice_bank",
    "cosyvoice_model",
    "cosyvoice_repo",
    "cosyvoice_fp16",
    "tts_base_url",
    "tts_model",
)


@click.command("check-tts")
@click.option("--voices", default=None, help="Comma-separated voice ids to check (default: all).")
@cli_options(SynthConfig, only=ENGINE_FIELDS)
@click.option(
    "--asr-model",
    default=None,
    help="faster-whisper model folder for the WER (default: the bundled tiny.en).",
)
@click.option(
    "--speaker-model",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Speaker-embedding ONNX model taking [1, frames, 80] log-mel (e.g. a CosyVoice "
    "folder's campplus.onnx): distinctness by embedding distance instead of pitch + spectrum.",
)
@cli_options(Thresholds)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the full report (transcripts, pairs) as JSON here.",
)
def command(
    voices: str | None,
    asr_model: str | None,
    speaker_model: str | None,
    json_path: str | None,
    **settings: Any,
) -> None:
    """Check a voice bank on the real engine before a long job.

    Every voice speaks the same six sentences (a backchannel included) through the synth
    stage's path with the cache off. Reported per voice: real-time factor, WER of faster-whisper
    transcripts, QC failures, median pitch; and the closest pair of voices. Exits 1 when any
    voice is slower than --max-rtf, less intelligible than --max-wer, fails QC, or two voices
    sound alike; 2 on a setup error (missing model, broken install).
    """
    from duplexsynth.synth.backends import BackendUnavailable
    from duplexsynth.synth.check import check_bank
    from duplexsynth.synth.voices import load_voice_bank

    def _run():
        engine = {name: settings.pop(name) for name in ENGINE_FIELDS}
        config = SynthConfig(**engine, asr_model=asr_model, cache=False)
        bank = load_voice_bank(config.voice_bank)
        ids = [v.strip() for v in voices.split(",") if v.strip()] if voices else None
        try:
            return check_bank(
                config, bank, Thresholds(**settings), voice_ids=ids, speaker_model=speaker_model
            )
        except BackendUnavailable as exc:  # missing package, weights or server: a setup error
            raise ValueError(str(exc)) from None

    try:
        report = run_or_fail(_run)
    except KeyError as exc:  # an unknown --voices id
        fail(str(exc.args[0]))
    click.echo(report.render())
    if json_path:
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(report.to_dict(), fh, indent=2)
    if not report.ok:
        raise SystemExit(1)
