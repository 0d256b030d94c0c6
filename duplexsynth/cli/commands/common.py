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
    from duplexsynth.redact import redact

    click.echo(f"error: {redact(message)}", err=True)
    sys.exit(2)


def run_or_fail(fn: Callable[[], Any]) -> Any:
    """Run ``fn``; turn ``ValueError``/``FileNotFoundError`` (user errors) and OS errors about
    the output into a one-line error and exit status 2.

    The Beam arguments after ``--`` are handed to Beam's filesystems first, so that inputs and
    outputs on object stores (``--s3_endpoint_url``, ...) work before the pipeline is built.
    """
    ctx = click.get_current_context(silent=True)
    try:
        if ctx is not None and ctx.params.get("beam_args"):
            from duplexsynth import fs

            fs.set_options(list(ctx.params["beam_args"]))
        return fn()
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    except Exception as exc:  # an unusable output (full disk, read-only, a file in the way)
        from duplexsynth.pipelines.outdir import os_error_of

        clean = os_error_of(exc)
        if clean is None:
            raise
        fail(str(clean))


def read_config_file(path: str | None) -> dict[str, Any]:
    """Parse a YAML (``.yaml``/``.yml``) or TOML (``.toml``) config file into a dict ({} for None)."""
    if not path:
        return {}
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"config file {path!r} does not exist")
    text = p.read_text()
    if p.suffix.lower() == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        data = tomllib.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError(
            f"config file {path!r} must hold a mapping of stage sections, got {type(data).__name__}"
        )
    return data


def passed_options(ctx: click.Context, names: list[str] | None = None) -> dict[str, Any]:
    """The subset of ``ctx.params`` the user actually gave on the command line (not defaults)."""
    from click.core import ParameterSource

    out = {}
    for name, value in ctx.params.items():
        if names is not None and name not in names:
            continue
        if ctx.get_parameter_source(name) in (
            ParameterSource.COMMANDLINE,
            ParameterSource.ENVIRONMENT,
        ):
            out[name] = value
    return out


def load_stage_config(
    config_cls: Any,
    section: str,
    config_path: str | None,
    ctx: click.Context,
    option_to_field: dict[str, str] | None = None,
) -> Any:
    """Build ``config_cls`` from defaults <- the file's ``section`` <- options passed on the CLI.

    ``option_to_field`` maps click parameter names to config field names; only options the user
    actually passed override the file, so ``show_default`` values never mask the config file.
    Without ``option_to_field``, the options generated from a pydantic stage model
    (:func:`duplexsynth.config.cli_options`, parameters named after their fields) are used.
    """
    if option_to_field is None:
        from duplexsynth.config import cli_fields

        option_to_field = {name: name for name in cli_fields(config_cls)}
    values = config_cls.upgrade_keys(read_config_file(config_path).get(section) or {})
    for opt, value in passed_options(ctx, list(option_to_field)).items():
        values[option_to_field[opt]] = list(value) if isinstance(value, tuple) else value
    if not values:
        return config_cls()
    return config_cls.from_dict(values)


def config_option(section: str):
    """The ``--config FILE`` option of a stage command, reading the file's ``section``."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help=f"YAML or TOML config file; its `{section}` section sets any of this stage's "
        f"settings (keys as in docs/stages/{section}.md); flags given on the command line override it.",
    )


def cache_dir_option(what: str):
    """The ``--cache-dir DIR`` option: where content-addressed results of ``what`` are kept."""
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False),
        default=None,
        help=f"Cache root for {what} [default: $DUPLEXSYNTH_CACHE or ~/.cache/duplexsynth].",
    )
