"""An output root is either a complete, consistent run or visibly not one: the run marker.

A run (``duplexsynth run`` or a stage command) calls :func:`begin_run` before it writes
anything: it removes the ``.tmp-*`` folders a killed run left in the stage folders, removes the
previous run's ``summary.json`` and ``_FAILED``, and writes ``OUT/_RUNNING`` (when, which
process, which command). Only after every shard and the new ``summary.json`` are written does
:func:`finish_run` delete ``_RUNNING``. A run that fails with an error replaces it by
``OUT/_FAILED`` holding the error (:func:`fail_run`); a killed run leaves ``_RUNNING`` behind.
``duplexsynth validate`` (and :func:`incomplete_reason`) refuse an OUT with either marker, and so
do ``export``, ``report`` and ``preview`` (:func:`require_finished`).

Markers rather than a staging folder switched into place: object stores (S3, GCS) have no
atomic directory rename, and all paths here go through Beam's ``FileSystems``, so the same
code works for a local folder and for ``s3://bucket/out``.

A rerun into a non-empty OUT (the resume path): each folder the run writes is replaced shard
set by shard set, the content cache makes already-synthesized turns free, and until the rerun
finishes OUT carries ``_RUNNING``. Folders the rerun does not write (a stage it skips with
``--from``) are left as they are; the new ``summary.json`` lists the stages that ran.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from typing import Any

from apache_beam.io.filesystems import FileSystems

RUNNING = "_RUNNING"
FAILED = "_FAILED"
SUMMARY = "summary.json"
#: where the writers stage their part files (``io.WriteShards``, ``write.py``)
TEMP_PREFIX = ".tmp-"


def _join(root: str, *parts: str) -> str:
    return FileSystems.join(str(root), *parts)


def _write_json(path: str, value: dict[str, Any]) -> None:
    with FileSystems.create(path) as fh:
        fh.write((json.dumps(value, indent=2) + "\n").encode())


def _read_json(path: str) -> dict[str, Any]:
    try:
        with FileSystems.open(path) as fh:
            value = json.loads(fh.read().decode() or "{}")
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _delete(paths: list[str]) -> None:
    existing = [p for p in paths if FileSystems.exists(p)]
    if existing:
        FileSystems.delete(existing)


def stale_temp_paths(out_root: str) -> list[str]:
    """``.tmp-*`` folders (local) or the objects under them (object stores) inside ``out_root``."""
    patterns = [
        _join(out_root, "*", TEMP_PREFIX + "*"),
        _join(out_root, "rejects", "*", TEMP_PREFIX + "*"),
    ]
    if _is_local(out_root):  # Beam's local match lists files only; the folders are the unit
        import glob

        return sorted({p for pattern in patterns for p in glob.glob(pattern)})
    found: list[str] = []
    for result in FileSystems.match([p + "/*" for p in patterns]):
        found.extend(m.path for m in result.metadata_list)
    return sorted(set(found))


def _is_local(path: str) -> bool:
    return "://" not in str(path)


def begin_run(out_root: str, command: str | None = None) -> list[str]:
    """Mark ``out_root`` as being written; returns the stale temp paths it removed.

    Raises ``ValueError`` naming the path and the OS error when ``out_root`` can not be
    created or written (under a regular file, in a read-only folder, on a full disk).
    """
    out_root = str(out_root)
    try:
        if _is_local(out_root):
            os.makedirs(out_root, exist_ok=True)
        stale = stale_temp_paths(out_root)
        _delete(stale)
        _delete([_join(out_root, FAILED), _join(out_root, SUMMARY)])
        _write_json(
            _join(out_root, RUNNING),
            {
                "started_unix_s": round(time.time(), 3),
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "command": command or " ".join(os.path.basename(a) for a in sys.argv[:2]),
            },
        )
    except OSError as exc:
        raise ValueError(f"cannot write the output folder {out_root}: {_os_error(exc)}") from None
    return stale


def finish_run(out_root: str) -> None:
    """The run completed: remove the ``_RUNNING`` marker (call after ``summary.json``)."""
    _delete([_join(str(out_root), RUNNING)])


def fail_run(out_root: str, error: str) -> None:
    """The run stopped on ``error``: ``_RUNNING`` becomes ``_FAILED`` (best effort)."""
    from duplexsynth.redact import redact

    out_root = str(out_root)
    try:
        info = _read_json(_join(out_root, RUNNING))
        info.update(failed=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), error=redact(error))
        _write_json(_join(out_root, FAILED), info)
        _delete([_join(out_root, RUNNING)])
    except OSError:
        pass  # the folder itself is unusable; _RUNNING (if any) still marks the run


def incomplete_reason(out_root: str) -> str | None:
    """Why ``out_root`` is not a complete run (a marker is there), or ``None``."""
    out_root = str(out_root)
    for marker in (FAILED, RUNNING):
        path = _join(out_root, marker)
        if FileSystems.exists(path):
            info = _read_json(path)
            if marker == FAILED:
                state = f"failed: {info.get('error', 'unknown error')}"
            else:
                state = (
                    f"(pid {info.get('pid', '?')} on {info.get('host', '?')}) has not finished: "
                    "it is still running or was killed"
                )
            return (
                f"{path}: the run started {info.get('started', '?')} {state}; "
                "rerun into this folder to complete it"
            )
    return None


def require_finished(out_root: str, action: str) -> None:
    """``ValueError`` (one line: the marker, what happened, what to do) when ``out_root``
    carries ``_RUNNING`` or ``_FAILED``; ``action`` says what was refused (``"export"``)."""
    reason = incomplete_reason(out_root)
    if reason is not None:
        raise ValueError(f"cannot {action} an unfinished run: {reason}")


def _os_error(exc: OSError) -> str:
    """``[Errno 30] Read-only file system: 'x'`` -> ``Read-only file system``."""
    return exc.strerror or str(exc)


def os_error_of(exc: BaseException, out_root: str | None = None) -> ValueError | None:
    """A one-line ``ValueError`` naming the path and the OS error when ``exc`` is (or wraps) an
    ``OSError`` about the output (full disk, read-only folder, a file in the way); else None.

    Beam re-raises a worker's exception with the step name around it; the OS error is found in
    the exception chain or, failing that, in the message.
    """
    import errno
    import re

    wanted = {
        errno.ENOSPC,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENOTDIR,
        errno.EEXIST,
        errno.EDQUOT,
    }
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno in wanted:
            where = cur.filename or out_root or "the output folder"
            return ValueError(f"cannot write {where}: {os.strerror(cur.errno)}")
        cur = cur.__cause__ or cur.__context__
    m = re.search(r"\[Errno (\d+)\][^']*?(?:'([^']+)')?", str(exc))
    if m and int(m.group(1)) in wanted:
        where = m.group(2) or out_root or "the output folder"
        return ValueError(f"cannot write {where}: {os.strerror(int(m.group(1)))}")
    return None
