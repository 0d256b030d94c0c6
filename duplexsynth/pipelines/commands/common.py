"""Options and helpers shared by the stage commands (the stage contract's flags)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

DEFAULT_SEED = 1234


def stage_options(
    *, multiple_inputs: bool = False, input_required: bool = True, input_help: str | None = None
):
    """Decorator adding ``--input/--output/--seed/--limit`` and the Beam arguments after ``--``."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.argument(
            "beam_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- BEAM_OPTIONS...]"
        )(fn)
        fn = click.option(
            "--limit",
            type=click.IntRange(min=1),
            default=None,
            help="Process only the first N input records (in file order).",
        )(fn)
        fn = click.option(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            show_default=True,
            help="Run seed; every random choice comes from an RNG seeded by (seed, dialogue id).",
        )(fn)
        fn = click.option(
            "--output",
            "-o",
            required=True,
            type=click.Path(file_okay=False),
            help="Output root; this stage writes OUT/<folder>/part-*.parquet, OUT/rejects/<stage>/ and OUT/summary.json.",
        )(fn)
        fn = click.option(
            "--input",
            "-i",
            "inputs" if multiple_inputs else "input_root",
            multiple=multiple_inputs,
            required=input_required,
            help=input_help
            or "Output root of the previous stage (the folder holding its part files).",
        )(fn)
        return fn

    return decorate


def fail(message: str) -> None:
    """Exit with a one-line error (no traceback) and status 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def run_or_fail(fn: Callable[[], Any]) -> Any:
    """Run ``fn``; turn ``ValueError``/``FileNotFoundError`` (user errors) into a clean exit."""
    try:
        return fn()
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
