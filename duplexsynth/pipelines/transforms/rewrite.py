"""Beam wrapping of the rewrite stage.

Rules only: the plain per-dialogue :class:`DialogueStage`. With an LLM, dialogues are grouped
into fixed-size batches (``BatchElements``) and each batch runs on a bounded thread pool, so
requests to the server overlap instead of waiting for each other; a process-wide semaphore in
:mod:`duplexsynth.rewrite.llm` caps the requests in flight per endpoint. Every element is
handled on its own: a bad row becomes ``bad_input``, an exception ``stage_error``, never a
failed batch.
"""

from __future__ import annotations

import logging
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from duplexsynth import fs
from duplexsynth.pipelines.stage import MAIN, REJECTS, DialogueStage, Progress, make_reject
from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.process import STAGE, RewriteProcessor
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import Dialogue, Reject

log = logging.getLogger("duplexsynth")


class _LLMProgress(Progress):
    """Progress lines that also show the LLM's requests, retries and cache hits."""

    def __init__(self, processor: RewriteProcessor, every_s: float) -> None:
        super().__init__(STAGE, every_s)
        self.processor = processor

    def report(self) -> None:
        super().report()
        rewriter = self.processor.rewriter
        if rewriter is not None:
            s = rewriter.stats.snapshot()
            print(
                f"[{STAGE}] llm: {s['requests']} requests, {s['retries']} retries, "
                f"{s['cache_hits']} cache hits",
                file=sys.stderr,
                flush=True,
            )


class _LLMBatchFn(beam.DoFn):
    """Rewrites a batch of rows on a thread pool of ``concurrency`` workers."""

    def __init__(self, processor: RewriteProcessor, progress_every_s: float) -> None:
        self.processor = processor
        self.progress_every_s = progress_every_s
        self.kept = Metrics.counter(STAGE, "kept")
        self.rejected = Metrics.counter(STAGE, "rejected")
        self.requests = Metrics.counter(STAGE, "llm_requests")
        self.cache_hits = Metrics.counter(STAGE, "llm_cache_hits")
        self.fs_options = fs.captured_options()

    def setup(self) -> None:
        fs.restore_options(self.fs_options)  # an LLM cache on object storage
        self.processor.setup()
        self.pool = ThreadPoolExecutor(
            max_workers=self.processor.config.concurrency, thread_name_prefix="duplexsynth-llm"
        )
        self.progress = _LLMProgress(self.processor, self.progress_every_s)
        self._seen = {"requests": 0, "cache_hits": 0}

    def teardown(self) -> None:
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.shutdown(wait=True)

    def process(self, batch: list[dict[str, Any]]):
        # results are collected in input order; metrics and tagging stay on this thread
        for result in self.pool.map(self._one, batch):
            if isinstance(result, Reject):
                self.rejected.inc()
                Metrics.counter(STAGE, f"rejected_{result.reason}").inc()
                self.progress.update(rejected=1)
                yield beam.pvalue.TaggedOutput(REJECTS, result.to_row())
            else:
                self.kept.inc()
                self.progress.update(kept=1)
                yield result
        self._report_llm()

    def _one(self, row: dict[str, Any]) -> dict[str, Any] | Reject:
        try:
            dialogue = Dialogue.from_row(row)
        except Exception as exc:  # a row that does not match the contract
            return make_reject(row, STAGE, Reason.BAD_INPUT, f"cannot read row: {exc!r}")
        try:
            result = self.processor(dialogue)
            return result if isinstance(result, Reject) else result.to_row()
        except Exception as exc:  # dead letter: one dialogue never stops the batch
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            log.warning("[%s] dialogue %s failed: %s", STAGE, dialogue.id, tb)
            return make_reject(dialogue, STAGE, Reason.STAGE_ERROR, tb)

    def _report_llm(self) -> None:
        rewriter = self.processor.rewriter
        if rewriter is None:
            return
        now = rewriter.stats.snapshot()
        for name, counter in (("requests", self.requests), ("cache_hits", self.cache_hits)):
            delta = now[name] - self._seen[name]
            if delta > 0:
                counter.inc(delta)
            self._seen[name] = now[name]


class RewriteTransform(beam.PTransform):
    """``rows -> {"main": rewritten rows, "rejects": reject rows}`` for the rewrite stage."""

    def __init__(self, config: RewriteConfig, seed: int, progress_every_s: float = 10.0) -> None:
        super().__init__()
        self.config = config
        self.seed = int(seed)
        self.progress_every_s = progress_every_s

    def expand(self, rows):
        processor = RewriteProcessor(self.config, self.seed)
        if not self.config.uses_llm:
            return rows | "Rules" >> DialogueStage(STAGE, processor, self.progress_every_s)
        size = self.config.effective_batch_size
        result = (
            rows
            | "Batch" >> beam.BatchElements(min_batch_size=size, max_batch_size=size)
            | "RewriteLLM"
            >> beam.ParDo(_LLMBatchFn(processor, self.progress_every_s)).with_outputs(
                REJECTS, main=MAIN
            )
        )
        return {MAIN: result[MAIN], REJECTS: result[REJECTS]}
