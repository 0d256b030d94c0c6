#!/usr/bin/env python3
"""Regenerate (or --check) the settings tables in the docs from the config models.

Each table sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers:

* ``config-table`` in ``docs/stages/<stage>.md``: the stage's pydantic model
  (:func:`duplexsynth.config.options_table`: keys, flags, allowed values, defaults,
  descriptions);
* ``config-table:run``, ``config-table:run-flags`` and ``config-table:write`` in
  ``docs/product.md``: the ``run`` section (``RunOptions``, each key also a flag of
  ``duplexsynth run``), the flags of ``run`` that set stage keys (``RUN_SHORTCUTS``) and the
  final ``write`` step (``WriteConfig``).

Tests fail when a table is out of step with its model.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def tables() -> list[tuple[Path, str, str]]:
    """(docs file, marker name, table) of every generated table."""
    from duplexsynth.config import StageConfig, options_table
    from duplexsynth.pipelines.config import (
        CONFIG_CLASSES,
        RunOptions,
        WriteConfig,
        config_class,
        shortcuts_table,
    )

    out = []
    for stage in CONFIG_CLASSES:
        cls = config_class(stage)
        path = DOCS / "stages" / f"{stage}.md"
        if isinstance(cls, type) and issubclass(cls, StageConfig) and path.exists():
            out.append((path, "config-table", options_table(cls)))
    product = DOCS / "product.md"
    out += [
        (product, "config-table:run", options_table(RunOptions)),
        (product, "config-table:run-flags", shortcuts_table()),
        (product, "config-table:write", options_table(WriteConfig)),
    ]
    return out


def generated_docs() -> dict[Path, str]:
    """docs file -> the text it should hold, its tables rendered from the models."""
    out: dict[Path, str] = {}
    for path, name, table in tables():
        text = out.get(path, path.read_text())
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start not in text or end not in text:
            raise SystemExit(f"{path} lacks the {start} / {end} markers")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        out[path] = f"{head}{start}\n{table}\n{end}{tail}"
    return out


def main(argv: list[str]) -> int:
    stale = []
    for path, new in generated_docs().items():
        if path.read_text() != new:
            if "--check" in argv:
                stale.append(str(path.relative_to(DOCS.parent)))
            else:
                path.write_text(new)
    if stale:
        print(
            f"{', '.join(stale)} out of step with the config models: run scripts/config_tables.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
