"""The README's CLI reference is generated from --help and must stay in step with it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location(
        "cli_reference", ROOT / "scripts" / "cli_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_matches_help() -> None:
    ref = _script()
    text = (ROOT / "README.md").read_text()
    assert ref.updated_readme(text) == text, (
        "run `.venv/bin/python scripts/cli_reference.py` to refresh README.md"
    )


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    text = (ROOT / "README.md").read_text()
    assert "duplexsynth run --output" in text
    assert "bash scripts/test.sh" in text
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
