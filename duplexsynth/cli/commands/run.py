"""``duplexsynth run``: the whole DAG as one Beam pipeline (see ``duplexsynth.pipelines.run``)."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import click

from duplexsynth.cli.commands.common import (
    passed_options,
    read_config_file,
    run_or_fail,
    stage_options,
)
from duplexsynth.lang import LANGUAGE_CHOICES
from duplexsynth.schemas.arrow import STAGES

#: flag -> (section, key, required): required targets must exist; others apply when they do
FLAG_TARGETS: dict[str, list[tuple[str, str, bool]]] = {
    "preset": [("mix", "preset", True)],
    "sample_rate": [
        ("write", "sample_rate_hz", True),
        ("synth", "sample_rate_hz", False),
        ("mix", "sample_rate_hz", False),
    ],
    "voice_bank": [("synth", "voice_bank", True)],
    "language": [
        ("filter", "language", True),
        ("rewrite", "language", True),
        ("synth", "language", True),
        ("align", "language", True),
    ],
    "llm_base_url": [("rewrite", "llm_base_url", True)],
    "llm_model": [("rewrite", "llm_model", True)],
    "keep_turn_audio": [("write", "keep_turn_audio", True)],
    "target_shard_mb": [("write", "target_shard_mb", True)],
    "cache_dir": [
        ("rewrite", "cache_dir", False),
        ("synth", "cache_dir", False),
        ("align", "cache_dir", False),
        ("augment", "cache_dir", False),
    ],
}


def _has_field(section: str, key: str) -> bool:
    from duplexsynth.pipelines.config import config_class

    try:
        cls = config_class(section)
    except ValueError:
        return False
    if hasattr(cls, "model_fields"):  # a pydantic stage model
        return key in cls.model_fields
    return key in {f.name for f in dataclasses.fields(cls)}


def collect_overrides(
    ctx: click.Context, sets: tuple[str, ...], stages: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """Section overrides from the flags the user passed, then ``--set`` items (which win)."""
    from duplexsynth.pipelines.config import parse_set_option

    overrides: dict[str, dict[str, Any]] = {}
    passed = passed_options(ctx)
    run_section = overrides.setdefault("run", {})
    if "seed" in passed:
        run_section["seed"] = passed["seed"]
    if "limit" in passed:
        run_section["limit"] = passed["limit"]
    if "inputs" in passed and passed["inputs"]:
        run_section["input"] = list(passed["inputs"])
    if "from_stage" in passed:
        run_section["from_stage"] = passed["from_stage"]
    for flag, targets in FLAG_TARGETS.items():
        if flag not in passed:
            continue
        for section, key, required in targets:
            if section not in stages:
                continue
            if required or _has_field(section, key):
                overrides.setdefault(section, {})[key] = passed[flag]
    if passed.get("language") == "zh" and "voice_bank" in passed and "synth" in stages:
        # a run of Chinese dialogues voices them with the bank the user named
        overrides.setdefault("synth", {})["voice_bank_zh"] = passed["voice_bank"]
    for item in sets:
        section, key, value = parse_set_option(item)
        overrides.setdefault(section, {})[key] = value
    return overrides


@click.command("run")
@stage_options(
    multiple_inputs=True,
    input_required=False,
    input_help=(
        "Corpus file, glob or hf:NAME spec (repeatable); without it the bundled sample corpus. "
        "With --from STAGE: the output root of the stage before STAGE."
    ),
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML or TOML file with a section per stage (filter, rewrite, synth, align, mix, "
    "augment, write) and an optional `run` section (seed, input, limit, from_stage).",
)
@click.option(
    "--from",
    "from_stage",
    type=click.Choice(STAGES),
    default="filter",
    show_default=True,
    help="Start at this stage, reading --input as an existing output root "
    "(e.g. --from mix --input OUT reads OUT/aligned).",
)
@click.option(
    "--preset",
    default=None,
    help="Turn-taking preset of the mix stage, e.g. natural or omniflatten (mix.preset).",
)
@click.option(
    "--sample-rate",
    type=click.IntRange(8000, 192000),
    default=24000,
    show_default=True,
    help="Sample rate of the final audio (write.sample_rate_hz; also synth.sample_rate_hz and "
    "mix.sample_rate_hz, so nothing is resampled twice).",
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGE_CHOICES),
    default=None,
    help="Language of the dialogues: en (default), zh (Mandarin: Chinese filter, normaliser, "
    "espeak-ng cmn voices, jieba words; without --input the bundled Chinese sample) or auto "
    "(each dialogue voiced in the language it is written in). Sets filter/rewrite/synth/align "
    ".language; see docs/mandarin.md.",
)
@click.option(
    "--voice-bank",
    default=None,
    help="Voice bank of the synth stage: a bundled one (default = Piper/Kokoro, espeak = fast "
    "robotic voices, espeak_zh = Mandarin) or a YAML/JSON file (synth.voice_bank; with "
    "--language zh also synth.voice_bank_zh).",
)
@click.option(
    "--llm-base-url",
    default=None,
    help="OpenAI-compatible server for the rewrite stage (rewrite.llm_base_url).",
)
@click.option("--llm-model", default=None, help="Model name on that server (rewrite.llm_model).")
@click.option(
    "--keep-turn-audio/--no-keep-turn-audio",
    default=False,
    show_default=True,
    help="Keep each turn's mono audio and the backchannel lexicon in the final rows.",
)
@click.option(
    "--target-shard-mb",
    type=click.FloatRange(min=0.001),
    default=256.0,
    show_default=True,
    help="Cut the final Parquet shards at about this size.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Override any config value, e.g. --set filter.max_words_per_turn=120 --set augment.noise_p=0.5 "
    "(repeatable; VALUE is parsed as YAML; wins over the file and the flags above).",
)
@click.option(
    "--cache-dir",
    default=None,
    help="Cache root of every stage's expensive work (LLM answers, TTS audio, ASR, RIRs): a "
    "folder or an object-store URL (s3://bucket/cache, gs://...) that a cluster's workers share "
    "[default: $DUPLEXSYNTH_CACHE or ~/.cache/duplexsynth].",
)
@click.option(
    "--shard",
    default=None,
    metavar="I/N",
    help="Make only part I of N (0 <= I < N): the dialogues whose id hashes to I. The N parts, "
    "each written to its own --output, together hold exactly the rows of one whole run.",
)
@click.option(
    "--timing",
    "timing_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Timing fitted by `duplexsynth fit-timing`: its knobs become the mix section's "
    "defaults (the config file, --preset and --set still override them).",
)
@click.option(
    "--progress-every",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between progress lines (per-stage counts and audio hours) on stderr.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes of a local (DirectRunner) run; 0 = one per available core. "
    "Output bytes are the same for any number. Ignored on other runners.",
)
def command(
    inputs: tuple[str, ...],
    output: str,
    seed: int,
    limit: int | None,
    beam_args: tuple[str, ...],
    config_path: str | None,
    from_stage: str,
    preset: str | None,
    language: str | None,
    sample_rate: int,
    voice_bank: str | None,
    llm_base_url: str | None,
    llm_model: str | None,
    keep_turn_audio: bool,
    target_shard_mb: float,
    sets: tuple[str, ...],
    cache_dir: str | None,
    shard: str | None,
    timing_path: str | None,
    progress_every: float,
    workers: int,
) -> None:
    """Run filter -> rewrite -> synth -> align -> mix -> augment -> write as ONE Beam pipeline.

    Writes OUT/dialogues/part-*.parquet (one row per dialogue, stereo FLAC as a Hugging Face
    Audio column; channel 0 = assistant, 1 = user), every stage's rejects to
    OUT/rejects/<stage>/, the effective config to OUT/config.yaml and the run's counts to
    OUT/summary.json (input records = dialogues written + all rejects).

    Settings: defaults <- --config file <- the flags below <- --set. Without --input the
    bundled sample corpus runs on the offline defaults. Anything after `--` goes to Beam,
    e.g. `-- --runner=PortableRunner --job_endpoint=embed --environment_type=LOOPBACK`;
    --input, --output and --cache-dir may be s3:// or gs:// URLs (object-store settings such
    as --s3_endpoint_url also go after `--`).
    """
    ctx = click.get_current_context()

    def _go() -> dict[str, Any]:
        from duplexsynth.pipelines.config import build_run_config
        from duplexsynth.pipelines.counting import parse_shard
        from duplexsynth.pipelines.run import RunSpec, run_pipeline, stages_from

        file_data = read_config_file(config_path)
        if timing_path is not None:
            from duplexsynth.mix.fit import load_timing

            fitted = dict(load_timing(timing_path)["mix"])
            file_data = {**file_data, "mix": {**fitted, **(file_data.get("mix") or {})}}
        start = from_stage
        if "from_stage" not in passed_options(ctx, ["from_stage"]):
            start = (file_data.get("run") or {}).get("from_stage", from_stage)
        stages = stages_from(start) if start in STAGES else STAGES
        overrides = collect_overrides(ctx, sets, stages)
        config = build_run_config(file_data, overrides, stages)
        warn_empty_inputs(config.run.input)
        spec = RunSpec(
            output_root=output,
            config=config,
            beam_args=list(beam_args),
            progress_every_s=progress_every,
            shard=parse_shard(shard),
            workers=workers,
        )
        return run_pipeline(spec)

    summary = run_or_fail(_go)
    if summary is not None:
        click.echo(
            f"{summary['dialogues_written']} dialogues ({summary['audio_hours']:.4f} h) "
            f"written to {summary['output']}"
        )
        finish(summary, output)


def warn_empty_inputs(inputs: list[str] | tuple[str, ...]) -> None:
    """One warning line per input file that is empty (0 bytes)."""
    import os

    for path in inputs or ():
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            click.echo(f"warning: input file {path} is empty", err=True)


def finish(summary: dict[str, Any], output: str) -> None:
    """Warn about an empty input; exit 1 with one line (cause and fix) when nothing was written."""
    from duplexsynth.pipelines.outcome import run_failure

    if summary.get("input_records") == 0:
        click.echo("warning: the input holds no records; nothing to do", err=True)
        return
    failure = run_failure(summary, output)
    if failure is not None:
        click.echo(f"error: {failure}", err=True)
        sys.exit(1)
