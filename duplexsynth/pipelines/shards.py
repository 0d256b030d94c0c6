"""Shard folders written deterministically: rows -> ``<folder>/part-NNNNN.parquet``.

Rows are sorted by a :class:`SortKey` and cut into part files of about ``target_shard_mb``; the
same rows give the same bytes whatever the runner, its bundling or the number of workers. Four
steps, each streaming (memory never grows with the corpus):

1. **temp**, inside the fused stage that makes the rows, on every worker: at most ``buffer_mb``
   of rows per bundle are buffered, sorted and written to a temporary Parquet file under
   ``<folder>/.tmp-<id>/`` (row groups of at most :data:`TEMP_GROUP_BYTES`). Each row carries one
   more column, :data:`ROW_BYTES`: its size as the cut counts it
   (:mod:`duplexsynth.pipelines.rowsize`).
2. **plan**, one element per folder: reads only the key columns and sizes of the folder's
   temporary files, merges them in key order and cuts the parts, yielding one :class:`MergeTask`
   per part file (which rows of which temporary file go into it). The folder's old ``part-*``
   files are removed here.
3. **merge**, one element per part file, spread over the workers: merges its rows in key order
   as Arrow tables (no row becomes a Python object) and writes the part row group by row group
   (``row_group_rows`` rows each). The order comes from the key columns alone; a temporary
   file's row group is read when its first row's turn comes and let go after its last, so a
   merge holds the row group being written, not a row of every file it draws on. At most
   :data:`MAX_MERGE_FILES` temporary files are merged at once; a part drawing on more merges
   them in rounds first.
4. **cleanup**, one element per folder: removes the temporary files.

This module is plain Python (the steps as functions; :func:`finalize_shards` runs them one after
the other without Beam). :mod:`duplexsynth.pipelines.writeshards` makes them pipeline steps:
``WriteFolders`` finishes all the folders of one pipeline together (a run's dialogues and every
stage's rejects), so steps 2-4 are one step each, not one per folder, and the workers merge
different part files at the same time.
"""

from __future__ import annotations

import bisect
import heapq
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from duplexsynth import fs
from duplexsynth.pipelines.rowsize import approx_size, row_sizes

PARQUET_COMPRESSION = "snappy"
#: temporary files are read once, soon: no compression or dictionaries to pay for twice
TEMP_PARQUET = {"compression": "none", "use_dictionary": False, "write_statistics": False}
#: the extra column of the temporary files: each row's size as the part cut counts it
ROW_BYTES = "__duplexsynth_row_bytes"
#: a temporary file's row groups hold at most this many bytes (the merge reads one at a time)
TEMP_GROUP_BYTES = 4_000_000
#: a merge reads at most this many temporary files at once; more are first merged in rounds
#: (a file waiting its turn costs one batch of keys: its rows are read when merged)
MAX_MERGE_FILES = 256
#: the plan reads the keys of at most this many temporary files at once (more: merge rounds)
MAX_KEY_FILES = 256
#: rows of key columns the plan reads per temporary file at a time
KEY_BATCH_ROWS = 512


@dataclass(frozen=True)
class SortKey:
    """The order of rows in a shard folder: ``columns`` compared in turn, those in ``ints`` as
    whole numbers and the others as text (a missing value counts as 0 or "")."""

    columns: tuple[str, ...]
    ints: frozenset[str] = frozenset()

    def __call__(self, row: Mapping[str, Any]) -> tuple:
        return tuple(
            int(row.get(c) or 0) if c in self.ints else str(row.get(c) or "") for c in self.columns
        )


#: stage outputs and final dialogues: by id
ROW_KEY = SortKey(("id",))
#: rejects: by where the record came from, then what happened to it
REJECT_KEY = SortKey(
    ("source_file", "source_index", "id", "stage", "reason", "detail"),
    ints=frozenset({"source_index"}),
)


@dataclass(frozen=True, eq=False)
class ShardSpec:
    """One shard folder: where it goes, its schema, the row order and the sizes."""

    out_dir: str
    schema: pa.Schema
    sort_key: SortKey = ROW_KEY
    target_shard_mb: float = 256.0
    row_group_rows: int = 64
    buffer_mb: float = 64.0
    #: where the temporary files go (default: a new ``<out_dir>/.tmp-<id>``)
    tmp_dir: str = ""

    def __post_init__(self) -> None:
        if not self.tmp_dir:
            tmp = fs.join(str(self.out_dir), f".tmp-{uuid.uuid4().hex[:12]}")
            object.__setattr__(self, "tmp_dir", tmp)

    @property
    def temp_schema(self) -> pa.Schema:
        return self.schema.append(pa.field(ROW_BYTES, pa.int64(), nullable=False))


