"""``duplexsynth filter``: corpus records -> dialogues fit for speech (OUT/filtered/)."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.common import (
    config_option,
    finish,
    load_stage_config,
    run_or_fail,
    stage_options,
)
from duplexsynth.config import cli_options
from duplexsynth.filter.config import FilterConfig

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
@cli_options(FilterConfig)
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

    def go() -> dict[str, object]:
        from duplexsynth.cli.commands.run import warn_empty_inputs
        from duplexsynth.filter import sample_corpus_dir
        from duplexsynth.pipelines.stage import StageRun, run_stage
        from duplexsynth.pipelines.transforms.filter import FilterTransform, ReadCorpus

        config = load_stage_config(FilterConfig, "filter", config_path, ctx)
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
        return run_stage(spec)

    finish(run_or_fail(go), output)
