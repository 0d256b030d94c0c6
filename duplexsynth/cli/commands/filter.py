"""``duplexsynth filter``: corpus records -> dialogues fit for speech (OUT/filtered/)."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.stage_command import StageArgs, StagePlan, stage_command
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


corpus_input = click.option(
    "--input",
    "-i",
    multiple=True,
    help="Corpus file, glob, folder or hf:NAME[?split=&config=&revision=&streaming=] "
    "(repeatable, read in the order given). Default: the bundled sample corpus.",
)


@stage_command("filter", FilterConfig, help=HELP, corpus_input=corpus_input)
def command(args: StageArgs) -> StagePlan:
    from duplexsynth.cli.commands.common import warn_empty_inputs
    from duplexsynth.filter import sample_corpus_dir
    from duplexsynth.pipelines.transforms.filter import FilterTransform, ReadCorpus

    config, inputs = args.config, list(args.input)
    warn_empty_inputs(inputs)
    source = ReadCorpus(inputs, config, args.limit)
    extra = {
        "inputs": inputs or [str(sample_corpus_dir(config.language))],
        "sources": [s.source_file for s in source.sources],
        "filter_config": config.to_dict(),
        "filter_config_digest": config.digest(),
    }
    return StagePlan(FilterTransform(config, args.seed), extra, source=source)
