"""Corpus sources: find the inputs and stream each one as *raw records*.

* :func:`resolve_sources` turns ``--input`` values (files, globs, folders, ``hf:NAME``) into
  :class:`Source` objects with stable, collision-free id stems.
* :func:`iter_raw_records` streams one source as raw records: small dicts with the dialogue
  ``id``, ``source_file``, ``source_index`` and either the undecoded JSONL ``line`` (bytes), the
  decoded ``record`` or an ``error``. Every record of the input, including unreadable lines,
  becomes exactly one raw record, so a stage's input count is the number of records.
  Whitespace-only lines of a JSONL file are not records.

Files may be local or on an object store (``s3://``, ``gs://``, ``hdfs://``: read through Beam's
FileSystems, globs and folders included). Files: ``.jsonl``/``.ndjson`` (optionally ``.gz``; index = 0-based line number),
``.json``/``.json.gz`` (an array: one record per item; an object: one record; JSON Lines saved
as ``.json`` are read as JSONL), ``.parquet`` (one record per row). Folders are read recursively.
Hugging Face: ``hf:NAME[?split=&config=&revision=&streaming=]`` through ``datasets``.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from duplexsynth import fs
from duplexsynth.filter.config import FilterConfig

#: file name endings the readers understand, longest first
_EXTENSIONS: tuple[tuple[str, str], ...] = (
    (".jsonl.gz", "jsonl"),
    (".ndjson.gz", "jsonl"),
    (".json.gz", "json"),
    (".jsonl", "jsonl"),
    (".ndjson", "jsonl"),
    (".json", "json"),
    (".parquet", "parquet"),
)
HF_PREFIX = "hf:"
_HF_OPTIONS = ("split", "config", "revision", "streaming")


# ------------------------------------------------------------------------------ sources
@dataclass(frozen=True)
class Source:
    """One input: a local file or a Hugging Face dataset split."""

    kind: str  # "jsonl" | "json" | "parquet" | "hf"
    location: str  # absolute file path or URL, or the dataset name/path for hf
    source_file: str  # what rows carry as ``source_file`` (file basename, or hf:NAME:SPLIT)
    stem: str  # dialogue ids are f"{stem}-{source_index:06d}"
    split: str | None = None
    config: str | None = None
    revision: str | None = None
    streaming: bool = False
    cache_dir: str | None = None

    @property
    def compressed(self) -> bool:
        return self.location.endswith(".gz")

    def identity(self) -> str:
        """A string that tells this source apart from every other (used to break stem ties)."""
        if self.kind == "hf":
            return f"hf:{self.location}|{self.config}|{self.split}|{self.revision}"
        return self.location


def sanitize_stem(name: str) -> str:
    """Letters, digits, ``_`` and ``-`` only (others become ``_``); never empty."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "corpus"


def file_kind(path: str) -> str | None:
    """``jsonl``/``json``/``parquet`` from the file name, or ``None`` if unsupported."""
    lower = path.lower()
    for ext, kind in _EXTENSIONS:
        if lower.endswith(ext):
            return kind
    return None


def file_stem(path: str) -> str:
    """The basename without its known extensions, sanitized (``train.jsonl.gz`` -> ``train``)."""
    base = os.path.basename(path)
    lower = base.lower()
    for ext, _ in _EXTENSIONS:
        if lower.endswith(ext):
            base = base[: -len(ext)]
            break
    return sanitize_stem(base)


def parse_hf_spec(spec: str, config: FilterConfig) -> Source:
    """``hf:NAME[?split=S&config=C&revision=R&streaming=true]`` -> a :class:`Source`.

    Query options override the ``hf_*`` defaults of ``config``. ``NAME`` is a Hub dataset name
    (``tatsu-lab/alpaca``) or a local folder that ``datasets`` can read: a folder of data files
    (``load_dataset``) or a dataset written by ``save_to_disk`` (``load_from_disk``).
    """
    body = spec[len(HF_PREFIX) :]
    name, _, query = body.partition("?")
    if not name:
        raise ValueError(f"input {spec!r}: expected hf:NAME (e.g. hf:tatsu-lab/alpaca)")
    opts = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    unknown = sorted(set(opts) - set(_HF_OPTIONS))
    if unknown:
        raise ValueError(
            f"input {spec!r}: unknown option(s) {', '.join(unknown)}; known: {', '.join(_HF_OPTIONS)}"
        )
    split = opts.get("split") or config.hf_split
    hf_config = opts.get("config") or config.hf_config
    revision = opts.get("revision") or config.hf_revision
    streaming = config.hf_streaming
    if "streaming" in opts:
        streaming = opts["streaming"].lower() in ("1", "true", "yes", "on")
    local = os.path.isdir(os.path.expanduser(name))
    location = os.path.abspath(os.path.expanduser(name)) if local else name
    base = os.path.basename(location.rstrip("/")) if local else name
    stem_parts = [base] + ([hf_config] if hf_config else []) + [split]
    label = ":".join([f"hf:{name}"] + ([hf_config] if hf_config else []) + [split])
    return Source(
        kind="hf",
        location=location,
        source_file=label,
        stem=sanitize_stem("-".join(sanitize_stem(p) for p in stem_parts)),
        split=split,
        config=hf_config,
        revision=revision,
        streaming=streaming,
        cache_dir=config.hf_cache_dir,
    )


