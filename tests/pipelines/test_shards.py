"""Shard folders: the parallel plan/merge gives the bytes of one plain sorted write, for any
split into temporary files, merge order, merge rounds and worker count."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duplexsynth.pipelines import rowsize, shards
from duplexsynth.pipelines.stage import pipeline_options
from duplexsynth.pipelines.writeshards import WriteFolders
from duplexsynth.schemas.arrow import REJECT_SCHEMA, STAGES, stage_schema

WORDS = ("tea", "owl", "größe", "naïve", "東京", "", "x" * 40, "kite", "🙂 ok")


def _value(kind: pa.DataType, rng: random.Random, depth: int = 0, nullable: bool = True):
    """A random value of an Arrow type, None now and then (also inside nested values; not for
    the records of a list, such as turns, which rows never leave out)."""
    if nullable and rng.random() < 0.15:
        return None
    if pa.types.is_struct(kind):
        return {f.name: _value(f.type, rng, depth + 1) for f in kind}
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        record = pa.types.is_struct(kind.value_type)
        n = rng.randint(0, 4 - depth)
        return [_value(kind.value_type, rng, depth + 1, not record) for _ in range(n)]
    if pa.types.is_map(kind):
        return [
            (rng.choice(WORDS) + str(i), _value(kind.item_type, rng, depth + 1)) for i in range(2)
        ]
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6)))
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return rng.randbytes(rng.randint(0, 3000))
    if pa.types.is_boolean(kind):
        return rng.random() < 0.5
    if pa.types.is_integer(kind):
        return rng.randint(0, 100)
    if pa.types.is_floating(kind):
        return rng.uniform(0, 10)
    raise AssertionError(f"no generator for {kind}")


def _rows(schema: pa.Schema, n: int, seed: int, key: str = "id") -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {f.name: _value(f.type, rng) for f in schema}
        row[key] = f"row-{rng.randrange(10**6):06d}-{i}"  # unique, in no particular order
        rows.append(row)
    return rows


SCHEMAS = {stage: stage_schema(stage) for stage in STAGES} | {"rejects": REJECT_SCHEMA}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_row_sizes_are_the_sizes_of_the_rows_read_back(name: str) -> None:
    """The sizes the temporary files carry equal ``approx_size`` of each row as Arrow hands it
    back, for every stage's schema (nested turns, words, audio, nulls at every level), also on
    a slice of a table."""
    table = pa.Table.from_pylist(_rows(SCHEMAS[name], 40, seed=len(name)), schema=SCHEMAS[name])
    for t in (table, table.slice(7, 20)):
        assert list(rowsize.row_sizes(t)) == [rowsize.approx_size(r) for r in t.to_pylist()]


def test_row_sizes_of_other_arrow_types() -> None:
    table = pa.table(
        {
            "tags": pa.array([{"a": 1, "bb": None}, None, {}], pa.map_(pa.string(), pa.int64())),
            "cat": pa.array(["x", "yy", None]).dictionary_encode(),
            "fixed": pa.array([b"abcd", None, b"wxyz"], pa.binary(4)),
            "vec": pa.array([[1.0, 2.0], None, [3.0, 4.0]], pa.list_(pa.float32(), 2)),
            "big": pa.array(["ü" * 3, "", None], pa.large_string()),
        }
    )
    assert list(rowsize.row_sizes(table)) == [rowsize.approx_size(r) for r in table.to_pylist()]


def _reference_parts(rows, schema, sort_key, target_mb, group_rows) -> list[bytes]:
    """The specification, written plainly: all rows sorted by key, a new part where the next
    row would take the current one past the target (sizes of the rows as read back), row
    groups of ``group_rows`` rows built from Python rows."""
    back = pa.Table.from_pylist(rows, schema=schema).to_pylist()
    back.sort(key=sort_key)
    parts, part, size = [], [], 0
    for row in back:
        nbytes = rowsize.approx_size(row)
        if part and size + nbytes > target_mb * 1e6:
            parts.append(part)
            part, size = [], 0
        part.append(row)
        size += nbytes
    parts.append(part)
    out = []
    for part in parts:
        sink = pa.BufferOutputStream()
        with pq.ParquetWriter(sink, schema, compression=shards.PARQUET_COMPRESSION) as writer:
            for i in range(0, len(part), group_rows):
                writer.write_table(pa.Table.from_pylist(part[i : i + group_rows], schema=schema))
        out.append(sink.getvalue().to_pybytes())
    return out


def _bytes(folder: Path) -> list[bytes]:
    return [Path(p).read_bytes() for p in shards.part_files(str(folder))]


@pytest.mark.parametrize("max_files", [16, 3])
def test_parts_merged_one_by_one_in_any_order_give_the_plain_bytes(
    tmp_path: Path, monkeypatch, max_files: int
) -> None:
    """Rows spread over 9 temporary files, cut into many parts; each part merged on its own
    (last part first), with merge rounds when a part draws on more than ``max_files`` files,
    gives exactly the bytes of the plain writer."""
    monkeypatch.setattr(shards, "MAX_MERGE_FILES", max_files)
    monkeypatch.setattr(shards, "MAX_KEY_FILES", max_files)
    monkeypatch.setattr(shards, "TEMP_GROUP_BYTES", 5000)
    schema = stage_schema("synth")
    rows = _rows(schema, 120, seed=3)
    spec = shards.ShardSpec(str(tmp_path / "out"), schema, target_shard_mb=0.05, row_group_rows=4)
    temps = [
        shards.write_sorted_temp(spec.tmp_dir, rows[k::9], schema, shards.ROW_KEY, 4)
        for k in range(9)
    ]
    files = shards.fewer_files(spec, temps)
    assert len(files) == (9 if max_files >= 9 else 1)
    tasks = list(shards.plan_parts(spec, files))
    assert [t.part for t in tasks] == list(range(len(tasks))) and len(tasks) > 3
    for task in reversed(tasks):
        shards.merge_part(spec, task)
    assert _bytes(tmp_path / "out") == _reference_parts(rows, schema, shards.ROW_KEY, 0.05, 4)


def test_finalize_without_rows_writes_one_empty_part(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "part-00007.parquet").write_bytes(b"old")
    written = shards.finalize_shards([], str(tmp_path / "out"), REJECT_SCHEMA, shards.REJECT_KEY)
    assert [Path(p).name for p in written] == ["part-00000.parquet"]
    assert pq.read_table(written[0]).schema.equals(REJECT_SCHEMA)
    assert _bytes(tmp_path / "out") == _reference_parts([], REJECT_SCHEMA, shards.REJECT_KEY, 1, 8)


def _write_folders(out: Path, folders: dict, specs: dict, workers: int) -> None:
    with beam.Pipeline(options=pipeline_options([], workers)) as p:
        pcolls = {
            name: p | f"Rows {name}" >> beam.Create(rows, reshuffle=True)
            for name, rows in folders.items()
        }
        _ = pcolls | WriteFolders(specs)


@pytest.mark.slow
def test_parallel_finishing_gives_the_same_bytes_for_one_and_two_workers(tmp_path: Path) -> None:
    """Three folders finished together (one empty) by 1 and by 2 worker processes: the part
    files are byte for byte the plain writer's. Buffers of one row make a temporary file per
    row, so the parts draw on more than MAX_MERGE_FILES files (merge rounds on the workers)
    and the rejects folder on more than MAX_KEY_FILES (merged before the plan)."""
    dialogues = _rows(stage_schema("mix"), 60, seed=1)
    rejects = _rows(REJECT_SCHEMA, shards.MAX_KEY_FILES + 20, seed=2)
    folders = {"dialogues": dialogues, "rejects": rejects, "empty": []}
    digests = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        specs = {
            "dialogues": shards.ShardSpec(
                str(out / "dialogues"), stage_schema("mix"), target_shard_mb=0.12,
                row_group_rows=3, buffer_mb=1e-9,
            ),
            "rejects": shards.ShardSpec(
                str(out / "rejects"), REJECT_SCHEMA, sort_key=shards.REJECT_KEY,
                target_shard_mb=0.01, row_group_rows=1000, buffer_mb=1e-9,
            ),
            "empty": shards.ShardSpec(str(out / "empty"), REJECT_SCHEMA),
        }  # fmt: skip
        _write_folders(out, folders, specs, workers)
        assert not list(out.glob("*/.tmp-*")), "temporary files left behind"
        digests.append(
            {name: [hashlib.sha256(b).hexdigest() for b in _bytes(out / name)] for name in folders}
        )
        assert _bytes(out / "dialogues") == _reference_parts(
            dialogues, stage_schema("mix"), shards.ROW_KEY, 0.12, 3
        )
        assert _bytes(out / "rejects") == _reference_parts(
            rejects, REJECT_SCHEMA, shards.REJECT_KEY, 0.01, 1000
        )
        assert len(_bytes(out / "empty")) == 1
    assert len(digests[0]["dialogues"]) > 2 and len(digests[0]["rejects"]) > 2
    assert digests[0] == digests[1]


def test_a_local_run_allocates_arrow_buffers_from_the_system_allocator(monkeypatch) -> None:
    """Freed audio buffers go back to the OS (mimalloc's pool kept a part file per worker)."""
    import pyarrow as pa

    from duplexsynth.pipelines.stage import pipeline_options

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    previous = pa.default_memory_pool()
    try:
        pipeline_options([], workers=2)
        import os

        assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"  # inherited by the workers
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(previous)
