"""``duplexsynth synth``: speak every rewritten turn (see ``duplexsynth.synth``)."""

from __future__ import annotations

import click

from duplexsynth.lang import LANGUAGE_CHOICES
from duplexsynth.pipelines.commands.common import (
    cache_dir_option,
    config_option,
    load_stage_config,
    run_or_fail,
    stage_options,
)

#: click parameter name -> SynthConfig field
OPTION_TO_FIELD = {
    "language": "language",
    "voice_bank_zh": "voice_bank_zh",
    "voice_bank": "voice_bank",
    "sample_rate": "sample_rate",
    "loudness_lufs": "loudness_lufs",
    "cosyvoice_model": "cosyvoice_model",
    "cosyvoice_repo": "cosyvoice_repo",
    "cosyvoice_fp16": "cosyvoice_fp16",
    "tts_base_url": "tts_base_url",
    "tts_model": "tts_model",
    "tts_concurrency": "tts_concurrency",
    "asr_check": "asr_check",
    "wer_threshold": "wer_threshold",
    "keep_prefix": "keep_prefix",
    "cache": "cache",
    "cache_dir": "cache_dir",
    "engine_threads": "engine_threads",
}


@click.command("synth")
@stage_options(
    input_help="Output root of `duplexsynth rewrite` (reads IN/rewritten/part-*.parquet)."
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGE_CHOICES),
    default="en",
    show_default=True,
    help="Language of the dialogues: en, zh (voiced with --voice-bank-zh and the Chinese "
    "backchannels) or auto (per dialogue, from its script).",
)
@click.option(
    "--voice-bank-zh",
    default="espeak_zh",
    show_default=True,
    help="Voice bank of Chinese dialogues (bundled `espeak_zh`: espeak-ng cmn voices, offline).",
)
@click.option(
    "--voice-bank",
    default="default",
    show_default=True,
    help="Voice bank: a YAML/JSON file, or a bundled bank: `default` (Piper joe as the assistant, "
    "10 Kokoro voices and blends as users, all offline) or `espeak` (fast robotic voices for "
    "quick looks). Format: docs/stages/synth.md.",
)
@click.option(
    "--sample-rate",
    type=click.IntRange(8000, 192000),
    default=24000,
    show_default=True,
    help="Output sample rate in Hz (24 kHz = Mimi's rate); engines' audio is resampled with soxr.",
)
@click.option(
    "--loudness-lufs",
    type=click.FloatRange(-70, -5),
    default=-23.0,
    show_default=True,
    help="Per-utterance loudness target (BS.1770 integrated loudness; true peak kept <= -1 dBFS).",
)
@click.option(
    "--cosyvoice-model",
    type=click.Path(file_okay=False),
    default=None,
    help="Local CosyVoice 2/3 model folder (e.g. pretrained_models/CosyVoice2-0.5B) for voices "
    "with backend `cosyvoice`; runs on the GPU when torch sees one.",
)
@click.option(
    "--cosyvoice-repo",
    type=click.Path(file_okay=False),
    default=None,
    help="CosyVoice source checkout to import from, when it is not installed in the environment.",
)
@click.option(
    "--cosyvoice-fp16/--no-cosyvoice-fp16",
    default=False,
    show_default=True,
    help="Half precision for CosyVoice (GPU only).",
)
@click.option(
    "--tts-base-url",
    default=None,
    help="OpenAI-compatible server for voices with backend `openai`, e.g. http://tts-host:8880/v1 "
    "(API key from $OPENAI_API_KEY when the server needs one).",
)
@click.option(
    "--tts-model",
    default="tts-1",
    show_default=True,
    help="Model name sent to the speech server (a voice's params.model overrides it).",
)
@click.option(
    "--tts-concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Concurrent requests per worker to the speech server.",
)
@click.option(
    "--asr-check/--no-asr-check",
    default=False,
    show_default=True,
    help="Transcribe each utterance with faster-whisper (bundled tiny.en) and reject turns whose "
    "WER exceeds --wer-threshold (tts_unintelligible). Costs ~0.2x real time.",
)
@click.option(
    "--wer-threshold",
    type=click.FloatRange(0, 10, min_open=True),
    default=0.4,
    show_default=True,
    help="Highest WER accepted by the ASR check (texts of 3+ words).",
)
@click.option(
    "--keep-prefix/--no-keep-prefix",
    default=True,
    show_default=True,
    help="When a turn fails QC, keep the dialogue's clean prefix ending on an assistant turn "
    "(at least one exchange) instead of rejecting the whole dialogue.",
)
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Reuse finished utterances from the content-addressed cache (a rerun synthesizes nothing twice).",
)
@cache_dir_option("synthesized audio")
@click.option(
    "--engine-threads",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="CPU threads per engine (0 = the engine's default).",
)
@config_option("synth")
def command(
    input_root: str,
    output: str,
    seed: int,
    limit: int | None,
    beam_args: tuple[str, ...],
    config_path: str | None,
    **_options,
) -> None:
    """Synthesize every spoken turn: one fixed assistant voice, a sampled user voice per dialogue.

    Reads IN/rewritten/, writes OUT/synthesized/part-*.parquet with per-turn mono FLAC audio
    (voice, sample_rate, duration_s, word timings from the engine when it has them), the
    backchannel lexicon in both voices, and params["synth"]. Each utterance is trimmed,
    resampled, normalized to the loudness target and checked: engine errors (tts_error),
    silence (tts_empty), implausible durations (tts_duration), clipping (tts_clipping) and,
    with --asr-check, unintelligible speech (tts_unintelligible). A failing turn cuts the
    dialogue to its clean prefix or rejects it to OUT/rejects/synth/. Finished utterances are
    cached by content, so a rerun after a crash synthesizes nothing twice.
    """
    from duplexsynth.pipelines.stage import run_transform_stage
    from duplexsynth.pipelines.transforms.synth import SynthTransform
    from duplexsynth.synth.config import SynthConfig
    from duplexsynth.synth.engine import preflight

    ctx = click.get_current_context()

    def _run():
        config = load_stage_config(SynthConfig, "synth", config_path, ctx, OPTION_TO_FIELD)
        transform = SynthTransform(config, seed)
        for language_bank in transform.processor.banks.values():  # one per voiced language
            preflight(config, language_bank)
        bank = transform.processor.bank
        return run_transform_stage(
            "synth",
            transform,
            input_root=input_root,
            output_root=output,
            limit=limit,
            beam_args=beam_args,
            extra_summary={
                "seed": seed,
                "voice_bank": bank.source,
                "assistant_voice": bank.assistant,
                "user_voices": len(bank.user_pool()),
                "sample_rate": config.sample_rate,
            },
        )

    run_or_fail(_run)
