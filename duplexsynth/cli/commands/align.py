"""``duplexsynth align``: time every word of every synthesized turn (see ``duplexsynth.align``)."""

from __future__ import annotations

from duplexsynth.align.config import AlignConfig
from duplexsynth.cli.commands.stage_command import StageArgs, StagePlan, stage_command


@stage_command("align", AlignConfig)
def command(args: StageArgs) -> StagePlan:
    """Give every word of every synthesized turn its start and end time.

    Reads IN/synthesized/, writes OUT/aligned/part-*.parquet with turns[].words (one entry per
    whitespace token of the spoken text: word, start_s, end_s within the turn's audio, score,
    method), the backchannel lexicon's words, align_method and params["align"]. Words the
    recogniser did not hear are interpolated between their neighbours and flagged
    (method=interpolated). Timings are validated (in order, no overlaps, inside the audio);
    small slips are fixed, otherwise the dialogue is cut to its clean prefix ending on an
    assistant turn or rejected to OUT/rejects/align/ as align_error.
    """
    from duplexsynth.align.processor import preflight
    from duplexsynth.pipelines.transforms.align import AlignTransform

    config = args.config
    try:
        preflight(config)
    except RuntimeError as exc:
        raise ValueError(str(exc)) from exc
    asr = config.asr_backend
    return StagePlan(
        AlignTransform(config, args.seed),
        {
            "seed": args.seed,
            "backend": config.backend,
            "fallback": config.fallback,
            "asr_model": config.model_for(asr) if asr else None,
        },
    )