@dataclass(frozen=True)
class MergeTask:
    """Part file ``part`` of a folder: rows ``start..stop-1`` of each temporary file listed."""

    part: int
    slices: tuple[tuple[str, int, int], ...]


# ---------------------------------------------------------------------------------- reading
def part_files(directory: str) -> list[str]:
    """Sorted ``part-*.parquet`` files in ``directory`` (empty list if none)."""
    return fs.glob(fs.join(str(directory).rstrip("/"), "part-*.parquet"))


def parquet_file(path: str, metadata: pq.FileMetaData | None = None) -> pq.ParquetFile:
    """A ``ParquetFile`` (close it with ``.close()``): a local file read by Arrow itself (no
    copies through a Python file object), any other through Beam's FileSystems. ``metadata``:
    the file's footer, when already read (it is not read again)."""
    local = fs.local_path(path)
    if local is not None:
        return pq.ParquetFile(local, metadata=metadata)
    return pq.ParquetFile(fs.open_read(path), metadata=metadata)


def _sink(path: str) -> Any:
    """Where a Parquet writer writes ``path``: a local file written by Arrow itself (no copy
    through Python), or a FileSystems writer."""
    local = fs.local_path(path)
    if local is None:
        return fs.open_write(path)
    os.makedirs(os.path.dirname(os.path.abspath(local)), exist_ok=True)
    return pa.OSFile(local, "wb")


# ---------------------------------------------------------------------------- temporary files
def write_sorted_temp(
    tmp_dir: str,
    rows: list[dict[str, Any]],
    schema: pa.Schema,
    sort_key: SortKey = ROW_KEY,
    row_group_rows: int = 64,
) -> str:
    """Write ``rows`` (conformed to ``schema``) sorted by ``sort_key`` to a new temporary file
    in ``tmp_dir``; returns its path.

    Row groups hold at most ``row_group_rows`` rows and about ``TEMP_GROUP_BYTES`` (at least
    one row), so merging many such files holds little in memory.
    """
    rows.sort(key=sort_key)
    temp_schema = schema.append(pa.field(ROW_BYTES, pa.int64(), nullable=False))

    def tables() -> Iterator[pa.Table]:
        for group in _groups(((approx_size(r), r) for r in rows), row_group_rows):
            table = pa.Table.from_pylist(group, schema=schema)
            # the size of each row as a reader gets it back, so cuts never depend on how rows
            # reached this file (the plan reads it instead of turning rows into objects)
            sizes = pa.array(row_sizes(table), pa.int64())
            yield table.append_column(temp_schema.field(ROW_BYTES), sizes)

    return _write_tables(tmp_dir, tables(), temp_schema)


