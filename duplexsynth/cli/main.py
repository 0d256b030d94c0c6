"""The ``duplexsynth`` command: one subcommand per stage plus run/export/validate/report.

Commands live in ``duplexsynth/cli/commands/<name>.py``, each exposing ``command``
(a click command or group); this module only assembles them. Every stage command follows the
stage contract (one builder, ``cli/commands/stage_command.py``)::

    duplexsynth <stage> --input IN --output OUT --seed N [--limit N] [options] [-- beam options]
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from duplexsynth import __version__

#: in the order --help lists them
COMMAND_MODULES = (
    "run",
    "filter",
    "rewrite",
    "synth",
    "align",
    "mix",
    "augment",
    "stats",
    "fit_timing",
    "export",
    "validate",
    "report",
    "preview",
    "check_tts",
    "serve_tts",
)


class _OrderedGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(
    cls=_OrderedGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="duplexsynth")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for Beam's own logs).")
def main(verbose: int) -> None:
    """Turn text dialogue corpora into two-channel spoken dialogues for full-duplex speech models.

    Stages run in this order, each reading the previous one's output root:
    filter -> rewrite -> synth -> align -> mix -> augment; `run` does all of them as one Beam
    pipeline. Channel 0 is the assistant, channel 1 the user (moshi-finetune's convention).
    Anything after `--` is passed to Apache Beam unchanged (e.g. `-- --runner=DataflowRunner ...`).

    Exit status: 0 done; 1 when `run` or a stage command wrote nothing from a non-empty input
    (one line names the stage, the reason and the fix) or `validate` found problems; 2 for a
    user error (bad flag, missing input, unreachable server, an unfinished OUT given to
    export/report/preview), in one line.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbose < 2:
        # a failing step's error reaches the command, which reports it in one line; Beam's own
        # copy (a traceback per failed bundle) only shows with -v
        beam_level = logging.CRITICAL if verbose == 0 else logging.ERROR
        logging.getLogger("apache_beam").setLevel(beam_level)
    from duplexsynth.redact import install_log_redaction

    install_log_redaction()
    _plain_config_warnings()


def _plain_config_warnings() -> None:
    """A deprecated config key is the user's to fix: its warning is one line, without the
    source location Python shows for warnings."""
    import warnings

    from duplexsynth.config import DeprecatedKeyWarning

    default = warnings.formatwarning

    def formatwarning(message, category, filename, lineno, line=None):  # type: ignore[no-untyped-def]
        if issubclass(category, DeprecatedKeyWarning):
            return f"warning: {message}\n"
        return default(message, category, filename, lineno, line)

    warnings.formatwarning = formatwarning


class _DropBeamImportNoise(logging.Filter):
    """Beam logs a GCP-extras warning on import ("apitools not found ...") that does not apply."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("apitools not found")


def _register() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"duplexsynth.cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"duplexsynth.cli.commands.{name}":
                continue  # command not built yet
            raise
        main.add_command(module.command)


logging.getLogger().addFilter(_DropBeamImportNoise())
_register()


def run_cli() -> None:
    """The ``duplexsynth`` console entry point: :func:`main`, then a hard exit.

    Once a command has finished (outputs written, messages flushed), the process ends with
    ``os._exit`` instead of the interpreter's teardown: Beam's gRPC threads, left behind by the
    DirectRunner's worker processes, now and then abort that teardown ("terminate called
    without an active exception", status -6) after all the work is done. An unexpected
    exception still propagates with its traceback.
    """
    try:
        main()
    except SystemExit as exc:
        code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        logging.shutdown()
        os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    run_cli()
