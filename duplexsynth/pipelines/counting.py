"""How the launcher learns a run's counts, and how a run is split into parts.

Counts come from Beam metrics: :class:`CountRows` adds committed counters (rows and audio
milliseconds) in the ``duplexsynth`` namespace, which the launcher reads from the pipeline
result with :func:`query_counters`. Nothing is written next to the output for the launcher to
pick up, so this works where workers run on other machines (Dataflow, Spark, Flink). A runner
that reports no metrics makes :func:`query_counters` return ``None``; the launcher then counts
by reading what it can read itself (the input and the written shards).

Parts (``--shard i/n``): a dialogue belongs to part ``i`` when a stable hash of its id (SHA-256,
the same on every machine and Python version) is ``i`` modulo ``n``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter

from duplexsynth.pipelines.stage import audio_seconds

NAMESPACE = "duplexsynth"


class _CountFn(beam.DoFn):
    def __init__(self, name: str, audio: bool) -> None:
        self.name = name
        self.audio = audio
        self.rows = Metrics.counter(NAMESPACE, f"{name}.rows")
        self.audio_ms = Metrics.counter(NAMESPACE, f"{name}.audio_ms")

    def process(self, row):
        self.rows.inc()
        if self.audio:
            self.audio_ms.inc(int(round(audio_seconds(row) * 1000)))
        return ()


class CountRows(beam.PTransform):
    """Counts rows (and, with ``audio=True``, their audio) into counters named ``name``."""

    def __init__(self, name: str, audio: bool = False) -> None:
        super().__init__()
        self.name = name
        self.audio = audio

    def expand(self, rows):
        return rows | "Count" >> beam.ParDo(_CountFn(self.name, self.audio))


def query_counters(result: Any) -> dict[str, int] | None:
    """``{counter name: value}`` of the ``duplexsynth`` counters, committed values preferred.

    ``None`` when the runner reports no metrics at all (then count from what was written).
    """
    try:
        found = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]
    except (NotImplementedError, AttributeError, KeyError):
        return None
    if not found:
        return None
    out: dict[str, int] = {}
    for c in found:
        value = c.committed if c.committed is not None else c.attempted
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + int(value or 0)
    return out


# ------------------------------------------------------------------------------------- parts
def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"i/n"`` -> ``(i, n)`` with ``0 <= i < n``; ``None`` for no split."""
    if text is None or text == "":
        return None
    head, sep, tail = str(text).partition("/")
    try:
        i, n = int(head), int(tail)
    except ValueError:
        i, n = -1, 0
    if not sep or n < 1 or not 0 <= i < n:
        raise ValueError(f"--shard {text!r}: expected I/N with 0 <= I < N, e.g. 0/4")
    return i, n


def shard_of(dialogue_id: str, n: int) -> int:
    """The part (0..n-1) of a dialogue id: stable across machines, runs and Python versions."""
    digest = hashlib.sha256(str(dialogue_id).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n


def in_shard(row: dict[str, Any], shard: tuple[int, int] | None) -> bool:
    return shard is None or shard_of(str(row.get("id") or ""), shard[1]) == shard[0]


class KeepShard(beam.PTransform):
    """Only the rows of part ``shard`` (all rows when ``shard`` is ``None``)."""

    def __init__(self, shard: tuple[int, int] | None) -> None:
        super().__init__()
        self.shard = shard

    def expand(self, rows):
        shard = self.shard
        if shard is None:
            return rows
        return rows | "InShard" >> beam.Filter(lambda row: in_shard(row, shard))
