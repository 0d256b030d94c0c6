"""Keep local worker processes' stderr to what a user needs while a pipeline runs.

With several DirectRunner worker processes (the default of ``run``), Beam's SDK workers share
the launcher's stderr and write to it directly: start-up chatter ("Logging handler created",
"No semi_persistent_directory found", the GCP-extras note) and, when a step fails, the full
traceback (``print(traceback, file=sys.stderr)`` in Beam's worker, not a log record, so log
levels cannot silence it). The launcher receives the same error and reports it in one line
(with the traceback under ``-v``), so while a pipeline runs, :func:`filtered_stderr` passes the
process's stderr (file descriptor 2, which the workers inherit) through a filter that drops
those lines and keeps everything else (progress lines, warnings, our own messages) in order.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator

#: Beam's start-up notes from every worker process, never useful to a user
NOISE = (
    "Logging handler created",
    "No semi_persistent_directory found",
    "apitools not found",
    "Discarding unparseable args",
)
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


class TracebackFilter:
    """Line filter: drops Python tracebacks (and chained ones) and Beam's start-up noise."""

    def __init__(self) -> None:
        self.in_traceback = False

    def keep(self, line: str) -> bool:
        text = line.rstrip("\n")
        if text.startswith("Traceback (most recent call last):") or text.startswith(
            "During handling of the above exception"
        ):
            self.in_traceback = True
            return False
        if self.in_traceback:
            if not text.strip() or text[:1].isspace() or _EXCEPTION_LINE.match(text):
                return False
            self.in_traceback = False
        return not any(noise in text for noise in NOISE)


def wanted() -> bool:
    """Filter only when the CLI runs quietly (no ``-v``): it then silences Beam's own logs."""
    return logging.getLogger("apache_beam").getEffectiveLevel() >= logging.CRITICAL


@contextlib.contextmanager
def filtered_stderr(active: bool | None = None) -> Iterator[None]:
    """Pass file descriptor 2 through :class:`TracebackFilter` inside the ``with`` block.

    ``active=None`` decides with :func:`wanted`. Worker processes started inside the block
    inherit the filtered descriptor; the launcher's own ``sys.stderr`` writes go through it too,
    so the order of lines is kept. Outside the block stderr is untouched.
    """
    if active is None:
        active = wanted()
    if not active:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
    except (OSError, ValueError):  # no real descriptor 2 (embedded use): leave stderr alone
        yield
        return
    pump = threading.Thread(target=_pump, args=(read_fd, saved), daemon=True)
    pump.start()
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 2)  # our end of the pipe is closed: the pump ends when workers exit
        # wait for that: a pump thread still running at interpreter exit (workers of a very
        # short run still shutting down) aborted the process now and then
        pump.join(timeout=10.0)


def _pump(read_fd: int, out_fd: int) -> None:
    """Copy lines from ``read_fd`` to ``out_fd`` through the filter until the pipe closes."""
    keep = TracebackFilter().keep
    with os.fdopen(read_fd, "r", encoding="utf-8", errors="replace", closefd=True) as lines:
        for line in lines:
            try:
                if keep(line):
                    os.write(out_fd, line.encode("utf-8", errors="replace"))
            except OSError:
                return
    with contextlib.suppress(OSError):
        os.close(out_fd)
