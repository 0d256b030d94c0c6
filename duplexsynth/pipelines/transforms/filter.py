"""Beam wrapping of the filter stage: the corpus source and the filter transform.

``ReadCorpus(inputs, config, limit)`` emits one *raw record* per input record (unreadable lines
included, so the runner's input count is the number of records). ``FilterTransform(config,
seed)`` turns raw records into filter-stage rows::

    raw records -> Parse -> Screen (heuristics + prefix rule) -> Dedup -> {"main", "rejects"}

Dedup groups by key without shuffling whole dialogues: ``Signature`` emits each dialogue's
exact-text key and LSH band keys, batched per hash partition; ``JudgeGroups`` decides within each
key's group (lowest id wins); ``LowestPointer`` keeps one verdict per dropped id; and
``DropDuplicates`` reads those verdicts as a side input (a dict of the dropped ids only).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from duplexsynth import fs
from duplexsynth.filter import sample_corpus_dir
from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.dedup import (
    MinHasher,
    Verdict,
    dialogue_text,
    duplicate_detail,
    exact_entry,
    judge_group,
    lowest,
    near_entries,
)
from duplexsynth.filter.readers import LightDialogue, ParseError, parse_raw_light
from duplexsynth.filter.screen import STAGE, FilterProcessor
from duplexsynth.filter.sources import Source, iter_raw_records, plan_limit, resolve_sources
from duplexsynth.pipelines.progress import ProgressBoard
from duplexsynth.pipelines.stage import MAIN, REJECTS
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import Dialogue, Reject, make_reject

log = logging.getLogger("duplexsynth")

KEYS = "keys"


# ------------------------------------------------------------------------------------ rows
def filter_row(
    d: Dialogue | LightDialogue, keep: int | None = None, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The filter stage's output row for ``d``: the columns of ``stage_schema("filter")``.

    ``keep``/``params`` (from ``FilterProcessor.verdict``) give the kept turns and the params
    without building a new ``Dialogue``. Equal to ``d.to_row()`` restricted to those columns
    (later-stage fields are absent rather than ``None``; ``Dialogue.from_row`` and the shard
    writer treat both alike), and about 10x faster, which matters at corpus scale.
    """
    turns = d.turns if keep is None else d.turns[:keep]
    return {
        "id": d.id,
        "source_file": d.source_file,
        "source_index": d.source_index,
        "record_id": d.record_id,
        "format": d.format,
        "system_prompt": d.system_prompt,
        "turns": [
            {"turn_index": t.turn_index, "speaker": t.speaker, "source_text": t.source_text}
            for t in turns
        ],
        "params": json.dumps(d.params if params is None else params, sort_keys=True),
    }


def _reject_row(
    raw: dict[str, Any], reason: Reason | str, detail: str, record_id: str | None = None
) -> dict[str, Any]:
    return {
        "source_file": str(raw.get("source_file") or ""),
        "source_index": int(raw.get("source_index") or 0),
        "record_id": record_id,
        "stage": STAGE,
        "reason": str(reason),
        "detail": detail,
        "id": raw.get("id"),
    }


def _row_of_reject(r: Reject) -> dict[str, Any]:
    """``r.to_row()`` without ``dataclasses.asdict`` (which is slow)."""
    return {
        "source_file": r.source_file,
        "source_index": r.source_index,
        "record_id": r.record_id,
        "stage": r.stage,
        "reason": r.reason,
        "detail": r.detail,
        "id": r.id,
    }


