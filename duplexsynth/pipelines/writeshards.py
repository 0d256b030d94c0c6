"""Beam side of the shard writer (:mod:`duplexsynth.pipelines.shards`): the temp step inside the
stage that makes the rows, then plan, merge and cleanup, one pipeline step each for all the
folders of a pipeline (:class:`WriteFolders`), the merge one element per part file so that the
workers share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
import pyarrow as pa
from apache_beam.transforms.window import GlobalWindow
from apache_beam.typehints import Any as AnyHint
from apache_beam.typehints import List, Tuple
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from duplexsynth import fs
from duplexsynth.pipelines.memory import return_freed_memory, use_system_memory
from duplexsynth.pipelines.rowsize import approx_size
from duplexsynth.pipelines.shards import (
    ROW_KEY,
    ShardSpec,
    SortKey,
    clear_parts,
    fewer_files,
    merge_part,
    plan_parts,
    write_sorted_temp,
)
from duplexsynth.schemas.arrow import conform_row


class _WriteTempFiles(beam.DoFn):
    """Buffers one folder's rows, sorts each buffer and writes it to a temporary file; emits
    ``(folder name, path)``."""

    def __init__(self, name: str, spec: ShardSpec) -> None:
        self.name = name
        self.spec = spec
        self.max_buffer_bytes = int(spec.buffer_mb * 1e6)
        self.fs_options = fs.captured_options()

    def setup(self):
        fs.restore_options(self.fs_options)
        use_system_memory()

    def start_bundle(self):
        self.buffer: list[dict[str, Any]] = []
        self.buffer_bytes = 0

    def process(self, row):
        self.buffer.append(conform_row(row, self.spec.schema))
        self.buffer_bytes += approx_size(row)
        if self.buffer_bytes >= self.max_buffer_bytes:
            yield self._flush()

    def finish_bundle(self):
        if self.buffer:
            yield WindowedValue(self._flush(), MIN_TIMESTAMP, [GlobalWindow()])

    def _flush(self) -> tuple[str, str]:
        spec = self.spec
        path = write_sorted_temp(
            spec.tmp_dir, self.buffer, spec.schema, spec.sort_key, spec.row_group_rows
        )
        self.buffer = []
        self.buffer_bytes = 0
        return self.name, path


# (the step functions carry no annotations: Beam would check elements against them)
def _plan(item, specs, fs_options):
    """``(folder name, temporary paths)`` -> ``(name, MergeTask)`` per part file."""
    fs.restore_options(fs_options)
    name, paths = item
    spec = specs[name]
    clear_parts(spec)
    for task in plan_parts(spec, fewer_files(spec, [p for p in paths if p])):
        yield name, task


def _merge(item, specs, fs_options):
    """``(folder name, MergeTask)`` -> ``(name, part path)``."""
    fs.restore_options(fs_options)
    use_system_memory()
    return_freed_memory()
    name, task = item
    return name, merge_part(specs[name], task)


def _cleanup(item, specs, fs_options):
    """``(folder name, part paths)``: the temporary files go."""
    fs.restore_options(fs_options)
    name, written = item
    fs.remove_tree(specs[name].tmp_dir)
    return name, sorted(written)


class WriteFolders(beam.PTransform):
    """Write several shard folders of one pipeline: apply it to ``{name: rows}`` with a
    :class:`ShardSpec` per name. Returns ``(name, [part paths])`` per folder.

    Steps: ``Temp <name>`` per folder (fused into the stage that makes the rows), then for all
    folders together ``Plan`` (one element per folder), ``Merge`` (one element per part file,
    reshuffled so the workers share them) and ``Cleanup`` (one element per folder).
    """

    def __init__(self, specs: Mapping[str, ShardSpec]) -> None:
        super().__init__()
        self.specs = dict(specs)

    def expand(self, folders):
        specs, fs_options = self.specs, fs.captured_options()
        kv = Tuple[str, AnyHint]
        temps = [
            folders[name]
            | f"Temp {name}" >> beam.ParDo(_WriteTempFiles(name, spec)).with_output_types(kv)
            for name, spec in specs.items()
        ]
        # every folder gets a plan, also one without rows (it still gets an empty part file)
        pipeline = next(iter(folders.values())).pipeline
        seeds = [(name, "") for name in specs]
        seeds = pipeline | "Folders" >> beam.Create(seeds, reshuffle=False).with_output_types(kv)
        return (
            [*temps, seeds]
            | "AllTemp" >> beam.Flatten()
            | "TempByFolder" >> beam.GroupByKey()
            | "Plan" >> beam.FlatMap(_plan, specs, fs_options).with_output_types(kv)
            | "SpreadParts" >> beam.Reshuffle()
            | "Merge" >> beam.Map(_merge, specs, fs_options).with_output_types(kv)
            | "PartsByFolder" >> beam.GroupByKey()
            | "Cleanup"
            >> beam.Map(_cleanup, specs, fs_options).with_output_types(Tuple[str, List[str]])
        )


class WriteShards(beam.PTransform):
    """Write dict rows to ``out_dir/part-NNNNN.parquet`` deterministically (see module doc);
    returns the list of part paths written."""

    def __init__(
        self,
        out_dir: str,
        schema: pa.Schema,
        *,
        sort_key: SortKey = ROW_KEY,
        target_shard_mb: float = 256.0,
        row_group_rows: int = 64,
        buffer_mb: float = 64.0,
    ) -> None:
        super().__init__()
        self.spec = ShardSpec(
            str(out_dir), schema, sort_key, target_shard_mb, row_group_rows, buffer_mb
        )

    def expand(self, rows):
        return (
            {"folder": rows}
            | "Folder" >> WriteFolders({"folder": self.spec})
            | "Paths" >> beam.Map(lambda kv: kv[1]).with_output_types(List[str])
        )


@dataclass
class FolderSet:
    """Collects the folders a pipeline writes so one :class:`WriteFolders` finishes them all."""

    specs: dict[str, ShardSpec] = field(default_factory=dict)
    rows: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, rows: Any, spec: ShardSpec) -> None:
        if name in self.specs:
            raise ValueError(f"shard folder {name!r} is written twice")
        self.specs[name] = spec
        self.rows[name] = rows

    def write(self, label: str = "WriteShards"):
        """Apply :class:`WriteFolders` to everything added; returns its output."""
        return self.rows | label >> WriteFolders(self.specs)
