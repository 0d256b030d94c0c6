#!/usr/bin/env python3
"""Regenerate (or --check) the settings tables in docs/stages/<stage>.md from the stage models.

Each table sits between ``<!-- config-table:start -->`` and ``<!-- config-table:end -->`` in the
stage's chapter and is rendered by :func:`duplexsynth.config.options_table` from the stage's
pydantic model (keys, flags, allowed values, defaults, descriptions). Stages whose config is not
a pydantic model yet are skipped. Tests fail when a table is out of step with its model.
"""

from __future__ import annotations

import sys
from pathlib import Path

START = "<!-- config-table:start -->"
END = "<!-- config-table:end -->"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "stages"


def stage_docs() -> dict[Path, str]:
    """docs file -> the text it should hold, for every stage with a pydantic model."""
    from duplexsynth.config import StageConfig, options_table
    from duplexsynth.pipelines.config import CONFIG_CLASSES, config_class

    out = {}
    for stage in CONFIG_CLASSES:
        cls = config_class(stage)
        path = DOCS / f"{stage}.md"
        if not (isinstance(cls, type) and issubclass(cls, StageConfig)) or not path.exists():
            continue
        text = path.read_text()
        if START not in text or END not in text:
            raise SystemExit(f"{path} lacks the {START} / {END} markers")
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        out[path] = f"{head}{START}\n{options_table(cls)}\n{END}{tail}"
    return out


def main(argv: list[str]) -> int:
    stale = []
    for path, new in stage_docs().items():
        if path.read_text() != new:
            if "--check" in argv:
                stale.append(path.name)
            else:
                path.write_text(new)
    if stale:
        print(
            f"docs/stages/{', '.join(stale)} out of step with the config models: "
            "run scripts/config_tables.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
