"""Beam wrapping of the rewrite stage.

Rules only: the plain per-dialogue :class:`DialogueStage`. With an LLM, each worker keeps a
sliding window of ``batch_size`` (default 4 x ``concurrency``) dialogues in flight on threads,
so requests to the server overlap and a new dialogue starts as soon as one finishes; a
process-wide semaphore in :mod:`duplexsynth.rewrite.llm` caps the requests in flight per
endpoint. Every element is handled on its own: a bad row becomes ``bad_input``, an exception
``stage_error``, never a failed window.
"""

from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.metrics import Metrics

from duplexsynth.pipelines.progress import ProgressBoard
from duplexsynth.pipelines.stage import MAIN, REJECTS, DialogueFn
from duplexsynth.pipelines.transforms.base import StageTransform
from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.process import STAGE, RewriteProcessor

log = logging.getLogger("duplexsynth")


def _llm_progress(processor: RewriteProcessor, every_s: float) -> ProgressBoard:
    """The stage's progress board, its lines ending with the LLM's requests, retries and cache
    hits."""

    def llm() -> str:
        rewriter = processor.rewriter
        if rewriter is None:
            return ""
        s = rewriter.stats.snapshot()
        return (
            f"; llm: {s['requests']} requests, {s['retries']} retries, {s['cache_hits']} cache hits"
        )

    return ProgressBoard(STAGE, every_s, extra=llm)


class _LLMWindowFn(DialogueFn):
    """The stage DoFn with a window of ``effective_batch_size`` dialogues in flight on threads
    (requests capped at ``concurrency`` per endpoint by the rewriter's semaphore): a new
    dialogue starts as soon as one finishes, so the server never waits for a batch's slowest
    dialogue. Also reports the LLM's requests and cache hits as metrics and progress."""

    def __init__(self, processor: RewriteProcessor, progress_every_s: float) -> None:
        super().__init__(STAGE, processor, progress_every_s, processor.config.effective_batch_size)
        self.requests = Metrics.counter(STAGE, "llm_requests")
        self.cache_hits = Metrics.counter(STAGE, "llm_cache_hits")

    def setup(self) -> None:
        super().setup()
        self.progress = _llm_progress(self.processor, self.progress_every_s)
        self._seen = {"requests": 0, "cache_hits": 0}

    def finish_bundle(self):
        yield from super().finish_bundle()
        self._report_llm()

    def _emit(self, result):
        out = super()._emit(result)
        self._report_llm()
        return out

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


class RewriteTransform(StageTransform):
    """``rows -> {"main": rewritten rows, "rejects": reject rows}`` for the rewrite stage."""

    stage, step = STAGE, "Rules"
    config_class, processor_class = RewriteConfig, RewriteProcessor

    def expand(self, rows):
        if not self.config.uses_llm:
            return super().expand(rows)
        result = rows | "RewriteLLM" >> beam.ParDo(
            _LLMWindowFn(self.processor, self.progress_every_s)
        ).with_outputs(REJECTS, main=MAIN)
        return {MAIN: result[MAIN], REJECTS: result[REJECTS]}
