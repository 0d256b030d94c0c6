"""``duplexsynth check-tts``: speak a fixed set of sentences in every voice of a bank on the
real engine and fail on slow, unintelligible or look-alike voices (see duplexsynth.synth.check)."""

from __future__ import annotations

import json

import click

from duplexsynth.cli.commands.common import fail, run_or_fail
from duplexsynth.config import cli_options
from duplexsynth.synth.config import SynthConfig

#: the engine settings come from the synth stage's model (one definition, one help text)
ENGINE_OPTIONS = cli_options(
    SynthConfig,
    only=("cosyvoice_model", "cosyvoice_repo", "cosyvoice_fp16", "tts_base_url", "tts_model"),
)


@click.command("check-tts")
@click.option(
    "--voice-bank",
    default="default",
    show_default=True,
    help="Voice bank to check: a YAML/JSON file or a bundled bank (`default`, `espeak`).",
)
@click.option("--voices", default=None, help="Comma-separated voice ids to check (default: all).")
@ENGINE_OPTIONS
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
@click.option(
    "--max-rtf", type=float, default=1.0, show_default=True, help="Highest real-time factor."
)
@click.option(
    "--max-wer", type=float, default=0.4, show_default=True, help="Highest mean WER per voice."
)
@click.option(
    "--min-semitones",
    type=float,
    default=1.5,
    show_default=True,
    help="Two voices are distinct when their median pitch differs by this much ...",
)
@click.option(
    "--min-spectral-db",
    type=float,
    default=2.0,
    show_default=True,
    help="... or their mean log-mel spectra differ by this much (dB RMS).",
)
@click.option(
    "--min-embedding-distance",
    type=float,
    default=0.3,
    show_default=True,
    help="With --speaker-model: lowest cosine distance between two voices.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the full report (transcripts, pairs) as JSON here.",
)
def command(
    voice_bank: str,
    voices: str | None,
    cosyvoice_model: str | None,
    cosyvoice_repo: str | None,
    cosyvoice_fp16: bool,
    tts_base_url: str | None,
    tts_model: str,
    asr_model: str | None,
    speaker_model: str | None,
    max_rtf: float,
    max_wer: float,
    min_semitones: float,
    min_spectral_db: float,
    min_embedding_distance: float,
    json_path: str | None,
) -> None:
    """Check a voice bank on the real engine before a long job.

    Every voice speaks the same six sentences (a backchannel included) through the synth
    stage's path with the cache off. Reported per voice: real-time factor, WER of faster-whisper
    transcripts, QC failures, median pitch; and the closest pair of voices. Exits 1 when any
    voice is slower than --max-rtf, less intelligible than --max-wer, fails QC, or two voices
    sound alike; 2 on a setup error (missing model, broken install).
    """
    from duplexsynth.synth.backends import BackendUnavailable
    from duplexsynth.synth.check import Thresholds, check_bank
    from duplexsynth.synth.config import SynthConfig
    from duplexsynth.synth.voices import load_voice_bank

    def _run():
        config = SynthConfig(
            voice_bank=voice_bank,
            cosyvoice_model=cosyvoice_model,
            cosyvoice_repo=cosyvoice_repo,
            cosyvoice_fp16=cosyvoice_fp16,
            tts_base_url=tts_base_url,
            tts_model=tts_model,
            asr_model=asr_model,
            cache=False,
        )
        bank = load_voice_bank(voice_bank)
        ids = [v.strip() for v in voices.split(",") if v.strip()] if voices else None
        thresholds = Thresholds(
            max_rtf=max_rtf,
            max_wer=max_wer,
            min_semitones=min_semitones,
            min_spectral_db=min_spectral_db,
            min_embedding_distance=min_embedding_distance,
        )
        try:
            return check_bank(config, bank, thresholds, voice_ids=ids, speaker_model=speaker_model)
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
