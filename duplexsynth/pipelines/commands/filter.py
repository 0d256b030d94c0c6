"""``duplexsynth filter``: corpus records -> dialogues fit for speech (OUT/filtered/)."""

from __future__ import annotations

import click

from duplexsynth.filters.config import CHECKS, FORMAT_CHOICES, FilterConfig
from duplexsynth.pipelines.commands.common import (
    config_option,
    load_stage_config,
    run_or_fail,
    stage_options,
)

#: click parameter -> FilterConfig field
OPTION_TO_FIELD = {
    "format_": "format",
    "language": "language",
    "max_words": "max_words_per_turn",
    "max_exchanges": "max_exchanges",
    "checks": "checks",
    "dedup": "dedup",
    "near_dup": "near_dup",
    "near_dup_threshold": "near_dup_threshold",
    "merge_consecutive": "merge_consecutive",
    "hf_split": "hf_split",
    "hf_config": "hf_config",
    "hf_revision": "hf_revision",
    "hf_streaming": "hf_streaming",
    "hf_cache_dir": "hf_cache_dir",
}

_D = FilterConfig.__dataclass_fields__

HELP = """Read dialogue corpora and keep what a TTS voice can speak: writes OUT/filtered/.

Each record becomes a dialogue that starts with a user turn and alternates user/assistant
(system prompts kept as metadata). Formats are detected per record: Alpaca, ShareGPT, OpenAI
messages, UltraChat, OpenOrca, Belle, Moss (--format forces one). Inputs: .json, .jsonl,
.jsonl.gz, .parquet files, globs, folders, and Hugging Face datasets as hf:NAME (options per
input as hf:NAME?split=test&config=en&streaming=true). Without --input the bundled sample
corpus is read.

Turns with code, math, URLs/e-mails/paths, tables, more than --max-words words, emoji or rare
symbols, another language than --language, or no text are unfit. A dialogue keeps its longest
clean prefix ending on an assistant turn (at least one exchange), else it is rejected. Exact
and near duplicates are dropped (the lowest id of each group is kept). Lists and headings pass:
the rewrite stage turns them into prose. Every dropped record goes to OUT/rejects/filter/ with a
reason (code, math, url, table, too_long, symbols, language, empty, malformed, duplicate) and a
detail naming the offending span, e.g. "turn 1: url 'http://x.y'".

\b
Examples:
  duplexsynth filter -o out/sample
  duplexsynth filter -i data/*.jsonl -i hf:tatsu-lab/alpaca -o out/corpus --limit 10000
  duplexsynth filter -i train.parquet -o out/c -- --runner=DataflowRunner --project=...
"""


@click.command("filter", help=HELP)
@stage_options(
    multiple_inputs=True,
    input_required=False,
    input_help="Corpus file, glob, folder or hf:NAME[?split=&config=&revision=&streaming=] "
    "(repeatable, read in the order given). Default: the bundled sample corpus.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMAT_CHOICES),
    default=_D["format"].default,
    show_default=True,
    help="Record format; 'auto' detects it per record.",
)
@click.option(
    "--language",
    default=_D["language"].default,
    show_default=True,
    help="Target language (en, fr, de, es, it, pt, nl, ru, zh, ja, ko, ar, hi, el, he, th), "
    "'auto' to keep English and Chinese, or 'any' to keep every language.",
)
@click.option(
    "--max-words",
    type=click.IntRange(min=1),
    default=_D["max_words_per_turn"].default,
    show_default=True,
    help="Turns with more words than this are too_long.",
)
@click.option(
    "--max-exchanges",
    type=click.IntRange(min=1),
    default=None,
    show_default=True,
    help="Keep at most this many user/assistant exchanges per dialogue (default: all).",
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    type=click.Choice(CHECKS),
    default=CHECKS,
    show_default=True,
    help="Per-turn checks to run (repeatable; giving any replaces the default set).",
)
@click.option(
    "--dedup/--no-dedup",
    default=_D["dedup"].default,
    show_default=True,
    help="Drop exact and near duplicates (keeps the lowest id of each group).",
)
@click.option(
    "--near-dup/--no-near-dup",
    default=_D["near_dup"].default,
    show_default=True,
    help="With --dedup: also drop near duplicates (MinHash), not only exact ones.",
)
@click.option(
    "--near-dup-threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=_D["near_dup_threshold"].default,
    show_default=True,
    help="Estimated Jaccard similarity of character 5-grams at which two dialogues are near "
    "duplicates.",
)
@click.option(
    "--merge-consecutive/--no-merge-consecutive",
    default=_D["merge_consecutive"].default,
    show_default=True,
    help="Merge consecutive messages of one speaker into one turn (else: malformed).",
)
@click.option(
    "--hf-split",
    default=_D["hf_split"].default,
    show_default=True,
    help="Split of hf: inputs (an input's ?split= wins).",
)
@click.option("--hf-config", default=None, show_default=True, help="Config name of hf: inputs.")
@click.option("--hf-revision", default=None, show_default=True, help="Revision of hf: inputs.")
@click.option(
    "--hf-streaming/--no-hf-streaming",
    default=_D["hf_streaming"].default,
    show_default=True,
    help="Stream hf: inputs instead of downloading and caching them first.",
)
@click.option(
    "--hf-cache-dir",
    default=None,
    show_default="datasets' default (~/.cache/huggingface)",
    type=click.Path(file_okay=False),
    help="Cache folder for hf: inputs.",
)
@config_option("filter")
def command(
    inputs: tuple[str, ...],
    output: str,
    seed: int,
    limit: int | None,
    beam_args: tuple[str, ...],
    config_path: str | None,
    **_options: object,
) -> None:
    ctx = click.get_current_context()

    def go() -> None:
        from duplexsynth.filters import sample_corpus_dir
        from duplexsynth.pipelines.commands.run import warn_empty_inputs
        from duplexsynth.pipelines.stage import StageRun, run_stage
        from duplexsynth.pipelines.transforms.filter import FilterTransform, ReadCorpus

        config = load_stage_config(FilterConfig, "filter", config_path, ctx, OPTION_TO_FIELD)
        warn_empty_inputs(inputs)
        source = ReadCorpus(list(inputs), config, limit)
        extra = {
            "inputs": list(inputs) or [str(sample_corpus_dir(config.language))],
            "sources": [s.source_file for s in source.sources],
            "filter_config": config.to_dict(),
            "filter_config_digest": config.digest(),
        }
        spec = StageRun(
            stage="filter",
            output_root=output,
            source=source,
            build=lambda raws: raws | "Filter" >> FilterTransform(config, seed),
            beam_args=list(beam_args),
            extra_summary=extra,
        )
        run_stage(spec)

    run_or_fail(go)
