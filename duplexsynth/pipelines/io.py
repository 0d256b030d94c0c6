"""Reading a stage's input folder and writing shards, rejects and summaries.

Layout of an output root ``OUT``::

    OUT/<folder>/part-00000.parquet ...   rows of one stage (folder per stage, see STAGE_FOLDERS)
    OUT/rejects/<stage>/part-00000.parquet one row per dropped record or dialogue
    OUT/summary.json                       counts for the command just run

Every path goes through :mod:`duplexsynth.fs` (Beam's FileSystems), so ``OUT`` and the inputs
may be local folders or ``gs://``/``s3://``/``hdfs://`` URLs.

Shards are written deterministically by :mod:`duplexsynth.pipelines.shards` and its Beam side
:mod:`duplexsynth.pipelines.writeshards` (sorted by key, cut by size, same bytes whatever the
runner's bundling or worker count); their writers are re-exported here.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

from duplexsynth import fs
from duplexsynth.pipelines.shards import (  # noqa: F401 (re-exported)
    REJECT_KEY,
    ROW_KEY,
    ShardSpec,
    SortKey,
    finalize_shards,
    parquet_file,
    part_files,
    write_sorted_temp,
)
from duplexsynth.pipelines.writeshards import FolderSet, WriteFolders, WriteShards  # noqa: F401
from duplexsynth.schemas.arrow import REJECT_SCHEMA, STAGE_FOLDERS, conform_row, stage_schema


# ---------------------------------------------------------------------------------------- read
def stage_dir(root: str | os.PathLike[str], folder: str) -> str:
    return fs.join(str(root), folder)


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
#: the row orders of shard folders (see :mod:`duplexsynth.pipelines.shards`)
row_sort_key = ROW_KEY
reject_sort_key = REJECT_KEY


def write_rows(
    out_dir: str | os.PathLike[str],
    rows: list[dict[str, Any]],
    schema: pa.Schema,
    sort_key: SortKey = ROW_KEY,
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
