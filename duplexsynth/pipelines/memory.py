"""How the shard-writing steps keep a worker's resident memory to what it holds.

Two allocator habits, not the rows, made a merging worker's memory grow with the corpus:

* Arrow's default pool (mimalloc) keeps freed buffers for reuse (:func:`use_system_memory`).
* glibc's malloc keeps freed memory in its arenas: its threshold for giving large blocks their
  own mapping rises with every large block freed (up to 32 MB), so audio buffers freed earlier
  in the run stay resident (:func:`return_freed_memory`).

Neither changes a byte written.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa

#: ``mallopt`` parameter number of glibc's mmap threshold
_M_MMAP_THRESHOLD = -3
#: blocks from this size get their own mapping, returned to the OS when freed
MMAP_THRESHOLD_BYTES = 1 << 20


def use_system_memory() -> None:
    """Arrow allocations of this process from the system allocator from now on, which gives
    freed audio buffers back to the OS at once (called by the shard-writing steps).

    Arrow's default pool (mimalloc) keeps freed memory for reuse. Shard writing allocates one
    row group's audio after another, so with it a worker's resident memory grew by about a
    part file. This sets the pool of pyarrow's own calls; Arrow's C++ internals (the Parquet
    reader and writer) read ``ARROW_DEFAULT_MEMORY_POOL`` once, when Arrow loads, which a
    local run sets for its worker processes.
    """
    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "mallopt") or not hasattr(libc, "malloc_trim"):
        return None  # not glibc: nothing to tune
    return libc


def return_freed_memory() -> bool:
    """Give memory freed so far back to the OS, and from now on give every block of
    :data:`MMAP_THRESHOLD_BYTES` or more its own mapping, returned when freed (glibc only;
    called by the merge step). Returns whether the allocator could be told.

    Called where the merge starts rather than when a worker starts: mapping each large block
    costs the stages before (synthesis, mixing) about a fifth of their speed, and by the merge
    they are done. Measured on 80 chat dialogues with 2 workers (``bench/scale.py``): each
    merging worker held ~0.1 GB more without it.
    """
    libc = _libc()
    if libc is None:
        return False
    libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    libc.malloc_trim(0)
    return True
