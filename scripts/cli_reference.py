#!/usr/bin/env python3
"""Regenerate (or --check) the CLI reference in docs/cli.md from the commands' own --help.

The reference sits between the markers ``<!-- cli-reference:start -->`` and
``<!-- cli-reference:end -->``; tests fail when it is out of step with ``--help``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"
REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def _help(args: list[str]) -> str:
    from duplexsynth.cli.main import main

    result = CliRunner().invoke(
        main, [*args, "--help"], terminal_width=100, prog_name="duplexsynth"
    )
    if result.exit_code != 0:
        raise RuntimeError(f"`duplexsynth {' '.join(args)} --help` failed: {result.output}")
    return result.output.rstrip() + "\n"


def _walk(group: click.Group, prefix: list[str]) -> list[list[str]]:
    out = []
    for name in group.list_commands(click.Context(group)):
        cmd = group.get_command(click.Context(group), name)
        out.append([*prefix, name])
        if isinstance(cmd, click.Group):
            out.extend(_walk(cmd, [*prefix, name]))
    return out


def render() -> str:
    from duplexsynth.cli.main import main

    parts = [START, "", "## `duplexsynth`", "", "```text", _help([]).rstrip(), "```", ""]
    for path in _walk(main, []):
        parts += [
            f"## `duplexsynth {' '.join(path)}`",
            "",
            "```text",
            _help(path).rstrip(),
            "```",
            "",
        ]
    parts.append(END)
    return "\n".join(parts)


def updated_reference(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"docs/cli.md lacks the {START} / {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + render() + tail


def main(argv: list[str]) -> int:
    text = REFERENCE.read_text()
    new = updated_reference(text)
    if "--check" in argv:
        if new != text:
            print(
                "docs/cli.md is out of step with --help: run scripts/cli_reference.py",
                file=sys.stderr,
            )
            return 1
        return 0
    REFERENCE.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
