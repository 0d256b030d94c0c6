"""``python -m duplexsynth.cli``: the same as the ``duplexsynth`` console command."""

from duplexsynth.cli.main import run_cli

run_cli()