def _groups(items: Iterable[tuple[int, Any]], max_rows: int) -> Iterator[list[Any]]:
    """``(bytes, item)`` pairs -> lists of items of at most ``max_rows`` and about
    ``TEMP_GROUP_BYTES`` (at least one item each)."""
    group: list[Any] = []
    size = 0
    for nbytes, item in items:
        if group and (len(group) >= max(1, max_rows) or size + nbytes > TEMP_GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(item)
        size += nbytes
    if group:
        yield group


def _write_tables(tmp_dir: str, tables: Iterable[pa.Table], schema: pa.Schema) -> str:
    """A new temporary file in ``tmp_dir`` with one row group per table."""
    fs.makedirs(tmp_dir)
    path = fs.join(tmp_dir, f"{uuid.uuid4().hex}.parquet")
    with (
        _sink(path) as sink,
        pq.ParquetWriter(sink, schema, **TEMP_PARQUET) as writer,
    ):
        for table in tables:
            writer.write_table(table)
    return path


def _row_count(path: str) -> int:
    pf = parquet_file(path)
    try:
        return pf.metadata.num_rows
    finally:
        pf.close()


# ---------------------------------------------------------------------------------- merging
def _keys(table: pa.Table | pa.RecordBatch, sort_key: SortKey) -> list[tuple]:
    columns = {c: table.column(c).to_pylist() for c in sort_key.columns}
    return [sort_key({c: columns[c][i] for c in columns}) for i in range(table.num_rows)]


class _RowGroups:
    """Rows of one temporary file by position, read a row group at a time as rows are asked
    for in increasing order. Only the group holding the row last asked for is kept, and not
    even that once its last row has been handed out: a merge over many files holds a group of
    a file only while it hands that file's rows out, not while its rows wait their turn.

    The file is opened for each row group read and closed again (the footer parsed once): an
    open Parquet reader keeps its last row group's raw pages, about a row group per file for
    as long as it stays open, which over 16 files of multi-minute dialogues came to 150 MB."""

    def __init__(self, path: str) -> None:
        self.path = path
        pf = parquet_file(path)
        try:
            self.metadata = pf.metadata
        finally:
            pf.close()
        self.starts = [0]
        for rg in range(self.metadata.num_row_groups):
            self.starts.append(self.starts[-1] + self.metadata.row_group(rg).num_rows)
        self.table: pa.Table | None = None
        self.first = 0

    def row(self, pos: int) -> tuple[pa.Table, int]:
        """``(table, index)`` of row ``pos`` (positions asked for must not go down)."""
        if self.table is None or not self.first <= pos < self.first + self.table.num_rows:
            rg = bisect.bisect_right(self.starts, pos) - 1
            self.table = None
            pf = parquet_file(self.path, self.metadata)
            try:
                self.table = pf.read_row_group(rg)
            finally:
                pf.close()
            self.first = self.starts[rg]
        table, index = self.table, pos - self.first
        if index == table.num_rows - 1:
            self.table = None
        return table, index


def _take(items: list[tuple]) -> pa.Table:
    """The rows of merge items (``(..., table, index)``), in order, as one contiguous table."""
    slices = []
    table, start, length = None, 0, 0
    for *_, t, i in items:
        if t is table and i == start + length:
            length += 1
            continue
        if table is not None:
            slices.append(table.slice(start, length))
        table, start, length = t, i, 1
    slices.append(table.slice(start, length))
    return pa.concat_tables(slices).combine_chunks()


def _merged(spec: ShardSpec, slices: list[tuple[str, int, int]], max_files: int) -> Iterator:
    """Merge items of ``slices`` in key order, reading at most ``max_files`` files at once:
    more are merged into fewer, larger temporary files first (removed once read)."""
    rounds: list[str] = []
    while len(slices) > max_files:
        merged = []
        for i in range(0, len(slices), MAX_MERGE_FILES):
            items = _merged(spec, slices[i : i + MAX_MERGE_FILES], MAX_MERGE_FILES)
            groups = _groups(((item[3], item) for item in items), spec.row_group_rows)
            path = _write_tables(spec.tmp_dir, map(_take, groups), spec.temp_schema)
            merged.append((path, 0, _row_count(path)))
        fs.remove(rounds)
        rounds = [path for path, _, _ in merged]
        slices = merged
    keys = [_key_stream(p, rank, spec.sort_key, a, b) for rank, (p, a, b) in enumerate(slices)]
    sources = [_RowGroups(p) for p, _, _ in slices]
    for key, rank, pos, nbytes in heapq.merge(*keys):
        yield (key, rank, pos, nbytes, *sources[rank].row(pos))
    fs.remove(rounds)


def merge_part(spec: ShardSpec, task: MergeTask) -> str:
    """Write part file ``task.part`` of ``spec``'s folder from its slices; returns its path."""
    path = fs.join(spec.out_dir, f"part-{task.part:05d}.parquet")
    names = spec.schema.names
    items = _merged(spec, list(task.slices), MAX_MERGE_FILES)
    with (
        _sink(path) as sink,
        pq.ParquetWriter(sink, spec.schema, **part_writer_options(spec.schema)) as writer,
    ):
        group: list[tuple] = []
        for item in items:
            group.append(item)
            if len(group) >= max(1, spec.row_group_rows):
                writer.write_table(_final(group, names, spec.schema))
                group = []
        if group:
            writer.write_table(_final(group, names, spec.schema))
    return path


def part_writer_options(schema: pa.Schema) -> dict[str, Any]:
    """``ParquetWriter`` options of a part file: snappy, and where rows carry audio (a binary
    column), a data page per value (``write_batch_size=1``).

    The writer cuts pages only between batches of values, 1024 by default, so a row group of 8
    dialogues went into one page of every audio column: the writer held the whole column
    chunk, twice (encoded, then compressed), about 130 MB more per merging worker. Values, row
    groups and readers are unchanged; the files differ only in their page layout."""
    options: dict[str, Any] = {"compression": PARQUET_COMPRESSION}
    if any(_has_binary(field.type) for field in schema):
        options["write_batch_size"] = 1
    return options


def _has_binary(kind: pa.DataType) -> bool:
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return True
    return any(_has_binary(kind.field(i).type) for i in range(kind.num_fields))


def _runs(items: list[tuple]) -> list[tuple[pa.Table, int, int]]:
    """Merge items (``(..., table, index)``) as runs ``(table, start, length)`` of adjacent rows."""
    runs: list[tuple[pa.Table, int, int]] = []
    for *_, t, i in items:
        if runs and runs[-1][0] is t and i == runs[-1][1] + runs[-1][2]:
            runs[-1] = (t, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((t, i, 1))
    return runs


def _final(items: list[tuple], names: list[str], schema: pa.Schema) -> pa.Table:
    """One row group of a part file from merge items (emptied), built a column at a time.

    The same contiguous arrays as ``_take(items)`` (so the same bytes), but each column's
    sources are let go once that column is copied: a merging worker holds the row group's
    sources and one column's copy, not two copies of the audio (``items`` is cleared, so
    call with a list nobody reads again).
    """
    runs = _runs(items)
    items.clear()
    pieces = {n: [t.column(n).slice(s, k) for t, s, k in runs] for n in names}
    del runs
    arrays = []
    for n in names:
        chunks = [c for piece in pieces.pop(n) for c in piece.chunks]
        arrays.append(pa.concat_arrays(chunks) if chunks else pa.array([], schema.field(n).type))
    return pa.Table.from_arrays(arrays, schema=schema)


# ------------------------------------------------------------------------------------- planning
def _key_stream(
    path: str, rank: int, sort_key: SortKey, start: int = 0, stop: int | None = None
) -> Iterator[tuple[tuple, int, int, int]]:
    """``(key, rank, position, bytes)`` of rows ``start..stop-1`` (default: all) of a temporary
    file, reading only the key columns and sizes, ``KEY_BATCH_ROWS`` rows at a time. Items
    compare by (key, rank, position): the order of one merge over all of a folder's files, ties
    kept in file order."""
    pf = parquet_file(path)
    try:
        pos = 0
        columns = [*sort_key.columns, ROW_BYTES]
        for batch in pf.iter_batches(batch_size=KEY_BATCH_ROWS, columns=columns):
            if pos + batch.num_rows > start:
                sizes = batch.column(ROW_BYTES).to_pylist()
                for key, nbytes in zip(_keys(batch, sort_key), sizes):
                    if stop is not None and pos >= stop:
                        return
                    if pos >= start:
                        yield key, rank, pos, nbytes
                    pos += 1
            else:
                pos += batch.num_rows
    finally:
        pf.close()


def fewer_files(spec: ShardSpec, tmp_files: list[str]) -> list[str]:
    """The folder's temporary files, sorted; more than ``MAX_KEY_FILES`` are first merged (in
    rounds of ``MAX_MERGE_FILES``) into one, which replaces them in ``spec.tmp_dir``."""
    files = sorted(tmp_files)
    if len(files) <= MAX_KEY_FILES:
        return files
    items = _merged(spec, [(f, 0, _row_count(f)) for f in files], MAX_MERGE_FILES)
    groups = _groups(((item[3], item) for item in items), spec.row_group_rows)
    merged = _write_tables(spec.tmp_dir, map(_take, groups), spec.temp_schema)
    fs.remove(files)
    return [merged]


def plan_parts(spec: ShardSpec, files: list[str]) -> Iterator[MergeTask]:
    """Cut the rows of a folder's sorted temporary ``files`` (in the order given, at most
    ``MAX_KEY_FILES``: see :func:`fewer_files`) into part files of about ``target_shard_mb``,
    in key order: a new part starts where the next row would take the current one past the
    target. Yields one task per part, at least one (an empty folder gets one empty part, so
    that readers find the schema)."""
    target = max(1, int(spec.target_shard_mb * 1e6))
    streams = [_key_stream(f, rank, spec.sort_key) for rank, f in enumerate(files)]
    begin = [0] * len(files)  # first row of the current part in each file
    end = [0] * len(files)  # one past its last row so far
    part, size, rows = 0, 0, 0
    for _, rank, pos, nbytes in heapq.merge(*streams):
        if rows and size + nbytes > target:
            yield _task(part, files, begin, end)
            begin = list(end)
            part, size, rows = part + 1, 0, 0
        end[rank] = pos + 1
        size += nbytes
        rows += 1
    yield _task(part, files, begin, end)


def _task(part: int, files: list[str], begin: list[int], end: list[int]) -> MergeTask:
    slices = tuple((f, b, e) for f, b, e in zip(files, begin, end) if e > b)
    return MergeTask(part, slices)


def finalize_shards(
    tmp_files: list[str],
    out_dir: str,
    schema: pa.Schema,
    sort_key: SortKey = ROW_KEY,
    target_shard_mb: float = 256.0,
    row_group_rows: int = 64,
) -> list[str]:
    """Without Beam: merge the sorted ``tmp_files`` (from :func:`write_sorted_temp`) into
    ``out_dir/part-NNNNN.parquet`` (the plan and merge steps one after the other). Old
    ``part-*`` files are replaced and the temporary files deleted. Returns the written paths."""
    spec = ShardSpec(
        str(out_dir),
        schema,
        sort_key,
        target_shard_mb,
        row_group_rows,
        tmp_dir=sorted(tmp_files)[0].rsplit("/", 1)[0] if tmp_files else "",
    )
    clear_parts(spec)
    files = fewer_files(spec, list(tmp_files))
    written = [merge_part(spec, task) for task in plan_parts(spec, files)]
    fs.remove(files)
    return written


def clear_parts(spec: ShardSpec) -> None:
    fs.makedirs(spec.out_dir)
    fs.remove(part_files(spec.out_dir))
