"""Every file the project reads or writes goes through Beam's ``FileSystems``.

So the same code reads and writes local paths, ``gs://``, ``s3://`` and ``hdfs://`` (whatever
filesystems the installed Beam extras register). Object-store settings (endpoint, keys, region)
are Beam's own pipeline options, handed over once with :func:`set_options`; Beam's workers get
them from the pipeline options the runner ships to them.

Local paths keep their old behaviour: small files are written to a temporary name and renamed
(atomic), folders are created as needed. On object stores an object only becomes visible when
its upload finishes, so writes there are already atomic and "folders" need no creating.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Sequence
from typing import IO, Any

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

_RAW = CompressionTypes.UNCOMPRESSED  # never let Beam guess compression from a file name


def set_options(options: Any) -> None:
    """Give Beam's filesystems their settings: ``PipelineOptions`` or the args after ``--``."""
    from apache_beam.options.pipeline_options import PipelineOptions

    if not isinstance(options, PipelineOptions):
        options = PipelineOptions(list(options))
    FileSystems.set_options(options)


def scheme(path: str) -> str | None:
    """``"s3"``, ``"gs"``, ``"hdfs"``..., or ``None`` for a local path."""
    s = FileSystems.get_scheme(str(path))
    return None if s in (None, "file") else s


def is_local(path: str | os.PathLike[str]) -> bool:
    return scheme(str(path)) is None


def _local(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


def local_path(path: str | os.PathLike[str]) -> str | None:
    """The local file name of ``path``, or ``None`` for an object-store URL."""
    path = str(path)
    return _local(path) if is_local(path) else None


def join(base: str | os.PathLike[str], *parts: str) -> str:
    """``base/part/...`` for local paths and URLs alike."""
    return FileSystems.join(str(base), *parts)


def basename(path: str) -> str:
    return str(path).rstrip("/").rsplit("/", 1)[-1]


def exists(path: str | os.PathLike[str]) -> bool:
    path = str(path)
    if scheme(path) == "s3":
        return _s3io().exists(path)
    return FileSystems.exists(path)


def is_dir(path: str | os.PathLike[str]) -> bool:
    """A local folder, or a prefix under which an object store holds at least one object."""
    path = str(path)
    if is_local(path):
        return os.path.isdir(_local(path))
    return bool(list_tree(path))


def glob(pattern: str | os.PathLike[str]) -> list[str]:
    """Sorted files matching ``pattern`` (``*`` within a path segment, ``**`` across them)."""
    result = FileSystems.match([str(pattern)])[0]
    return sorted(m.path for m in result.metadata_list)


def list_tree(folder: str | os.PathLike[str]) -> list[str]:
    """Sorted files anywhere under ``folder``."""
    return glob(join(str(folder).rstrip("/"), "**"))


def sizes(paths: Sequence[str]) -> dict[str, int]:
    """``{path: bytes}`` of existing files."""
    out: dict[str, int] = {}
    for result in FileSystems.match(list(paths)):
        for m in result.metadata_list:
            out[m.path] = m.size_in_bytes
    return out


def open_read(path: str | os.PathLike[str]) -> IO[bytes]:
    """A seekable binary reader (raises ``FileNotFoundError`` when there is no such file)."""
    path = str(path)
    if is_local(path) and not os.path.isfile(_local(path)):
        raise FileNotFoundError(path)
    if scheme(path) == "s3":
        from apache_beam.io.aws.clients.s3 import messages

        try:
            return _s3io().open(path, "rb")
        except messages.S3ClientError as exc:
            if exc.code == 404:
                raise FileNotFoundError(path) from exc
            raise
    return FileSystems.open(path, compression_type=_RAW)


def open_write(path: str | os.PathLike[str]) -> IO[bytes]:
    """A binary writer; local parent folders are created."""
    path = str(path)
    if is_local(path):
        os.makedirs(os.path.dirname(os.path.abspath(_local(path))), exist_ok=True)
    if scheme(path) == "s3":
        return _s3io().open(path, "wb")
    return FileSystems.create(path, compression_type=_RAW)


_S3IO: dict[int, Any] = {}


def _s3io() -> Any:
    """Beam's S3 I/O layer (what its S3 filesystem uses), one per process and options.

    Beam's ``S3FileSystem`` builds a new boto3 client for every open/exists call (about 0.4 s
    each), which makes a content cache on S3 crawl; reads, writes and existence checks of single
    objects reuse one client instead. Listing and deleting still go through ``FileSystems``.
    """
    options = FileSystems._pipeline_options
    client = _S3IO.get(id(options))
    if client is None:
        from apache_beam.io.aws import s3io

        client = _S3IO[id(options)] = s3io.S3IO(options=options)
    return client


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    with open_read(path) as fh:
        return fh.read()


def read_text(path: str | os.PathLike[str]) -> str:
    return read_bytes(path).decode("utf-8")


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` so that readers see the old file or the new one, never half of it."""
    path = str(path)
    if not is_local(path):
        with open_write(path) as fh:
            fh.write(data)
        return
    local = _local(path)
    parent = os.path.dirname(os.path.abspath(local))
    tmp = os.path.join(parent, f".{os.path.basename(local)}.{uuid.uuid4().hex[:8]}")
    try:
        with open_write(tmp) as fh:
            fh.write(data)
        os.replace(tmp, local)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def makedirs(path: str | os.PathLike[str]) -> None:
    """Create a local folder (and parents); nothing to do on object stores."""
    path = str(path)
    if is_local(path):
        os.makedirs(_local(path), exist_ok=True)


def remove(paths: Iterable[str]) -> None:
    """Delete files; missing ones are fine."""
    paths = [str(p) for p in paths]
    present = [p for p in paths if exists(p)]
    if present:
        FileSystems.delete(present)


def remove_tree(folder: str | os.PathLike[str]) -> None:
    """Delete a folder (local) or every object under a prefix; a missing one is fine."""
    folder = str(folder)
    if is_local(folder):
        import shutil

        shutil.rmtree(_local(folder), ignore_errors=True)
        return
    remove(list_tree(folder))


# ------------------------------------------------------------------------ options on workers
#: pipeline options that configure filesystems (object-store endpoints, keys, regions)
_FS_OPTION_PREFIXES = ("s3_", "hdfs_", "azure_", "blob_")


def captured_options() -> dict[str, Any] | None:
    """This process's filesystem options, to be pickled into transforms that touch files.

    Workers that Beam starts with its own entry point get the pipeline options from the runner;
    SDK workers started by a worker pool (``--environment_type=EXTERNAL``) do not, so the
    transforms carry these and call :func:`restore_options` before their first file access.
    """
    options = FileSystems._pipeline_options
    if options is None:
        return None
    values = options.get_all_options(drop_default=True)
    kept = {k: v for k, v in values.items() if k.startswith(_FS_OPTION_PREFIXES)}
    return kept or None


def restore_options(captured: dict[str, Any] | None) -> None:
    """Set ``captured`` filesystem options in this process unless options are already set."""
    if captured and FileSystems._pipeline_options is None:
        from apache_beam.options.pipeline_options import PipelineOptions

        FileSystems.set_options(PipelineOptions.from_dictionary(captured))
