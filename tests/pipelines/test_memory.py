"""Merging shard folders holds what one row group needs, not a row of every temporary file, and
memory freed before the merge goes back to the OS. Both are measured in a fresh process whose
Arrow allocations (Parquet reader and writer included) all come from the system pool, so its
``max_memory`` is the most Arrow ever held."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from duplexsynth.pipelines import memory, shards

ROW_MB = 3
SCHEMA = pa.schema([("id", pa.string()), ("audio", pa.binary())])

MERGE = """
import json, sys
import pyarrow as pa
from duplexsynth.pipelines.shards import finalize_shards
schema = pa.schema([("id", pa.string()), ("audio", pa.binary())])
files, out = json.loads(sys.argv[1]), sys.argv[2]
finalize_shards(files, out, schema, target_shard_mb=10_000, row_group_rows=4)
print(pa.default_memory_pool().max_memory())
"""


def _temp_files(tmp: Path, count: int) -> list[str]:
    """``count`` temporary files of two 3 MB rows each, their ids interleaved across files (a
    merge draws on every file from its first row group on)."""
    files = []
    for i in range(count):
        rows = [
            {"id": f"row-{j:03d}-{i:03d}", "audio": os.urandom(ROW_MB * 10**6)} for j in range(2)
        ]
        files.append(shards.write_sorted_temp(str(tmp), rows, SCHEMA))
    return files


def _merge_peak_mb(tmp: Path, count: int) -> float:
    files = _temp_files(tmp / f"tmp{count}", count)
    env = dict(os.environ, ARROW_DEFAULT_MEMORY_POOL="system")
    out = subprocess.run(
        [sys.executable, "-c", MERGE, json.dumps(files), str(tmp / f"out{count}")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1]) / 1e6


def test_merge_memory_does_not_grow_with_the_number_of_temporary_files(tmp_path: Path) -> None:
    few, many = _merge_peak_mb(tmp_path, 6), _merge_peak_mb(tmp_path, 36)
    # a row group of 4 rows, its audio column copied, a row being read, pages being written:
    # ~14 rows measured; holding a row group of each of 36 files as well would be 108 MB more
    assert many <= 16 * ROW_MB, (few, many)
    assert many <= few + 2 * ROW_MB, (few, many)


def test_part_files_of_audio_rows_write_a_page_per_value() -> None:
    nested = pa.schema([("clip", pa.struct([("bytes", pa.binary()), ("path", pa.string())]))])
    assert shards.part_writer_options(nested)["write_batch_size"] == 1
    assert shards.part_writer_options(SCHEMA)["write_batch_size"] == 1
    text = pa.schema([("id", pa.string()), ("words", pa.list_(pa.string()))])
    assert "write_batch_size" not in shards.part_writer_options(text)


FREED = """
import ctypes, ctypes.util, os
from duplexsynth.pipelines.memory import return_freed_memory
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
big = 16 << 20
block = libc.malloc(big)  # freeing a mapped 16 MB block raises glibc's mapping threshold
ctypes.memset(block, 1, big)
libc.free(block)
blocks, pins = [], []
for _ in range(24):  # 8 MB blocks now come from the heap, each pinned by a block after it
    b = libc.malloc(8 << 20)
    ctypes.memset(b, 1, 8 << 20)
    blocks.append(b)
    pins.append(libc.malloc(256 << 10))
for b in blocks:
    libc.free(b)
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
before = rss()
told = return_freed_memory()
print(told, before - rss())
"""


@pytest.mark.skipif(
    memory._libc() is None or not Path("/proc/self/statm").exists(),
    reason="the allocator is not glibc's, or no /proc to read memory from",
)
def test_freed_memory_goes_back_to_the_os() -> None:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FREED)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    told, released = out.stdout.split()
    assert told == "True"
    assert int(released) > 150e6  # of the 192 MB freed
