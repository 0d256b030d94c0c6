"""``duplexsynth synth``: speak every rewritten turn (see ``duplexsynth.synth``)."""

from __future__ import annotations

from duplexsynth.cli.commands.stage_command import StageArgs, StagePlan, stage_command
from duplexsynth.synth.config import SynthConfig


@stage_command("synth", SynthConfig)
def command(args: StageArgs) -> StagePlan:
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
    from duplexsynth.pipelines.transforms.synth import SynthTransform
    from duplexsynth.synth.engine import preflight

    transform = SynthTransform(args.config, args.seed)
    for language_bank in transform.processor.banks.values():  # one per voiced language
        preflight(args.config, language_bank)
    bank = transform.processor.bank
    return StagePlan(
        transform,
        {
            "seed": args.seed,
            "voice_bank": bank.source,
            "assistant_voice": bank.assistant,
            "user_voices": len(bank.user_pool()),
            "sample_rate": args.config.sample_rate_hz,
        },
    )
