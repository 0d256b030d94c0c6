"""The ``duplexsynth`` CLI in a child process, as a user runs it (real exit code and stderr).

Shared by the object-store and reliability tests; test modules import it as ``_clitools``
(the tests root is on ``sys.path`` through its conftest).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: ``python -m duplexsynth.cli``: this checkout's CLI under the test's interpreter
CLI = [sys.executable, "-m", "duplexsynth.cli"]


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment, this checkout first on ``PYTHONPATH``, plus ``env``."""
    return {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}


def run_cli(
    args: list[str] | tuple[str, ...],
    *,
    cwd: Path = REPO,
    env: dict[str, str] | None = None,
    timeout_s: float = 300,
) -> subprocess.CompletedProcess:
    """``duplexsynth ARGS`` in a child process; stdout and stderr captured as text."""
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
