"""Beam SDK worker processes end without tearing the interpreter down.

A local multi-worker run ends with the runner closing its worker processes one after the other,
each waited for until it has exited. A worker that has loaded the stages (Beam, numpy/scipy,
pyarrow, the engines, the audio still referenced) spends about 0.5-0.8 s of that exit freeing
its objects one by one (measured on the 2-core machine of ``bench/scale.py``), time in which
no work is done: a fixed cost per worker at the end of every run.

:func:`end_workers_quickly` (called from the stages' ``DoFn.setup``) registers, once per process
and only in a process started as Beam's SDK worker (``python -m
apache_beam.runners.worker.sdk_worker_main``: the DirectRunner's worker processes, a worker
pool's, a cluster container's), an exit handler that runs every other exit handler, flushes
the standard streams and ends the process with ``os._exit``: everything Python does at exit
except freeing the objects. The exit status stays 1 after an unhandled exception. The
launcher's own process (``--workers 1``, tests, ``LOOPBACK``) is never touched.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys

SDK_WORKER_MAIN = "apache_beam.runners.worker.sdk_worker_main"
_installed = False


def in_sdk_worker() -> bool:
    """Whether this process was started as Beam's SDK worker."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) == SDK_WORKER_MAIN


def end_workers_quickly() -> bool:
    """Register the quick exit in an SDK worker process (once); returns whether it is active."""
    global _installed
    if not _installed and in_sdk_worker():
        atexit.register(_exit_now)
        _installed = True
    return _installed


def _exit_now() -> None:
    status = 1 if getattr(sys, "last_value", None) is not None else 0
    atexit.unregister(_exit_now)
    atexit._run_exitfuncs()  # the other handlers (log handlers, temp folders...) still run
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(status)
