"""The ``OUT`` argument of the product commands (validate, export, stats): a local folder or an
object-store URL (``s3://bucket/out``), with Beam's filesystem options after ``--``.

Existence is checked through Beam's FileSystems once those options are set (in
:func:`existing_out`, called inside ``run_or_fail``), so ``--s3_endpoint_url`` and the keys
reach the check too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def out_argument(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``OUT`` (a folder or URL) plus ``[-- BEAM_OPTIONS...]`` for object-store settings."""
    fn = click.argument(
        "beam_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- BEAM_OPTIONS...]"
    )(fn)
    return click.argument("out", metavar="OUT")(fn)


def existing_out(out: str) -> str:
    """``out`` unchanged, or ``ValueError`` naming it when nothing is there."""
    from duplexsynth import fs

    if not fs.is_dir(out):
        raise ValueError(f"{out!r} does not exist (OUT is the output root of `duplexsynth run`)")
    return out
