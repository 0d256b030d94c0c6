"""Reading a stage's input folder and writing shards, rejects and summaries.

Layout of an output root ``OUT``::

    OUT/<folder>/part-00000.parquet ...   rows of one stage (folder per stage, see STAGE_FOLDERS)
    OUT/rejects/<stage>/part-00000.parquet one row per dropped record or dialogue
    OUT/summary.json                       counts for the command just run

Every path goes through :mod:`duplexsynth.fs` (Beam's FileSystems), so ``OUT`` and the inputs
may be local folders or ``gs://``/``s3://``/``hdfs://`` URLs.

Shards are written deterministically: rows are first streamed to temporary per-bundle files
(no GroupByKey holding audio in memory), then one finalize step sorts them by key and cuts them
into ``part-NNNNN.parquet`` files of about ``target_shard_mb``. Same rows in, same bytes out,
whatever the runner's bundling.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from duplexsynth import fs
from duplexsynth.schemas.arrow import REJECT_SCHEMA, STAGE_FOLDERS, conform_row, stage_schema

PARQUET_COMPRESSION = "snappy"


# ---------------------------------------------------------------------------------------- read
def stage_dir(root: str | os.PathLike[str], folder: str) -> str:
    return fs.join(str(root), folder)


def part_files(directory: str | os.PathLike[str]) -> list[str]:
    """Sorted ``part-*.parquet`` files in ``directory`` (empty list if none)."""
    return fs.glob(fs.join(str(directory).rstrip("/"), "part-*.parquet"))


def parquet_file(path: str) -> pq.ParquetFile:
    """A ``ParquetFile`` read through Beam's FileSystems (close it with ``.close()``)."""
    return pq.ParquetFile(fs.open_read(path))


def input_files(input_root: str | os.PathLike[str], stage: str) -> list[str]:
    """The part files a stage reads: ``input_root/<folder of the previous stage>/part-*.parquet``.

    ``input_root`` may also point straight at the folder. Raises ``ValueError`` naming the
    command to run first when nothing is there.
    """
    from duplexsynth.schemas.arrow import STAGES

    prev = STAGES[STAGES.index(stage) - 1]
    folder = STAGE_FOLDERS[prev]
    root = str(input_root)
    candidates = [fs.join(root, folder), root]
    for c in candidates:
        files = part_files(c)
        if files:
            return files
    raise ValueError(
        f"no {folder}/part-*.parquet under {str(root)!r}: run `duplexsynth {prev} --output {root}` first "
        f"(or point --input at the output root of the {prev} stage)"
    )


def count_rows(files: Iterable[str]) -> list[int]:
    counts = []
    for f in files:
        pf = parquet_file(f)
        try:
            counts.append(pf.metadata.num_rows)
        finally:
            pf.close()
    return counts


def plan_limit(files: list[str], limit: int | None) -> list[tuple[str, int]]:
    """``(file, max_rows)`` pairs taking the first ``limit`` rows in file order (all if None)."""
    counts = count_rows(files)
    plan = []
    remaining = limit
    for f, n in zip(files, counts):
        if remaining is not None and remaining <= 0:
            break
        take = n if remaining is None else min(n, remaining)
        if take > 0:
            plan.append((f, take))
        if remaining is not None:
            remaining -= take
    return plan


def iter_rows(
    path: str, max_rows: int | None = None, batch_size: int = 16
) -> Iterator[dict[str, Any]]:
    """Rows of one Parquet file as dicts, streamed in small batches (audio rows are large)."""
    pf = parquet_file(path)
    n = 0
    try:
        for batch in pf.iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                if max_rows is not None and n >= max_rows:
                    return
                n += 1
                yield row
    finally:
        pf.close()


