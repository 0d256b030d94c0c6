"""The generic per-dialogue stage wrapper and the runner every stage command uses.

A stage's library code exposes a *processor*: a picklable object with an optional ``setup()``
(load models once per worker) and ``__call__(dialogue) -> Dialogue | Reject``. ``DialogueStage``
wraps it in a PTransform with a ``main`` output and a tagged ``rejects`` dead-letter output:
bad input rows and unexpected exceptions become rejects with a reason, never a crashed run.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from duplexsynth import fs
from duplexsynth.pipelines import io
from duplexsynth.pipelines.memory import use_system_memory
from duplexsynth.pipelines.progress import ProgressBoard
from duplexsynth.pipelines.workerexit import end_workers_quickly
from duplexsynth.schemas.arrow import REJECT_SCHEMA, STAGE_FOLDERS, stage_schema
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import Dialogue, Reject, make_reject

log = logging.getLogger("duplexsynth")

MAIN = "main"
REJECTS = "rejects"


class Processor(Protocol):
    """What a stage's library code hands to :class:`DialogueStage`."""

    def __call__(self, dialogue: Dialogue) -> Dialogue | Reject: ...


def audio_seconds(row: dict[str, Any]) -> float:
    """Seconds of audio a row carries: the mix if present, else the sum of its turns."""
    if row.get("duration_s"):
        return float(row["duration_s"])
    return float(sum((t.get("duration_s") or 0.0) for t in row.get("turns") or []))


class DialogueFn(beam.DoFn):
    """Runs the processor on each row; with ``concurrency > 1`` keeps up to that many
    dialogues in flight on a thread pool (a sliding window within the bundle), so engines
    behind a server see requests from many dialogues at once.

    Results leave in input order (the window waits for its oldest dialogue first); output
    bytes never depend on it anyway, since the writers sort. Metrics, progress and tagging
    happen on the bundle's thread.
    """

    def __init__(
        self, stage: str, processor: Processor, progress_every_s: float, concurrency: int = 1
    ) -> None:
        self.stage = stage
        self.processor = processor
        self.progress_every_s = progress_every_s
        self.concurrency = max(1, int(concurrency))
        self.kept = Metrics.counter(stage, "kept")
        self.rejected = Metrics.counter(stage, "rejected")
        self.audio_ms = Metrics.counter(stage, "audio_ms")
        self.fs_options = fs.captured_options()

    def setup(self):
        fs.restore_options(self.fs_options)  # caches and files on object stores
        end_workers_quickly()  # a worker process skips tearing down its objects at exit
        setup = getattr(self.processor, "setup", None)
        if callable(setup):
            setup()
        self.progress = ProgressBoard(self.stage, self.progress_every_s)
        self.pool = None
        if self.concurrency > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix=f"duplexsynth-{self.stage}"
            )

    def teardown(self):
        if getattr(self, "pool", None) is not None:
            self.pool.shutdown(wait=True)
        teardown = getattr(self.processor, "teardown", None)
        if callable(teardown):
            teardown()

    def start_bundle(self):
        from collections import deque

        self.window = deque()

    def finish_bundle(self):
        while self.window:
            out = self._emit(self.window.popleft().result())
            value = out.value if isinstance(out, beam.pvalue.TaggedOutput) else out
            windowed = WindowedValue(value, MIN_TIMESTAMP, [GlobalWindow()])
            if isinstance(out, beam.pvalue.TaggedOutput):
                yield beam.pvalue.TaggedOutput(out.tag, windowed)
            else:
                yield windowed
        if self.progress.done():
            self.progress.add(self.stage)  # the line, if one is due

    def process(self, row):
        if self.pool is None:
            yield self._emit(self._handle(row))
            return
        self.window.append(self.pool.submit(self._handle, row))
        while self.window and (len(self.window) >= self.concurrency or self.window[0].done()):
            yield self._emit(self.window.popleft().result())

    def _handle(self, row) -> dict[str, Any] | Reject:
        """One row -> its output row or a reject; never raises (thread-safe)."""
        try:
            dialogue = Dialogue.from_row(row)
        except Exception as exc:  # a row that does not match the contract
            return make_reject(row, self.stage, Reason.BAD_INPUT, f"cannot read row: {exc!r}")
        try:
            result = self.processor(dialogue)
        except Exception as exc:  # dead letter: one dialogue's failure never stops the run
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            log.warning("[%s] dialogue %s failed: %s", self.stage, dialogue.id, tb)
            return make_reject(dialogue, self.stage, Reason.STAGE_ERROR, tb)
        if isinstance(result, Reject):
            return result
        return result.to_row()

    def _emit(self, result: dict[str, Any] | Reject):
        if isinstance(result, Reject):
            self.rejected.inc()
            Metrics.counter(self.stage, f"rejected_{result.reason}").inc()
            self.progress.add(self.stage, rejected=1)
            return beam.pvalue.TaggedOutput(REJECTS, result.to_row())
        secs = audio_seconds(result)
        self.kept.inc()
        self.audio_ms.inc(int(secs * 1000))
        self.progress.add(self.stage, kept=1, audio_s=secs)
        return result


