"""``duplexsynth align``: time every word of every synthesized turn (see ``duplexsynth.align``)."""

from __future__ import annotations

import click

from duplexsynth.pipelines.commands.common import (
    cache_dir_option,
    config_option,
    load_stage_config,
    run_or_fail,
    stage_options,
)

#: click parameter name -> AlignConfig field
OPTION_TO_FIELD = {
    "backend": "backend",
    "fallback": "fallback",
    "whisper_model": "whisper_model",
    "whisper_download_root": "whisper_download_root",
    "language": "language",
    "vad": "vad",
    "vad_method": "vad_method",
    "device": "device",
    "compute_type": "compute_type",
    "cpu_threads": "cpu_threads",
    "beam_size": "beam_size",
    "prompt_with_text": "prompt_with_text",
    "trim_to_sound": "trim_to_sound",
    "cache": "cache",
    "cache_dir": "cache_dir",
}

_BACKENDS = click.Choice(["tts", "faster-whisper", "whisper-timestamped"], case_sensitive=False)
_FALLBACKS = click.Choice(["faster-whisper", "whisper-timestamped", "none"], case_sensitive=False)


@click.command("align")
@stage_options(
    input_help="Output root of `duplexsynth synth` (reads IN/synthesized/part-*.parquet)."
)
@click.option(
    "--backend",
    type=_BACKENDS,
    default="tts",
    show_default=True,
    help="Where word times come from: `tts` copies the TTS engine's own timings (exact, free); "
    "`faster-whisper` / `whisper-timestamped` recognise the audio and map the words onto the "
    "known text.",
)
@click.option(
    "--fallback",
    type=_FALLBACKS,
    default="faster-whisper",
    show_default=True,
    help="With --backend tts: recogniser for turns whose TTS engine gave no (usable) timings; "
    "`none` rejects such dialogues as align_error.",
)
@click.option(
    "--whisper-model",
    default=None,
    metavar="NAME_OR_PATH",
    help="Recogniser weights. faster-whisper: a CTranslate2 Whisper folder [default: the bundled "
    "tiny.en]. whisper-timestamped: an openai-whisper name (`medium`, as moshi-finetune uses; "
    "downloaded on first use) or a local .pt checkpoint [default: medium].",
)
@click.option(
    "--whisper-download-root",
    type=click.Path(file_okay=False),
    default=None,
    help="whisper-timestamped: folder holding/receiving openai-whisper checkpoints "
    "[default: ~/.cache/whisper].",
)
@click.option(
    "--language", default="en", show_default=True, help="Language code given to the recogniser."
)
@click.option(
    "--vad/--no-vad",
    default=False,
    show_default=True,
    help="Voice activity detection before recognising turns of 10 s or more "
    "(moshi-finetune's rule; the `vad_min_duration_s` config knob changes the length).",
)
@click.option(
    "--vad-method",
    type=click.Choice(["silero", "auditok"]),
    default="silero",
    show_default=True,
    help="whisper-timestamped's VAD (silero is fetched through torch.hub on first use); "
    "faster-whisper always uses the Silero model inside its wheel.",
)
@click.option(
    "--device",
    default="cpu",
    show_default=True,
    help="Recogniser device: cpu or cuda (faster-whisper also accepts auto).",
)
@click.option(
    "--compute-type",
    default="int8",
    show_default=True,
    help="faster-whisper (CTranslate2) compute type: int8, int8_float16, float16, float32, ...",
)
@click.option(
    "--cpu-threads",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="faster-whisper CPU threads per worker (0 = CTranslate2's default).",
)
@click.option(
    "--beam-size",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Recogniser beam size (1 = greedy; the text is known, so greedy is usually enough).",
)
@click.option(
    "--prompt-with-text/--no-prompt-with-text",
    default=True,
    show_default=True,
    help="Give the known text to the recogniser as its initial prompt (fewer mis-hearings).",
)
@click.option(
    "--trim-to-sound/--no-trim-to-sound",
    default=True,
    show_default=True,
    help="Move recognised word boundaries onto nearby pauses and shrink spans onto their sound.",
)
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Reuse transcriptions from the content-addressed cache (a rerun recognises nothing twice).",
)
@cache_dir_option("ASR transcripts")
@config_option("align")
def command(
    input_root: str,
    output: str,
    seed: int,
    limit: int | None,
    beam_args: tuple[str, ...],
    config_path: str | None,
    **_options,
) -> None:
    """Give every word of every synthesized turn its start and end time.

    Reads IN/synthesized/, writes OUT/aligned/part-*.parquet with turns[].words (one entry per
    whitespace token of the spoken text: word, start_s, end_s within the turn's audio, score,
    method), the backchannel lexicon's words, align_method and params["align"]. Words the
    recogniser did not hear are interpolated between their neighbours and flagged
    (method=interpolated). Timings are validated (in order, no overlaps, inside the audio);
    small slips are fixed, otherwise the dialogue is cut to its clean prefix ending on an
    assistant turn or rejected to OUT/rejects/align/ as align_error.
    """
    from duplexsynth.align.config import AlignConfig
    from duplexsynth.align.processor import preflight
    from duplexsynth.pipelines.stage import run_transform_stage
    from duplexsynth.pipelines.transforms.align import AlignTransform

    ctx = click.get_current_context()

    def _run():
        config = load_stage_config(AlignConfig, "align", config_path, ctx, OPTION_TO_FIELD)
        try:
            preflight(config)
        except RuntimeError as exc:
            raise ValueError(str(exc)) from exc
        return run_transform_stage(
            "align",
            AlignTransform(config, seed),
            input_root=input_root,
            output_root=output,
            limit=limit,
            beam_args=beam_args,
            extra_summary={
                "seed": seed,
                "backend": config.backend,
                "fallback": config.fallback,
                "asr_model": config.model_for(config.asr_backend) if config.asr_backend else None,
            },
        )

    run_or_fail(_run)