# ---------------------------------------------------------------------------------- source
def _read_planned(
    source: Source, cap: int | None, fs_options: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    fs.restore_options(fs_options)  # SDK workers of a worker pool start without options
    return iter_raw_records(source, cap)


class ReadCorpus(beam.PTransform):
    """Raw records of corpus files, globs, folders and ``hf:`` datasets, in input order.

    ``inputs`` empty or ``None`` reads the bundled sample corpus. ``limit`` keeps the first N
    records in input order (planned when the pipeline is built). ``spread=True`` redistributes
    the records after reading (a Reshuffle), so that a distributed runner filters one big file on
    many workers; it is off by default because the filter is cheap and records in input order
    make the sorted shard writing fast. Raises ``ValueError`` for inputs that do not exist.
    """

    def __init__(
        self,
        inputs: Sequence[str] | None,
        config: FilterConfig | None = None,
        limit: int | None = None,
        *,
        spread: bool = False,
    ) -> None:
        super().__init__()
        self.config = config or FilterConfig()
        self.inputs = list(inputs) if inputs else [str(sample_corpus_dir(self.config.language))]
        self.sources = resolve_sources(self.inputs, self.config)
        self.plan = plan_limit(self.sources, limit)
        self.spread = spread

    def expand(self, pbegin):
        raws = (
            pbegin
            | "ListSources" >> beam.Create(self.plan, reshuffle=False)
            | "ReadRecords" >> beam.FlatMapTuple(_read_planned, fs.captured_options())
        )
        if self.spread:
            raws = raws | "Spread" >> beam.Reshuffle()
        return raws


# --------------------------------------------------------------------------- parse, screen
#: marks a reject row travelling on a main output: ``(REJECTED, row)``
REJECTED = "rejected"


def _parse(raw: dict[str, Any], config: FilterConfig) -> Any:
    """A dialogue (``LightDialogue``), or a reject (``malformed``, or ``stage_error`` for a bug)."""
    try:
        return parse_raw_light(raw, config)
    except ParseError as exc:
        return REJECTED, _reject_row(raw, Reason.MALFORMED, str(exc))
    except Exception as exc:  # dead letter: one record never stops the run
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        log.warning("[filter] record %s failed to parse: %s", raw.get("id"), tb)
        return REJECTED, _reject_row(raw, Reason.STAGE_ERROR, f"parse: {tb}")


class _ScreenFn(beam.DoFn):
    """Heuristics + prefix rule: dialogues -> kept rows; rejects pass on as ``(REJECTED, row)``.

    Rejects stay on the main output so that every reject leaves the transform from one step in
    input order, which keeps the sorted shard writer fast.
    """

    def __init__(self, config: FilterConfig, seed: int, progress_every_s: float) -> None:
        self.processor = FilterProcessor(config, seed)
        self.progress_every_s = progress_every_s
        self.screened = Metrics.counter(STAGE, "screened")

    def setup(self):
        self.progress = ProgressBoard(STAGE, self.progress_every_s)

    def finish_bundle(self):
        if self.progress.done():
            self.progress.add(STAGE)  # the line, if one is due

    def process(self, item):
        if type(item) is tuple:  # a (REJECTED, row) pair (LightDialogue is a tuple subclass)
            self.progress.add(STAGE, rejected=1)
            yield item
            return
        try:
            result = self.processor.verdict(item)
        except Exception as exc:
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            log.warning("[filter] dialogue %s failed: %s", item.id, tb)
            result = make_reject(item, STAGE, Reason.STAGE_ERROR, tb)
        if isinstance(result, Reject):
            self.progress.add(STAGE, rejected=1)
            yield REJECTED, _row_of_reject(result)
            return
        self.screened.inc()
        self.progress.add(STAGE, kept=1)
        yield filter_row(item, *result)


class _Counter:
    """Beam counters of kept and rejected records (per reason)."""

    def __init__(self) -> None:
        self.kept = Metrics.counter(STAGE, "kept")
        self.rejected = Metrics.counter(STAGE, "rejected")
        self.by_reason: dict[str, Any] = {}

    def reject(self, row: dict[str, Any]):
        reason = row["reason"]
        counter = self.by_reason.get(reason)
        if counter is None:
            counter = self.by_reason[reason] = Metrics.counter(STAGE, f"rejected_{reason}")
        counter.inc()
        self.rejected.inc()
        return beam.pvalue.TaggedOutput(REJECTS, row)


class _SplitFn(beam.DoFn):
    """Without dedup: rows -> ``main``, rejects -> ``rejects``."""

    def setup(self):
        self.counter = _Counter()

    def process(self, item):
        if type(item) is tuple:  # a (REJECTED, row) pair (LightDialogue is a tuple subclass)
            yield self.counter.reject(item[1])
            return
        self.counter.kept.inc()
        yield item


# ----------------------------------------------------------------------------------- dedup
class _SignFn(beam.DoFn):
    """Rows (and passing rejects) on ``main``; ``(partition, [(key, member), ...])`` on ``keys``.

    Signatures are computed for ``sig_batch`` dialogues at a time (one numpy pass); group
    entries travel in batches of ``batch`` per hash partition.
    """

    def __init__(self, config: FilterConfig, partitions: int, batch: int, sig_batch: int = 256):
        self.config = config
        self.partitions = partitions
        self.batch = batch
        self.sig_batch = sig_batch

    def setup(self):
        self.hasher = MinHasher.from_config(self.config) if self.config.near_dup else None

    def start_bundle(self):
        self.buffers: dict[int, list[tuple[bytes, Any]]] = {}
        self.pending: list[tuple[str, str]] = []

    def _add(self, key: bytes, member: Any, full: list) -> None:
        p = int.from_bytes(key[-4:], "little") % self.partitions
        buf = self.buffers.get(p)
        if buf is None:
            buf = self.buffers[p] = []
        buf.append((key, member))
        if len(buf) >= self.batch:
            full.append((p, buf))
            self.buffers[p] = []

    def _sign_pending(self, full: list) -> None:
        hasher, buffers, partitions, batch = self.hasher, self.buffers, self.partitions, self.batch
        sigs = hasher.signatures([norm for _, norm in self.pending])
        for (dialogue_id, _), sig in zip(self.pending, sigs):
            for key, member in near_entries(dialogue_id, sig, hasher):
                p = int.from_bytes(key[-4:], "little") % partitions
                buf = buffers.get(p)
                if buf is None:
                    buf = buffers[p] = []
                buf.append((key, member))
                if len(buf) >= batch:
                    full.append((p, buf))
                    buffers[p] = []
        self.pending = []

    def process(self, item):
        if type(item) is tuple:  # a (REJECTED, row) pair (LightDialogue is a tuple subclass)
            yield item
            return
        full: list = []
        norm = dialogue_text([t["source_text"] for t in item["turns"]])
        self._add(*exact_entry(item["id"], norm), full)
        if self.hasher is not None:
            self.pending.append((item["id"], norm))
            if len(self.pending) >= self.sig_batch:
                self._sign_pending(full)
        for batch in full:
            yield beam.pvalue.TaggedOutput(KEYS, batch)
        yield item

    def finish_bundle(self):
        full: list = []
        if self.pending:
            self._sign_pending(full)
        full.extend((p, buf) for p, buf in sorted(self.buffers.items()) if buf)
        for batch in full:
            yield beam.pvalue.TaggedOutput(
                KEYS, WindowedValue(batch, MIN_TIMESTAMP, [GlobalWindow()])
            )
        self.buffers = {}


def _judge_partition(item: tuple[int, Iterable[list]], threshold: float):
    """Verdicts ``(dropped id, (pointer, kind, similarity))`` for all groups of one partition.

    Most keys occur once; they are counted and skipped at C speed (``Counter``), and only the
    keys seen at least twice are grouped and judged.
    """
    _, batches = item
    pairs = [pair for batch in batches for pair in batch]
    counts = Counter(map(itemgetter(0), pairs))
    if len(counts) == len(pairs):
        return
    repeated = {key for key, n in counts.items() if n > 1}
    groups: dict[bytes, list] = {}
    for key, member in [pair for pair in pairs if pair[0] in repeated]:
        group = groups.get(key)
        if group is None:
            groups[key] = [member]
        else:
            group.append(member)
    for members in groups.values():
        yield from judge_group(members, threshold)


class _DropDuplicatesFn(beam.DoFn):
    def setup(self):
        self.counter = _Counter()

    def process(self, item, dropped: dict[str, Verdict]):
        if type(item) is tuple:  # a (REJECTED, row) pair (LightDialogue is a tuple subclass)
            yield self.counter.reject(item[1])
            return
        if item["id"] not in dropped:
            self.counter.kept.inc()
            yield item
            return
        detail = duplicate_detail(item["id"], dropped)
        yield self.counter.reject(
            _reject_row(item, Reason.DUPLICATE, detail, item.get("record_id"))
        )


class Dedup(beam.PTransform):
    """Drop exact and near duplicates (see :mod:`duplexsynth.filter.dedup`).

    Input: filter rows, and ``(REJECTED, row)`` pairs that pass straight through to
    ``rejects`` (in order). Output: ``{"main": rows, "rejects": reject rows}``. Only the keys
    (batched per hash ``partition``) are shuffled; the verdicts of the dropped ids reach the last
    step as a side input.
    """

    def __init__(self, config: FilterConfig, partitions: int = 64, batch: int = 2048) -> None:
        super().__init__()
        self.config = config
        self.partitions = partitions
        self.batch = batch

    def expand(self, items):
        signed = items | "Signature" >> beam.ParDo(
            _SignFn(self.config, self.partitions, self.batch)
        ).with_outputs(KEYS, main=MAIN)
        dropped = (
            signed[KEYS]
            | "GroupByPartition" >> beam.GroupByKey()
            | "JudgeGroups" >> beam.FlatMap(_judge_partition, self.config.near_dup_threshold)
            | "LowestPointer" >> beam.CombinePerKey(lowest)
        )
        out = signed[MAIN] | "DropDuplicates" >> beam.ParDo(
            _DropDuplicatesFn(), dropped=beam.pvalue.AsDict(dropped)
        ).with_outputs(REJECTS, main=MAIN)
        return {MAIN: out[MAIN], REJECTS: out[REJECTS]}


# ---------------------------------------------------------------------------------- filter
class FilterTransform(beam.PTransform):
    """Raw records (from :class:`ReadCorpus`) -> ``{"main": filter rows, "rejects": rows}``.

    ``seed`` is accepted for the common stage signature; the filter draws no random numbers.
    """

    def __init__(
        self,
        config: FilterConfig | None = None,
        seed: int = 0,
        *,
        progress_every_s: float = 10.0,
        dedup_partitions: int = 64,
    ) -> None:
        super().__init__()
        self.config = config or FilterConfig()
        self.seed = seed
        self.progress_every_s = progress_every_s
        self.dedup_partitions = dedup_partitions

    def expand(self, raws):
        screened = (
            raws
            | "Parse" >> beam.Map(_parse, self.config)
            | "Screen" >> beam.ParDo(_ScreenFn(self.config, self.seed, self.progress_every_s))
        )
        if self.config.dedup:
            return screened | "Dedup" >> Dedup(self.config, self.dedup_partitions)
        out = screened | "Split" >> beam.ParDo(_SplitFn()).with_outputs(REJECTS, main=MAIN)
        return {MAIN: out[MAIN], REJECTS: out[REJECTS]}
