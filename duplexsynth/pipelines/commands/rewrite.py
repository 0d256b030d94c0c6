"""``duplexsynth rewrite``: written chat turns -> spoken-style turns (LLM or offline rules)."""

from __future__ import annotations

import click

from duplexsynth.lang import LANGUAGE_CHOICES
from duplexsynth.pipelines.commands.common import (
    cache_dir_option,
    config_option,
    load_stage_config,
    run_or_fail,
    stage_options,
)
from duplexsynth.rewrite.config import RESPONSE_FORMATS, RewriteConfig

#: click parameter -> RewriteConfig field
OPTION_TO_FIELD = {
    "language": "language",
    "llm_base_url": "llm_base_url",
    "llm_model": "llm_model",
    "api_key_env": "api_key_env",
    "temperature": "temperature",
    "max_words": "max_words_per_turn",
    "response_format": "response_format",
    "concurrency": "concurrency",
    "timeout_s": "timeout_s",
    "max_attempts": "max_attempts",
    "cache_dir": "cache_dir",
    "fillers": "fillers",
    "filler_rate": "filler_rate",
    "trim": "trim",
    "date_order": "date_order",
}

_D = RewriteConfig.__dataclass_fields__

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


@click.command("rewrite", help=HELP)
@stage_options()
@click.option(
    "--language",
    type=click.Choice(LANGUAGE_CHOICES),
    default=_D["language"].default,
    show_default=True,
    help="Normaliser language: en, zh (Mandarin: numbers read in Chinese, full-width "
    "punctuation, 嗯/那个 fillers) or auto (per dialogue, from its script).",
)
@click.option(
    "--llm-base-url",
    envvar="DUPLEXSYNTH_LLM_BASE_URL",
    default=None,
    show_default=True,
    help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (vLLM) or "
    "http://localhost:11434/v1 (Ollama); leave out with --llm-model for api.openai.com. "
    "[env: DUPLEXSYNTH_LLM_BASE_URL]",
)
@click.option(
    "--llm-model",
    envvar="DUPLEXSYNTH_LLM_MODEL",
    default=None,
    show_default=True,
    help="Model name as the server knows it; without it the offline rules run alone. "
    "[env: DUPLEXSYNTH_LLM_MODEL]",
)
@click.option(
    "--api-key-env",
    default=_D["api_key_env"].default,
    show_default=True,
    help="Environment variable holding the API key (servers without keys get a placeholder).",
)
@click.option(
    "--temperature",
    type=click.FloatRange(0.0, 2.0),
    default=_D["temperature"].default,
    show_default=True,
    help="Sampling temperature of the LLM.",
)
@click.option(
    "--max-words",
    type=click.IntRange(3, 1000),
    default=_D["max_words_per_turn"].default,
    show_default=True,
    help="Assistant turns are cut to about this many words (rules: whole sentences).",
)
@click.option(
    "--response-format",
    type=click.Choice(RESPONSE_FORMATS),
    default=_D["response_format"].default,
    show_default=True,
    help="Structured output to request; a server that rejects it is asked again without it.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=_D["concurrency"].default,
    show_default=True,
    help="LLM requests in flight at once per worker process.",
)
@click.option(
    "--timeout-s",
    type=click.FloatRange(0.001, 3600),
    default=_D["timeout_s"].default,
    show_default=True,
    help="Seconds before one request is abandoned (and retried).",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 100),
    default=_D["max_attempts"].default,
    show_default=True,
    help="Attempts per request on timeouts, 429, 5xx and connection errors (exponential "
    "backoff with jitter, Retry-After honoured); then the dialogue is rejected as llm_error.",
)
@cache_dir_option("LLM answers")
@click.option(
    "--cache/--no-cache", default=True, show_default=True, help="Use the LLM answer cache."
)
@click.option(
    "--fillers/--no-fillers",
    default=_D["fillers"].default,
    show_default=True,
    help="Occasional disfluencies in user turns (seeded in the rules, requested from the LLM).",
)
@click.option(
    "--filler-rate",
    type=click.FloatRange(0.0, 1.0),
    default=_D["filler_rate"].default,
    show_default=True,
    help="Rules: probability per user sentence of an opening filler (half again mid-sentence).",
)
@click.option(
    "--trim/--no-trim",
    default=_D["trim"].default,
    show_default=True,
    help="Rules: cut assistant turns to whole sentences within --max-words.",
)
@click.option(
    "--date-order",
    type=click.Choice(["mdy", "dmy"]),
    default=_D["date_order"].default,
    show_default=True,
    help="How to read ambiguous numeric dates like 3/4/2024.",
)
@config_option("rewrite")
def command(
    input_root: str,
    output: str,
    seed: int,
    limit: int | None,
    beam_args: tuple[str, ...],
    config_path: str | None,
    cache: bool,
    **_options: object,
) -> None:
    ctx = click.get_current_context()

    def go() -> None:
        from duplexsynth.pipelines.stage import run_transform_stage
        from duplexsynth.pipelines.transforms.rewrite import RewriteTransform
        from duplexsynth.rewrite.prompt import PROMPT_VERSION
        from duplexsynth.rewrite.rules import RULES_VERSION

        config = load_stage_config(RewriteConfig, "rewrite", config_path, ctx, OPTION_TO_FIELD)
        if not cache:
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
        summary = run_transform_stage(
            "rewrite",
            RewriteTransform(config, seed),
            input_root=input_root,
            output_root=output,
            limit=limit,
            beam_args=beam_args,
            extra_summary=extra,
        )
        failed = summary["rejected"].get("llm_error", 0)
        if config.uses_llm and failed and summary["kept"] == 0:
            click.echo(
                f"hint: all {failed} dialogues failed with llm_error; is the server at "
                f"{extra['llm_base_url']} up and serving {config.llm_model!r}? "
                f"Details in {output}/rejects/rewrite/",
                err=True,
            )

    run_or_fail(go)
