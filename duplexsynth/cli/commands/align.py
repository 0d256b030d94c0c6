"""``duplexsynth align``: time every word of every synthesized turn (see ``duplexsynth.align``)."""

from __future__ import annotations

import click

from duplexsynth.align.config import AlignConfig
from duplexsynth.cli.commands.common import (
    config_option,
    finish,
    load_stage_config,
    run_or_fail,
    stage_options,
)
from duplexsynth.config import cli_options


@click.command("align")
@stage_options(
    input_help="Output root of `duplexsynth synth` (reads IN/synthesized/part-*.parquet)."
)
@cli_options(AlignConfig)
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
    from duplexsynth.align.processor import preflight
    from duplexsynth.pipelines.stage import run_transform_stage
    from duplexsynth.pipelines.transforms.align import AlignTransform

    ctx = click.get_current_context()

    def _run():
        config = load_stage_config(AlignConfig, "align", config_path, ctx)
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

    finish(run_or_fail(_run), output)
