"""``duplexsynth synth``: speak every rewritten turn (see ``duplexsynth.synth``)."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.common import (
    config_option,
    load_stage_config,
    run_or_fail,
    stage_options,
)
from duplexsynth.config import cli_options
from duplexsynth.synth.config import SynthConfig


@click.command("synth")
@stage_options(
    input_help="Output root of `duplexsynth rewrite` (reads IN/rewritten/part-*.parquet)."
)
@cli_options(SynthConfig)
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
    from duplexsynth.synth.engine import preflight

    ctx = click.get_current_context()

    def _run():
        config = load_stage_config(SynthConfig, "synth", config_path, ctx)
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
                "sample_rate": config.sample_rate_hz,
            },
        )

    run_or_fail(_run)