class DialogueStage(beam.PTransform):
    """Apply a processor to every dialogue row: returns ``{"main": rows, "rejects": reject rows}``.

    ``concurrency`` > 1 keeps that many dialogues in flight per worker on threads (for
    processors whose time is spent waiting on a server); the processor must be thread-safe.
    """

    def __init__(
        self,
        stage: str,
        processor: Processor,
        progress_every_s: float = 10.0,
        concurrency: int = 1,
    ) -> None:
        super().__init__()
        self.stage = stage
        self.processor = processor
        self.progress_every_s = progress_every_s
        self.concurrency = concurrency

    def expand(self, rows):
        result = rows | "Process" >> beam.ParDo(
            DialogueFn(self.stage, self.processor, self.progress_every_s, self.concurrency)
        ).with_outputs(REJECTS, main=MAIN)
        return {MAIN: result[MAIN], REJECTS: result[REJECTS]}


# ------------------------------------------------------------------------------------- running
def available_cores() -> int:
    """CPU cores this process may run on."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _direct_runner(args: list[str]) -> bool:
    runner = next((a.split("=", 1)[1] for a in args if a.startswith("--runner=")), None)
    if runner is None:
        return not any(a.startswith("--runner") for a in args)
    return runner in ("DirectRunner", "direct", "SwitchingDirectRunner")


def local_workers(beam_args: list[str] | tuple[str, ...], workers: int | None = 1) -> int:
    """Worker processes a DirectRunner run uses: ``--direct_num_workers`` after ``--`` if
    given, else ``workers`` (``0``/``None`` = one per available core); 1 on other runners."""
    args = list(beam_args)
    if not _direct_runner(args):
        return 1
    for a in args:
        if a.startswith("--direct_num_workers="):
            n = int(a.split("=", 1)[1])
            return n if n > 0 else available_cores()
    if any(a.startswith("--direct_") for a in args):
        return 1
    return available_cores() if not workers else max(1, int(workers))


def pipeline_options(
    beam_args: list[str] | tuple[str, ...], workers: int | None = 1
) -> PipelineOptions:
    """Beam options from the arguments after ``--`` (DirectRunner unless ``--runner`` is given).

    On the DirectRunner, ``workers`` > 1 runs that many worker processes
    (``--direct_num_workers=N --direct_running_mode=multi_processing``); ``0`` or ``None`` means
    one per available core. ``--direct_*`` flags after ``--`` win; other runners ignore it.
    """
    args = list(beam_args)
    direct = _direct_runner(args)
    if direct and not any(a.startswith("--runner") for a in args):
        args.append("--runner=DirectRunner")
    n = local_workers(args, workers)
    if direct:
        # Arrow buffers (audio rows) from the system allocator, in this process and in the
        # worker processes it starts (they read the variable when Arrow loads): freed memory
        # goes back to the OS instead of staying in mimalloc's pool (see memory.use_system_memory)
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
        use_system_memory()
    if direct and n > 1 and not any(a.startswith("--direct_") for a in args):
        args += [f"--direct_num_workers={n}", "--direct_running_mode=multi_processing"]
        if not any(a.startswith(("--default_sdk_harness", "--sdk_harness_log")) for a in args):
            # workers: no INFO chatter, not Beam's own note about the flags it adds itself, and
            # no worker-side traceback for an error that stops the run: the launcher receives
            # it and reports it in one line (with the traceback under -v)
            quiet = json.dumps(
                {
                    "apache_beam.options.pipeline_options": "ERROR",
                    "apache_beam.runners.common": "CRITICAL",
                    "apache_beam.runners.worker.sdk_worker": "CRITICAL",
                    "apache_beam.runners.worker.bundle_processor": "CRITICAL",
                }
            )
            args += [
                "--default_sdk_harness_log_level=WARNING",
                f"--sdk_harness_log_level_overrides={quiet}",
            ]
    return PipelineOptions(args)


@dataclass
class StageRun:
    """Everything :func:`run_stage` needs; ``build`` maps input PCollection -> main/rejects."""

    stage: str
    output_root: str
    source: beam.PTransform
    build: Callable[[Any], dict[str, Any]]
    beam_args: list[str] = field(default_factory=list)
    target_shard_mb: float = 256.0
    row_group_rows: int | None = None  # default: 1000 for text stages, 1 for audio stages
    extra_summary: dict[str, Any] = field(default_factory=dict)


def run_stage(spec: StageRun) -> dict[str, Any]:
    """Build and run one stage's pipeline; write shards, rejects and ``summary.json``.

    Returns the summary. Raises ``RuntimeError`` if N != kept + sum(rejected). The input count
    and audio come from Beam metrics, kept and rejected rows from the shards written (see
    :mod:`duplexsynth.pipelines.counting`). While it runs OUT carries the run marker
    (:mod:`duplexsynth.pipelines.outdir`).
    """
    from duplexsynth.pipelines import outdir

    options = pipeline_options(spec.beam_args)
    fs.set_options(options)
    outdir.begin_run(str(spec.output_root), f"duplexsynth {spec.stage}")
    try:
        summary = _run_stage(spec, options)
    except BaseException as exc:
        outdir.fail_run(str(spec.output_root), f"{type(exc).__name__}: {exc}")
        raise
    outdir.finish_run(str(spec.output_root))
    return summary


def _run_stage(spec: StageRun, options: Any) -> dict[str, Any]:
    from duplexsynth.pipelines.counting import CountRows, query_counters

    out_root = str(spec.output_root)
    fs.makedirs(out_root)
    folder = fs.join(out_root, STAGE_FOLDERS[spec.stage])
    rejects_dir = fs.join(out_root, "rejects", spec.stage)
    audio_stage = spec.stage not in ("filter", "rewrite")
    rg_rows = spec.row_group_rows or (1 if audio_stage else 1000)
    started = time.monotonic()
    p = beam.Pipeline(options=options)
    items = p | "Read" >> spec.source
    _ = items | "CountInput" >> CountRows("input")
    outputs = spec.build(items)
    _ = outputs[MAIN] | "CountKept" >> CountRows(spec.stage, audio=True)
    main_spec = io.ShardSpec(
        folder,
        stage_schema(spec.stage),
        target_shard_mb=spec.target_shard_mb,
        row_group_rows=rg_rows,
    )
    reject_spec = io.ShardSpec(
        rejects_dir, REJECT_SCHEMA, sort_key=io.REJECT_KEY, row_group_rows=1000
    )
    _ = {"main": outputs[MAIN], "rejects": outputs[REJECTS]} | "WriteShards" >> io.WriteFolders(
        {"main": main_spec, "rejects": reject_spec}
    )
    from duplexsynth.pipelines.workerlog import filtered_stderr

    with filtered_stderr():  # worker processes' tracebacks and start-up noise (see module)
        result = p.run()
        result.wait_until_finish()
    counters = query_counters(result)
    return write_stage_summary(spec, counters, time.monotonic() - started)


def _count_source(source: beam.PTransform) -> int:
    """Records a stage's source yields, counted by reading it (runners without metrics)."""
    plan = getattr(source, "plan", None)
    if plan is None:
        raise RuntimeError("this runner reports no metrics and the stage input cannot be recounted")
    if plan and hasattr(plan[0][0], "kind"):  # corpus sources (the filter)
        from duplexsynth.filter.sources import iter_raw_records

        return sum(1 for src, cap in plan for _ in iter_raw_records(src, cap))
    return sum(cap for _, cap in plan)