def read_stage_rows(
    input_root: str | os.PathLike[str], stage: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """All input rows of ``stage`` in memory (for tests and small local tools)."""
    out: list[dict[str, Any]] = []
    for f, cap in plan_limit(input_files(input_root, stage), limit):
        out.extend(iter_rows(f, cap))
    return out


def read_folder_rows(directory: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All rows of every part file in ``directory``."""
    out: list[dict[str, Any]] = []
    for f in part_files(directory):
        out.extend(iter_rows(f))
    return out


def _read_planned_rows(
    file_and_cap: tuple[str, int], fs_options: dict[str, Any] | None
) -> Iterator[dict[str, Any]]:
    fs.restore_options(fs_options)
    return iter_rows(file_and_cap[0], file_and_cap[1])


class ReadStageInput(beam.PTransform):
    """Rows of the previous stage's output as dicts, first ``limit`` rows in file order."""

    def __init__(self, input_root: str, stage: str, limit: int | None = None) -> None:
        super().__init__()
        self.plan = plan_limit(input_files(input_root, stage), limit)
        self.fs_options = fs.captured_options()

    def expand(self, pbegin):
        return (
            pbegin
            | "ListFiles" >> beam.Create(self.plan)
            | "ReadRows" >> beam.FlatMap(_read_planned_rows, self.fs_options)
            | "Spread" >> beam.Reshuffle()
        )


# --------------------------------------------------------------------------------------- write
def row_sort_key(row: dict[str, Any]) -> tuple:
    return (str(row.get("id") or ""),)


def reject_sort_key(row: dict[str, Any]) -> tuple:
    return (
        str(row.get("source_file") or ""),
        int(row.get("source_index") or 0),
        str(row.get("id") or ""),
        str(row.get("stage") or ""),
        str(row.get("reason") or ""),
        str(row.get("detail") or ""),
    )


class _WriteTempFiles(beam.DoFn):
    """Buffers rows, sorts each buffer by key and writes it to a temporary Parquet file.

    Emits the file paths; :func:`finalize_shards` then merges the sorted files.
    """

    def __init__(
        self,
        tmp_dir: str,
        schema: pa.Schema,
        max_buffer_mb: float,
        row_group_rows: int,
        sort_key: Callable[[dict[str, Any]], tuple] = row_sort_key,
    ) -> None:
        self.tmp_dir = tmp_dir
        self.schema = schema
        self.max_buffer_bytes = int(max_buffer_mb * 1e6)
        self.row_group_rows = row_group_rows
        self.sort_key = sort_key
        self.fs_options = fs.captured_options()

    def setup(self):
        fs.restore_options(self.fs_options)

    def start_bundle(self):
        self.buffer: list[dict[str, Any]] = []
        self.buffer_bytes = 0

    def process(self, row):
        self.buffer.append(conform_row(row, self.schema))
        self.buffer_bytes += _approx_size(row)
        if self.buffer_bytes >= self.max_buffer_bytes:
            yield self._flush()

    def finish_bundle(self):
        if self.buffer:
            yield WindowedValue(self._flush(), MIN_TIMESTAMP, [GlobalWindow()])

    def _flush(self) -> str:
        path = write_sorted_temp(
            self.tmp_dir, self.buffer, self.schema, self.sort_key, self.row_group_rows
        )
        self.buffer = []
        self.buffer_bytes = 0
        return path


#: a temporary file's row groups hold at most this many bytes (the merge reads one at a time)
TEMP_GROUP_BYTES = 4_000_000
#: the merge reads at most this many files at once; more are first merged in rounds
MAX_MERGE_FILES = 16


def write_sorted_temp(
    tmp_dir: str,
    rows: list[dict[str, Any]],
    schema: pa.Schema,
    sort_key: Callable[[dict[str, Any]], tuple],
    row_group_rows: int,
) -> str:
    """Write ``rows`` sorted by ``sort_key`` to a new temporary file in ``tmp_dir``.

    Row groups hold at most ``row_group_rows`` rows and about ``TEMP_GROUP_BYTES`` (at least
    one row), so merging many such files holds little in memory.
    """
    rows.sort(key=sort_key)
    return _write_temp(
        tmp_dir, ((sort_key(r), _approx_size(r), r) for r in rows), schema, row_group_rows
    )


def _write_temp(
    tmp_dir: str, items: Iterable[tuple], schema: pa.Schema, row_group_rows: int
) -> str:
    """Stream ``(key, bytes, row)`` items (already in order) into a new temporary file."""
    fs.makedirs(tmp_dir)
    path = fs.join(tmp_dir, f"{uuid.uuid4().hex}.parquet")
    max_rows = max(1, row_group_rows)
    with (
        fs.open_write(path) as sink,
        pq.ParquetWriter(sink, schema, compression=PARQUET_COMPRESSION) as writer,
    ):
        group: list[dict[str, Any]] = []
        size = 0
        for _, nbytes, row in items:
            if group and (len(group) >= max_rows or size + nbytes > TEMP_GROUP_BYTES):
                writer.write_table(pa.Table.from_pylist(group, schema=schema))
                group, size = [], 0
            group.append(row)
            size += nbytes
        if group:
            writer.write_table(pa.Table.from_pylist(group, schema=schema))
    return path


def write_parquet(table: pa.Table, path: str, row_group_rows: int) -> None:
    """Write ``table`` to ``path`` (local or object store) with the project's Parquet settings."""
    with fs.open_write(path) as fh:
        pq.write_table(
            table, fh, row_group_size=max(1, row_group_rows), compression=PARQUET_COMPRESSION
        )


def _approx_size(value: Any) -> int:
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, dict):
        return sum(_approx_size(v) for v in value.values()) + 8
    if isinstance(value, (list, tuple)):
        return sum(_approx_size(v) for v in value) + 8
    return 8


def _sorted_file_rows(path: str, sort_key: Callable[[dict[str, Any]], tuple]) -> Iterator[tuple]:
    """``(key, approx bytes, row)`` of one sorted temp file, one row group in memory at a time.

    The size is computed from the row itself, so shard boundaries never depend on how rows
    were bundled into temporary files (worker count, runner).
    """
    pf = parquet_file(path)
    try:
        for rg in range(pf.metadata.num_row_groups):
            for row in pf.read_row_group(rg).to_pylist():
                yield sort_key(row), _approx_size(row), row
    finally:
        pf.close()


def _merged(
    tmp_files: list[str],
    tmp_dir: str,
    schema: pa.Schema,
    sort_key: Callable[[dict[str, Any]], tuple],
    row_group_rows: int,
) -> Iterator[tuple]:
    """All rows of the sorted ``tmp_files`` in key order, reading at most ``MAX_MERGE_FILES``
    at once (more files are merged into fewer, larger temporary files first)."""
    import heapq

    files = sorted(tmp_files)
    while len(files) > MAX_MERGE_FILES:
        merged_round = []
        for i in range(0, len(files), MAX_MERGE_FILES):
            chunk = files[i : i + MAX_MERGE_FILES]
            streams = (_sorted_file_rows(f, sort_key) for f in chunk)
            items = heapq.merge(*streams, key=lambda t: t[0])
            merged_round.append(_write_temp(tmp_dir, items, schema, row_group_rows))
            fs.remove(chunk)
        files = merged_round
    streams = [_sorted_file_rows(f, sort_key) for f in files]
    yield from heapq.merge(*streams, key=lambda t: t[0])
    fs.remove(files)


def finalize_shards(
    tmp_files: list[str],
    out_dir: str,
    schema: pa.Schema,
    sort_key: Callable[[dict[str, Any]], tuple],
    target_shard_mb: float = 256.0,
    row_group_rows: int = 64,
) -> list[str]:
    """Merge the sorted ``tmp_files`` into ``out_dir/part-NNNNN.parquet`` of ~``target_shard_mb``.

    Each temp file must be sorted by ``sort_key`` (``write_sorted_temp`` does that). The merge
    streams them: at most ``MAX_MERGE_FILES`` files are open at once (more are merged in rounds
    first), each with one row group in memory, plus one output row group, never a whole shard,
    so memory does not grow with the corpus. Old ``part-*`` files in ``out_dir`` are replaced.
    Always writes at least one (possibly empty) shard so that readers find the schema. The temp
    files are deleted. Returns the written paths.
    """
    fs.makedirs(out_dir)
    fs.remove(part_files(out_dir))
    target = max(1, int(target_shard_mb * 1e6))
    group_rows = max(1, row_group_rows)
    tmp_dir = sorted(tmp_files)[0].rsplit("/", 1)[0] if tmp_files else out_dir
    merged = _merged(tmp_files, tmp_dir, schema, sort_key, row_group_rows)
    written: list[str] = []
    writer: pq.ParquetWriter | None = None
    group: list[dict[str, Any]] = []

    sinks: list[Any] = []

    def _flush_group() -> None:
        nonlocal group
        if group:
            writer.write_table(pa.Table.from_pylist(group, schema=schema))
            group = []

    def _close() -> None:
        writer.close()
        sinks.pop().close()

    def _open() -> pq.ParquetWriter:
        path = fs.join(out_dir, f"part-{len(written):05d}.parquet")
        written.append(path)
        sinks.append(fs.open_write(path))
        return pq.ParquetWriter(sinks[-1], schema, compression=PARQUET_COMPRESSION)

    size = 0
    for _, nbytes, row in merged:
        if writer is not None and size + nbytes > target:
            _flush_group()
            _close()
            writer, size = None, 0
        if writer is None:
            writer = _open()
        group.append(row)
        size += nbytes
        if len(group) >= group_rows:
            _flush_group()
    if writer is None:  # no rows at all: one empty shard so that readers find the schema
        writer = _open()
    _flush_group()
    _close()
    return written


class WriteShards(beam.PTransform):
    """Write dict rows to ``out_dir/part-NNNNN.parquet`` deterministically (see module doc)."""

    def __init__(
        self,
        out_dir: str,
        schema: pa.Schema,
        *,
        sort_key: Callable[[dict[str, Any]], tuple] = row_sort_key,
        target_shard_mb: float = 256.0,
        row_group_rows: int = 64,
        buffer_mb: float = 64.0,
    ) -> None:
        super().__init__()
        self.out_dir = str(out_dir)
        self.schema = schema
        self.sort_key = sort_key
        self.target_shard_mb = target_shard_mb
        self.row_group_rows = row_group_rows
        self.buffer_mb = buffer_mb
        self.tmp_dir = fs.join(self.out_dir, f".tmp-{uuid.uuid4().hex[:12]}")

    def expand(self, rows):
        out_dir, schema, sort_key = self.out_dir, self.schema, self.sort_key
        target, rg_rows, tmp_dir = self.target_shard_mb, self.row_group_rows, self.tmp_dir
        fs_options = fs.captured_options()

        def _finalize(paths):
            fs.restore_options(fs_options)
            written = finalize_shards(paths, out_dir, schema, sort_key, target, rg_rows)
            fs.remove_tree(tmp_dir)
            return written

        return (
            rows
            | "WriteTemp"
            >> beam.ParDo(_WriteTempFiles(tmp_dir, schema, self.buffer_mb, rg_rows, sort_key))
            | "CollectTemp" >> beam.combiners.ToList()
            | "Finalize" >> beam.Map(_finalize)
        )


def write_rows(
    out_dir: str | os.PathLike[str],
    rows: list[dict[str, Any]],
    schema: pa.Schema,
    sort_key: Callable[[dict[str, Any]], tuple] = row_sort_key,
    row_group_rows: int = 64,
) -> list[str]:
    """Write rows without Beam (tests, small tools): same layout and bytes as ``WriteShards``."""
    tmp = fs.join(str(out_dir), f".tmp-{uuid.uuid4().hex[:12]}")
    path = write_sorted_temp(
        tmp, [conform_row(r, schema) for r in rows], schema, sort_key, row_group_rows
    )
    written = finalize_shards([path], str(out_dir), schema, sort_key, row_group_rows=row_group_rows)
    fs.remove_tree(tmp)
    return written


def write_stage_rows(
    output_root: str | os.PathLike[str], stage: str, rows: list[dict[str, Any]]
) -> list[str]:
    """Write rows as ``stage``'s output folder under ``output_root`` (used to build test inputs)."""
    return write_rows(fs.join(str(output_root), STAGE_FOLDERS[stage]), rows, stage_schema(stage))


def write_rejects(
    output_root: str | os.PathLike[str], stage: str, rows: list[dict[str, Any]]
) -> list[str]:
    return write_rows(
        fs.join(str(output_root), "rejects", stage), rows, REJECT_SCHEMA, reject_sort_key
    )


# ------------------------------------------------------------------------------------- summary
def folder_row_count(directory: str | os.PathLike[str]) -> int:
    return sum(count_rows(part_files(directory)))


def reject_counts(output_root: str | os.PathLike[str], stage: str) -> dict[str, int]:
    """``{reason: n}`` from ``OUT/rejects/<stage>/``."""
    counts: dict[str, int] = {}
    for f in part_files(fs.join(str(output_root), "rejects", stage)):
        with fs.open_read(f) as fh:
            reasons = pq.read_table(fh, columns=["reason"]).column("reason").to_pylist()
        for reason in reasons:
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def write_json_atomic(path: str | os.PathLike[str], value: Any) -> None:
    fs.write_text(str(path), json.dumps(value, indent=2, sort_keys=False) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    return json.loads(fs.read_text(str(path)))
