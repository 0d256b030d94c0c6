"""How many bytes a row counts for when shard folders are cut into parts of ``target_shard_mb``.

:func:`approx_size` is the definition: text and bytes by their length, 8 for any other value
(numbers, booleans, None), nested dicts and lists by the sum of their values plus 8. It is
applied to a row as Arrow hands it back (``to_pylist``), so a row's size never depends on how
it was built. :func:`row_sizes` computes the same numbers for a whole Arrow table from its
columns, without turning rows into Python objects (tests check the two agree on every stage's
schema).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def approx_size(value: Any) -> int:
    """Bytes a row counts for when parts are cut: text and bytes by length, 8 per other value."""
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, dict):
        return sum(approx_size(v) for v in value.values()) + 8
    if isinstance(value, (list, tuple)):
        return sum(approx_size(v) for v in value) + 8
    return 8


def row_sizes(table: pa.Table) -> np.ndarray:
    """:func:`approx_size` of every row of ``table`` as ``table.to_pylist()`` would give it,
    computed on the Arrow columns (no row becomes a Python object)."""
    total = np.full(table.num_rows, 8, dtype=np.int64)
    for column in table.columns:
        total += _value_sizes(column.combine_chunks())
    return total


def _value_sizes(array: pa.Array) -> np.ndarray:
    """:func:`approx_size` of each value of ``array`` as ``to_pylist`` gives it back."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _value_sizes(array.dictionary_decode())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        sizes = _filled(pc.utf8_length(array))
    elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        sizes = _filled(pc.binary_length(array))
    elif pa.types.is_fixed_size_binary(kind):
        sizes = np.full(len(array), kind.byte_width, dtype=np.int64)
    elif pa.types.is_struct(kind):  # a dict
        sizes = np.full(len(array), 8, dtype=np.int64)
        for i in range(kind.num_fields):
            sizes += _value_sizes(array.field(i))
    elif (
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    ):
        sizes = _per_parent(array, _value_sizes(array.flatten()))
    elif pa.types.is_map(kind) or pa.types.is_union(kind) or isinstance(kind, pa.ExtensionType):
        return np.array([approx_size(v) for v in array.to_pylist()], dtype=np.int64)
    else:  # numbers, booleans, dates, times, nulls: 8 each
        return np.full(len(array), 8, dtype=np.int64)
    if array.null_count:  # None counts 8, whatever the type
        sizes = np.where(array.is_null().to_numpy(zero_copy_only=False), 8, sizes)
    return sizes


def _filled(lengths: pa.Array) -> np.ndarray:
    return lengths.fill_null(8).to_numpy(zero_copy_only=False).astype(np.int64)


def _per_parent(array: pa.Array, child_sizes: np.ndarray) -> np.ndarray:
    """8 + the sum of each list's values (``child_sizes`` of ``array.flatten()``)."""
    parents = pc.list_parent_indices(array).to_numpy(zero_copy_only=False)
    summed = np.bincount(parents, weights=child_sizes, minlength=len(array))
    return summed.astype(np.int64) + 8