def write_stage_summary(
    spec: StageRun, counters: dict[str, int] | None, wall_s: float
) -> dict[str, Any]:
    """Write and print ``OUT/summary.json`` of one stage; check N = kept + sum(rejected)."""
    out_root = str(spec.output_root)
    if counters is not None:
        n_in = counters.get("input.rows", 0)
        audio_s = counters.get(f"{spec.stage}.audio_ms", 0) / 1000.0
    else:
        n_in, audio_s = _count_source(spec.source), 0.0
    folder = fs.join(out_root, STAGE_FOLDERS[spec.stage])
    kept = io.folder_row_count(folder)
    rejected = io.reject_counts(out_root, spec.stage)
    summary: dict[str, Any] = {
        "stage": spec.stage,
        "input_records": n_in,
        "kept": kept,
        "rejected": rejected,
        "output": folder,
        "wall_s": round(wall_s, 3),
    }
    if audio_s:
        summary["audio_hours"] = round(float(audio_s) / 3600.0, 6)
    summary.update(spec.extra_summary)
    io.write_json_atomic(fs.join(out_root, "summary.json"), summary)
    print_summary(summary)
    if n_in != kept + sum(rejected.values()):
        raise RuntimeError(
            f"[{spec.stage}] lost records: {n_in} in, {kept} kept + {sum(rejected.values())} rejected; "
            "this is a bug, please report it with the input"
        )
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    """A short human summary of one stage on stderr."""
    lines = [
        f"[{summary['stage']}] done in {summary.get('wall_s', 0):.1f}s: "
        f"{summary['input_records']} in, {summary['kept']} kept, "
        f"{sum(summary['rejected'].values())} rejected"
    ]
    for reason, n in summary["rejected"].items():
        lines.append(f"    {reason:<20} {n}")
    if summary.get("audio_hours"):
        lines.append(f"    audio: {summary['audio_hours']:.4f} h")
    lines.append(f"    output: {summary.get('output')}")
    print("\n".join(lines), file=sys.stderr, flush=True)


def run_transform_stage(
    stage: str,
    transform: beam.PTransform,
    *,
    input_root: str,
    output_root: str,
    limit: int | None,
    beam_args: list[str] | tuple[str, ...],
    extra_summary: dict[str, Any] | None = None,
    source: beam.PTransform | None = None,
) -> dict[str, Any]:
    """Run a stage transform over the previous stage's output under ``input_root``.

    The common body of every stage command: read ``IN/<previous folder>`` (first ``limit``
    rows; or ``source``, the filter's corpus reader), apply ``transform`` (returning
    main/rejects), write and summarize.
    """
    from duplexsynth.pipelines.io import ReadStageInput

    spec = StageRun(
        stage=stage,
        output_root=output_root,
        source=source if source is not None else ReadStageInput(input_root, stage, limit),
        build=lambda rows: rows | stage.capitalize() >> transform,
        beam_args=list(beam_args),
        extra_summary=dict(extra_summary or {}),
    )
    return run_stage(spec)
