"""``duplexsynth rewrite``: written chat turns -> spoken-style turns (LLM or offline rules)."""

from __future__ import annotations

import click

from duplexsynth.cli.commands.stage_command import StageArgs, StagePlan, stage_command
from duplexsynth.rewrite.config import RewriteConfig

HELP = """Rewrite every turn into spoken style: reads IN/filtered/, writes OUT/rewritten/.

Each turn keeps its source_text and gains spoken_text: no markdown, lists as spoken
enumerations, numbers, money, dates, times, units and symbols as words, assistant answers cut
to about --max-words words, occasional "um"/"well," in user turns. Dialogues that cannot be made
speakable go to OUT/rejects/rewrite/ with a reason (llm_invalid, llm_error, rewrite_error,
bad_input).

Without --llm-model the offline rule-based normalizer runs alone. With it, one request per
dialogue goes to any OpenAI-compatible server through the openai client, and the rules run
after it as a final pass. The key is read from $OPENAI_API_KEY (see --api-key-env) and is
never logged or written. Examples:

\b
  vLLM:    vllm serve Qwen/Qwen2.5-7B-Instruct --port 8000
           duplexsynth rewrite -i OUT -o OUT --llm-base-url http://localhost:8000/v1 \\
             --llm-model Qwen/Qwen2.5-7B-Instruct --concurrency 32
  Ollama:  ollama pull llama3.1:8b
           duplexsynth rewrite -i OUT -o OUT --llm-base-url http://localhost:11434/v1 \\
             --llm-model llama3.1:8b --concurrency 2
  OpenAI:  export OPENAI_API_KEY=sk-...
           duplexsynth rewrite -i OUT -o OUT --llm-model gpt-4o-mini

Answers are cached by content (prompt version, model, parameters, messages) under
--cache-dir, so a rerun after a crash sends no request twice.
"""

cache_option = click.option(
    "--cache/--no-cache", default=True, show_default=True, help="Use the LLM answer cache."
)


@stage_command("rewrite", RewriteConfig, help=HELP, options=[cache_option])
def command(args: StageArgs) -> StagePlan:
    from duplexsynth.pipelines.transforms.rewrite import RewriteTransform
    from duplexsynth.rewrite.prompt import PROMPT_VERSION
    from duplexsynth.rewrite.rules import RULES_VERSION

    config = args.config
    if not args.options["cache"]:
        config.cache_dir = None
    config.validate()
    extra = {"rewrite_method": config.method, "rules_version": RULES_VERSION}
    if config.uses_llm:
        extra.update(
            llm_model=config.llm_model,
            llm_base_url=config.public_base_url() or "https://api.openai.com/v1",
            prompt_version=PROMPT_VERSION,
            cache_dir=config.cache_dir,
        )

    return StagePlan(RewriteTransform(config, args.seed), extra)
