"""Options and helpers shared by the commands: the stage contract's flags, config loading,
one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

#: the Beam arguments after ``--`` (``ctx.params["beam_args"]``, handed to Beam and its filesystems)
beam_arguments = click.argument(
    "beam_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- BEAM_OPTIONS...]"
)


def output_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The required ``--output/-o OUT`` of the commands that write an output root."""
    return click.option(
        "--output", "-o", required=True, type=click.Path(file_okay=False), help=help
    )


#: ``--timing FILE`` of ``mix`` and ``run`` (read with :func:`timing_defaults`)
timing_option = click.option(
    "--timing",
    type=click.Path(dir_okay=False),
    default=None,
    help="Timing fitted by `duplexsynth fit-timing`: its knobs become the mix settings' "
    "defaults, under the config file and the flags.",
)


def timing_defaults(path: str | None) -> dict[str, Any]:
    """The mix knobs of a ``--timing`` file ({} without one)."""
    if path is None:
        return {}
    from duplexsynth.mix.fit import load_timing

    return dict(load_timing(path)["mix"])


def warn_empty_inputs(inputs: list[str] | tuple[str, ...]) -> None:
    """One warning line per input file that is empty (0 bytes)."""
    import os

    for path in inputs or ():
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            click.echo(f"warning: input file {path} is empty", err=True)


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


def finish(summary: dict[str, Any] | None, output: str) -> None:
    """The exit rule of ``run`` and the stage commands, after the summary is written: warn when
    the input held no records (exit 0), exit 1 with one line naming the cause and the fix
    (:func:`duplexsynth.pipelines.outcome.run_failure`) when a non-empty input gave nothing."""
    from duplexsynth.pipelines.outcome import run_failure

    if summary is None:
        return
    if summary.get("input_records") == 0:
        click.echo("warning: the input holds no records; nothing to do", err=True)
        return
    failure = run_failure(summary, output)
    if failure is not None:
        click.echo(f"error: {failure}", err=True)
        sys.exit(1)


def read_config_file(path: str | None) -> dict[str, Any]:
    """Parse a YAML (``.yaml``/``.yml``) or TOML (``.toml``) config file into a dict ({} for None).

    ``path`` may be an object-store URL (read through :mod:`duplexsynth.fs`).
    """
    if not path:
        return {}
    from duplexsynth import fs

    try:
        text = fs.read_text(path)
    except (FileNotFoundError, IsADirectoryError):
        raise ValueError(f"config file {path!r} does not exist") from None
    if path.lower().endswith(".toml"):
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
    base: dict[str, Any] | None = None,
) -> Any:
    """Build ``config_cls`` from ``base`` <- the file's ``section`` <- options passed on the CLI.

    The options are those generated from the model (:func:`duplexsynth.config.cli_options`,
    parameters named after their fields); only options the user actually passed override the
    file, so ``show_default`` values never mask the config file.
    """
    from duplexsynth.config import cli_fields

    values = dict(base or {})
    values.update(config_cls.upgrade_keys(read_config_file(config_path).get(section) or {}))
    for name, value in passed_options(ctx, list(cli_fields(config_cls))).items():
        values[name] = list(value) if isinstance(value, tuple) else value
    if not values:
        return config_cls()
    return config_cls.from_dict(values)


def config_option(section: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--config FILE`` option of a stage command, reading the file's ``section``."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help=f"YAML or TOML config file; its `{section}` section sets any of this stage's "
        f"settings (keys as in docs/stages/{section}.md); flags given on the command line override it.",
    )