def _expand_remote(spec: str) -> list[str]:
    """Files of an object-store input: one object, a glob, or every object under a prefix."""
    if any(c in spec for c in "*?["):
        files = fs.glob(spec)
        if not files:
            raise ValueError(f"input {spec!r} matches no files")
    elif fs.exists(spec) and not spec.endswith("/"):
        files = [spec]
    else:
        files = fs.list_tree(spec)
        if not files:
            raise ValueError(f"input {spec!r} does not exist")
    found = [f for f in files if file_kind(f) is not None]
    if not found:
        raise ValueError(
            f"input {spec!r}: no .json/.jsonl/.jsonl.gz/.parquet files "
            "(expected .json, .jsonl, .jsonl.gz, .json.gz, .parquet or hf:NAME)"
        )
    return found


def _expand_local(spec: str) -> list[str]:
    if not fs.is_local(spec):
        return _expand_remote(spec)
    path = os.path.expanduser(spec)
    if any(c in path for c in "*?["):
        matches = sorted(glob.glob(path, recursive=True))
        files = [m for m in matches if os.path.isfile(m)]
        if not files:
            raise ValueError(f"input {spec!r} matches no files")
        unsupported = [f for f in files if file_kind(f) is None]
        if unsupported and len(unsupported) == len(files):
            raise ValueError(f"input {spec!r} matches no .json/.jsonl/.jsonl.gz/.parquet files")
        return [f for f in files if file_kind(f) is not None]
    if os.path.isdir(path):
        found = sorted(
            str(p) for p in Path(path).rglob("*") if p.is_file() and file_kind(str(p)) is not None
        )
        if not found:
            raise ValueError(
                f"input folder {spec!r} holds no .json/.jsonl/.jsonl.gz/.parquet files"
            )
        return found
    if not os.path.exists(path):
        raise ValueError(f"input {spec!r} does not exist")
    if file_kind(path) is None:
        raise ValueError(
            f"input {spec!r}: unsupported file type; expected .json, .jsonl, .jsonl.gz, .json.gz, "
            ".parquet or hf:NAME"
        )
    return [path]


def resolve_sources(inputs: Sequence[str], config: FilterConfig | None = None) -> list[Source]:
    """Sources for ``--input`` values in the order given (globs and folders sorted).

    A file named twice is read once. Stems shared by several sources get a 6-hex-digit hash of
    the full path (or dataset spec) appended, for all of them, so ids never collide.
    """
    config = config or FilterConfig()
    if not inputs:
        raise ValueError("no inputs given")
    sources: list[Source] = []
    seen: set[str] = set()
    for spec in inputs:
        if spec.startswith(HF_PREFIX):
            src = parse_hf_spec(spec, config)
            if src.identity() not in seen:
                seen.add(src.identity())
                sources.append(src)
            continue
        for f in _expand_local(spec):
            full = os.path.abspath(f) if fs.is_local(f) else f
            if full in seen:
                continue
            seen.add(full)
            sources.append(
                Source(
                    kind=file_kind(full) or "",
                    location=full,
                    source_file=fs.basename(full),
                    stem=file_stem(full),
                )
            )
    counts: dict[str, int] = {}
    for s in sources:
        counts[s.stem] = counts.get(s.stem, 0) + 1
    out = []
    for s in sources:
        if counts[s.stem] > 1:
            tag = hashlib.sha1(s.identity().encode()).hexdigest()[:6]
            s = Source(**{**s.__dict__, "stem": f"{s.stem}-{tag}"})
        out.append(s)
    return out


# --------------------------------------------------------------------------- raw records
def dialogue_id(stem: str, index: int) -> str:
    return f"{stem}-{index:06d}"


def _raw(source: Source, index: int, **payload: Any) -> dict[str, Any]:
    return {
        "id": dialogue_id(source.stem, index),
        "source_file": source.source_file,
        "source_index": index,
        **payload,
    }


def _iter_lines(source: Source, data: bytes | None = None) -> Iterator[dict[str, Any]]:
    """JSONL: one raw record per non-blank line (index = 0-based line number)."""
    index = 0  # the next line's number
    handles: list[Any] = []
    try:
        if data is not None:
            lines: Iterable[bytes] = data.splitlines()
        else:
            handles.append(fs.open_read(source.location))
            if source.compressed:
                handles.append(gzip.GzipFile(fileobj=handles[0], mode="rb"))
            lines = handles[-1]
        try:
            for line in lines:
                if line.strip():
                    yield _raw(source, index, line=line)
                index += 1
        finally:
            for handle in reversed(handles):
                handle.close()
    except (OSError, EOFError, zlib.error) as exc:
        yield _raw(source, index, error=f"unreadable from line {index} on: {exc}")


