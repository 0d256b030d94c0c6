"""The README keeps its set-up commands; docs/cli.md is generated from --help and stays in step."""

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
    text = (ROOT / "docs" / "cli.md").read_text()
    assert ref.updated_reference(text) == text, (
        "run `.venv/bin/python scripts/cli_reference.py` to refresh docs/cli.md"
    )


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    text = (ROOT / "README.md").read_text()
    assert "duplexsynth run --output" in text
    assert "bash scripts/test.sh" in text
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_readme_stays_short_and_its_doc_links_resolve() -> None:
    import re

    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 40_000, "README.md is for newcomers: move detail to docs/"
    links = re.findall(r"\]\((docs/[^)#]+)", text)
    assert links, "README.md links no docs"
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, f"README.md links missing files: {missing}"


def test_settings_tables_match_the_config_models() -> None:
    """The generated settings tables (docs/stages/<stage>.md, the run and write tables in
    docs/product.md) are in step with the pydantic models."""
    spec = importlib.util.spec_from_file_location(
        "config_tables", ROOT / "scripts" / "config_tables.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    docs = module.generated_docs()
    stale = [p.name for p, new in docs.items() if p.read_text() != new]
    assert not stale, f"run `.venv/bin/python scripts/config_tables.py` to refresh {stale}"
    assert ROOT / "docs" / "product.md" in docs, "the run settings have no generated table"
    assert len(docs) >= 7, "a stage chapter lost its generated settings table"
