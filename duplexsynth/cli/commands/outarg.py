"""The ``OUT`` argument of the product commands (validate, export, report, preview): a local
folder or an object-store URL (``s3://bucket/out``), with Beam's filesystem options after ``--``.

Existence is checked through Beam's FileSystems once those options are set (in
:func:`existing_out`, called inside ``run_or_fail``), so ``--s3_endpoint_url`` and the keys
reach the check too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def beam_args_argument(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The trailing ``[-- BEAM_OPTIONS...]`` (object-store settings such as ``--s3_endpoint_url``)."""
    return click.argument(
        "beam_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- BEAM_OPTIONS...]"
    )(fn)


def out_argument(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``OUT`` (a folder or URL) plus ``[-- BEAM_OPTIONS...]`` for object-store settings."""
    return click.argument("out", metavar="OUT")(beam_args_argument(fn))


def existing_out(out: str) -> str:
    """``out`` unchanged, or ``ValueError`` naming it when nothing is there."""
    from duplexsynth import fs

    if not fs.is_dir(out):
        raise ValueError(f"{out!r} does not exist (OUT is the output root of `duplexsynth run`)")
    return out


def existing_dirs(paths: str | tuple[str, ...] | list[str] | None, flag: str) -> None:
    """``ValueError`` (one line, naming ``flag``) for the first of ``paths`` that is neither a
    local folder nor an object-store prefix holding at least one object."""
    from duplexsynth import fs

    if isinstance(paths, str):
        paths = (paths,)
    for path in paths or ():
        if fs.is_dir(path):
            continue
        if not fs.is_local(path):
            raise ValueError(f"{flag} {path!r}: there is no object under that prefix")
        what = "is not a folder" if fs.exists(path) else "does not exist"
        raise ValueError(f"{flag} {path!r} {what}")