def _iter_json(source: Source) -> Iterator[dict[str, Any]]:
    """A ``.json`` file: an array (one record per item), one object, or JSON Lines in disguise."""
    try:
        data = gzip.decompress(_read_bytes(source)) if source.compressed else _read_bytes(source)
    except (OSError, EOFError, zlib.error) as exc:
        yield _raw(source, 0, error=f"unreadable file: {exc}")
        return
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON Lines saved as .json
            yield from _iter_lines(source, data)
        else:
            yield _raw(source, 0, error=f"invalid JSON file: {exc.msg} at line {exc.lineno}")
        return
    except UnicodeDecodeError as exc:
        yield _raw(source, 0, error=f"file is not UTF-8 text: {exc.reason}")
        return
    except RecursionError:
        yield _raw(source, 0, error="invalid JSON file: nested too deeply to parse")
        return
    if isinstance(value, list):
        for i, rec in enumerate(value):
            yield _raw(source, i, record=rec)
    else:
        yield _raw(source, 0, record=value)


def _read_bytes(source: Source) -> bytes:
    return fs.read_bytes(source.location)


def _iter_parquet(source: Source) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    index = 0
    try:
        with fs.open_read(source.location) as fh:
            pf = pq.ParquetFile(fh)
            for batch in pf.iter_batches(batch_size=1024):
                for rec in batch.to_pylist():
                    yield _raw(source, index, record=rec)
                    index += 1
    except Exception as exc:  # pyarrow raises several types for damaged files
        yield _raw(source, index, error=f"unreadable Parquet from row {index} on: {exc}")


def load_hf_dataset(source: Source) -> Any:
    """The ``datasets`` object for an hf source (Dataset or IterableDataset of one split)."""
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is a dependency
        raise ValueError("reading hf: inputs needs the `datasets` package") from exc
    loc = source.location
    if os.path.isdir(loc) and (
        os.path.exists(os.path.join(loc, "state.json"))
        or os.path.exists(os.path.join(loc, "dataset_dict.json"))
    ):
        ds = datasets.load_from_disk(loc)
        if isinstance(ds, datasets.DatasetDict):
            if source.split not in ds:
                raise ValueError(
                    f"{source.source_file}: split {source.split!r} not in {sorted(ds)} "
                    "(use ?split=NAME or --hf-split)"
                )
            ds = ds[source.split]
        return ds.to_iterable_dataset() if source.streaming else ds
    return datasets.load_dataset(
        loc,
        source.config,
        split=source.split,
        revision=source.revision,
        streaming=source.streaming,
        cache_dir=source.cache_dir,
    )


def _iter_hf(source: Source) -> Iterator[dict[str, Any]]:
    ds = load_hf_dataset(source)
    index = 0
    if hasattr(ds, "iter") and not source.streaming:
        for batch in ds.iter(batch_size=1000):
            keys = list(batch)
            for values in zip(*(batch[k] for k in keys)):
                yield _raw(source, index, record=dict(zip(keys, values)))
                index += 1
        return
    for rec in ds:
        yield _raw(source, index, record=rec)
        index += 1


def iter_raw_records(source: Source, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Raw records of ``source`` in order, at most ``limit`` of them."""
    readers = {"jsonl": _iter_lines, "json": _iter_json, "parquet": _iter_parquet, "hf": _iter_hf}
    it = readers[source.kind](source)
    if limit is None:
        yield from it
        return
    for n, raw in enumerate(it):
        if n >= limit:
            break
        yield raw


def count_records(source: Source, cap: int | None = None) -> int:
    """How many raw records ``source`` yields (stops counting at ``cap``)."""
    if source.kind == "parquet" and cap is None:
        import pyarrow.parquet as pq

        try:
            with fs.open_read(source.location) as fh:
                return pq.ParquetFile(fh).metadata.num_rows
        except Exception:
            return 1
    n = 0
    for _ in iter_raw_records(source, cap):
        n += 1
    return n


def plan_limit(sources: Sequence[Source], limit: int | None) -> list[tuple[Source, int | None]]:
    """``(source, max records)`` pairs covering the first ``limit`` records in input order."""
    if limit is None:
        return [(s, None) for s in sources]
    plan: list[tuple[Source, int | None]] = []
    remaining = limit
    for s in sources:
        if remaining <= 0:
            break
        n = count_records(s, remaining)
        if n > 0:
            plan.append((s, n))
        remaining -= n
    return plan
