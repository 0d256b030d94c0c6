"""The one builder of the stage commands (``filter`` ... ``augment``): the stage contract.

Every stage command is ``duplexsynth <stage> --input IN --output OUT --seed N [--limit N]
[settings] [--config FILE] [-- BEAM_OPTIONS...]``. :func:`stage_command` declares those shared
options once, generates the settings' flags from the stage's config model, loads the config
(defaults <- a stage's own ``defaults`` <- the config file's section <- the flags passed), runs
the stage's pipeline through :func:`duplexsynth.pipelines.stage.run_transform_stage` and turns
user errors into one-line messages (:func:`run_or_fail`). What differs between stages is a small
*plan* function: given the loaded config and the command's arguments, it returns the stage's
transform and the fields it adds to ``OUT/summary.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

from duplexsynth.cli.commands.common import (
    beam_arguments,
    config_option,
    finish,
    load_stage_config,
    output_option,
    run_or_fail,
)
from duplexsynth.config import StageConfig, cli_fields, cli_options
from duplexsynth.pipelines.config import RunOptions
from duplexsynth.schemas.arrow import STAGE_FOLDERS, STAGES

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


@dataclass
class StageArgs:
    """What a stage command was given: the loaded config and the shared arguments."""

    config: Any
    seed: int
    #: ``--input``: the previous stage's output root (a tuple of corpus inputs for ``filter``)
    input: Any
    output: str
    limit: int | None
    #: the stage's own extra options, by parameter name (``cache``, ``timing``)
    options: dict[str, Any]


@dataclass
class StagePlan:
    """What a stage command runs: ``source | transform``, then the shards and the summary."""

    transform: Any
    #: extra fields of ``OUT/summary.json``
    summary: dict[str, Any] = field(default_factory=dict)
    #: the pipeline's source; default: the previous stage's rows under ``--input``
    source: Any = None
    #: called with the finished summary (hints on stderr)
    after: Callable[[dict[str, Any]], None] | None = None


def stage_input_help(stage: str) -> str:
    """``--input`` help of a stage reading the previous stage's output root."""
    previous = STAGES[STAGES.index(stage) - 1]
    return (
        f"Output root of `duplexsynth {previous}` "
        f"(reads IN/{STAGE_FOLDERS[previous]}/part-*.parquet)."
    )


def stage_command(
    stage: str,
    model: type[StageConfig],
    *,
    help: str | None = None,
    corpus_input: Decorator | None = None,
    options: Sequence[Decorator] = (),
    defaults: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[Callable[[StageArgs], StagePlan]], click.Command]:
    """Turn a plan function ``(StageArgs) -> StagePlan`` into the click command of ``stage``.

    ``help``: the command's help (default: the plan function's docstring). ``corpus_input``:
    the ``--input`` option of a stage that reads corpora (``filter``) instead of the required
    output root of the stage before. ``options``: the stage's own extra options, listed after
    its settings. ``defaults``: values under the config file, from those options (``mix
    --timing``).
    """

    clash = set(cli_fields(model)) & {"input", "output", "seed", "limit", "config_path"}
    if clash:
        raise ValueError(f"{model.__name__}: {sorted(clash)} would shadow the stage contract")

    def decorate(plan: Callable[[StageArgs], StagePlan]) -> click.Command:
        def callback(
            output: str,
            seed: int,
            limit: int | None,
            beam_args: tuple[str, ...],
            config_path: str | None,
            **params: Any,
        ) -> None:
            ctx = click.get_current_context()
            source_input = params.pop("input")
            settings = cli_fields(model)
            extra = {name: value for name, value in params.items() if name not in settings}

            def go() -> tuple[dict[str, Any], Callable[[dict[str, Any]], None] | None]:
                from duplexsynth.pipelines.stage import run_transform_stage

                base = defaults(extra) if defaults is not None else None
                config = load_stage_config(model, stage, config_path, ctx, base)
                planned = plan(StageArgs(config, seed, source_input, output, limit, extra))
                summary = run_transform_stage(
                    stage,
                    planned.transform,
                    input_root=source_input,
                    output_root=output,
                    limit=limit,
                    beam_args=beam_args,
                    extra_summary=planned.summary,
                    source=planned.source,
                )
                return summary, planned.after

            summary, after = run_or_fail(go)
            finish(summary, output)
            if after is not None:
                after(summary)

        decorators: list[Decorator] = [
            corpus_input
            or click.option("--input", "-i", required=True, help=stage_input_help(stage)),
            output_option(
                f"Output root; this stage writes OUT/{STAGE_FOLDERS[stage]}/part-*.parquet, "
                f"OUT/rejects/{stage}/ and OUT/summary.json."
            ),
            cli_options(RunOptions, only=("seed", "limit")),
            cli_options(model),
            *options,
            config_option(stage),
            beam_arguments,
        ]
        fn: Any = callback
        for decorator in reversed(decorators):
            fn = decorator(fn)
        return click.command(stage, help=help or plan.__doc__)(fn)

    return decorate
