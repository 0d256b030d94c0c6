"""The whole DAG as ONE Beam pipeline: filter -> rewrite -> synth -> align -> mix -> augment -> write.

Each stage is its transform from ``duplexsynth.pipelines.transforms.<stage>`` (imported lazily,
``<Stage>Transform(config, seed)`` returning ``{"main", "rejects"}``); the corpus is read by the
filter's ``ReadCorpus(inputs, config, limit)``, or, with ``from_stage``, an existing stage output
root is read with ``ReadStageInput``. Every stage's rejects go to ``OUT/rejects/<stage>/``, the
final rows to ``OUT/dialogues/`` (see :mod:`duplexsynth.pipelines.write`), the effective config to
``OUT/config.yaml`` and the run's counts to ``OUT/summary.json``, with the invariant
``input_records == dialogues_written + sum(all rejects)``. ``OUT`` may be local or an object
store URL (``s3://``, ``gs://``...): every file goes through Beam's FileSystems.

The launcher learns the counts from Beam metrics (:mod:`duplexsynth.pipelines.counting`) and from
the rejects and dialogues it reads back, never from files the workers leave for it; with a
runner that reports no metrics it counts the input itself. ``shard=(i, n)`` makes the run one of
``n`` disjoint parts (dialogues whose id hashes to ``i``); the filter still sees the whole
corpus, so cross-dialogue deduplication gives the same verdicts in every part.

While the pipeline runs, each process prints a combined progress line (kept, rejected and audio
hours per stage) to stderr every few seconds; at the end a summary table.
"""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam

from duplexsynth import fs
from duplexsynth.pipelines import io
from duplexsynth.pipelines.config import RunConfig, stage_part
from duplexsynth.pipelines.counting import CountRows, KeepShard, in_shard, query_counters
from duplexsynth.pipelines.progress import BOARD, PROGRESS_EVERY_S
from duplexsynth.pipelines.spread import SpreadEvenly
from duplexsynth.pipelines.stage import (
    MAIN,
    REJECTS,
    audio_seconds,
    available_cores,
    local_workers,
    pipeline_options,
)
from duplexsynth.schemas.arrow import REJECT_SCHEMA, STAGE_FOLDERS, STAGES

#: stage -> (module, class) of its transform: ``pipelines.transforms.<stage>.<Stage>Transform``
TRANSFORMS: dict[str, tuple[str, str]] = {
    stage: (f"duplexsynth.pipelines.transforms.{stage}", f"{stage.capitalize()}Transform")
    for stage in STAGES
}
MISSING_STAGE_HINT = "; run the stages before it and start later with --from"


def stage_transform(stage: str, config: Any, seed: int) -> beam.PTransform:
    """``<Stage>Transform(config, seed)`` for ``stage``."""
    return stage_part(stage, *TRANSFORMS[stage], MISSING_STAGE_HINT)(config, seed)


def stages_from(start: str) -> tuple[str, ...]:
    """The stages a run starting at ``start`` executes (always ending with ``write``)."""
    return STAGES[STAGES.index(start) :]


def available_stages() -> dict[str, bool]:
    """Which stage transforms are importable right now (for ``run --help`` and errors)."""
    out = {}
    for stage, (module_name, _) in TRANSFORMS.items():
        try:
            importlib.import_module(module_name)
            out[stage] = True
        except ModuleNotFoundError:
            out[stage] = False
    return out


# ------------------------------------------------------------------------------------ progress


class _Tally(beam.DoFn):
    """Counts one stage's kept or rejected rows on the progress board; emits nothing."""

    def __init__(
        self,
        stage: str,
        rejected: bool,
        every_s: float = PROGRESS_EVERY_S,
        total: int | None = None,
        workers: int = 1,
    ) -> None:
        self.stage = stage
        self.rejected = rejected
        self.settings = (every_s, total, workers)

    def setup(self):
        BOARD.configure(*self.settings)

    def process(self, row):
        if self.rejected:
            BOARD.add(self.stage, 0, 1, 0.0)
        else:
            BOARD.add(self.stage, 1, 0, audio_seconds(row))
        return ()


# ------------------------------------------------------------------------------------- running
@dataclass
class RunSpec:
    """Everything :func:`run_pipeline` needs."""

    output_root: str
    config: RunConfig
    beam_args: list[str] = field(default_factory=list)
    progress_every_s: float = PROGRESS_EVERY_S
    #: ``(i, n)``: make only part ``i`` of ``n`` (see module doc); ``None``: everything
    shard: tuple[int, int] | None = None
    #: DirectRunner worker processes; 0 = one per available core (see ``pipeline_options``)
    workers: int = 0

    @property
    def stages(self) -> tuple[str, ...]:
        return stages_from(self.config.run.from_stage)


def build_source(spec: RunSpec) -> beam.PTransform:
    """The pipeline's source: the corpus reader, or a stage output root with ``--from``."""
    run = spec.config.run
    if run.from_stage == "filter":
        module_name = TRANSFORMS["filter"][0]
        reader = stage_part("filter", module_name, "ReadCorpus", MISSING_STAGE_HINT)
        return reader(tuple(run.input), spec.config.stages["filter"], run.limit)
    if len(run.input) != 1:
        raise ValueError(
            f"--from {run.from_stage} reads one output root of the previous stage; "
            f"got {len(run.input)} --input value(s)"
        )
    return io.ReadStageInput(run.input[0], run.from_stage, run.limit)


def expected_records(source: beam.PTransform) -> int | None:
    """How many records the run will read, when that is cheap to know before it starts
    (a ``--limit``, a stage output's Parquet metadata, Parquet or plain JSONL corpus files);
    ``None`` otherwise (the progress lines then show no ETA)."""
    plan = getattr(source, "plan", None)
    if plan is None:
        return None
    total = 0
    for item, n in plan:
        if n is None:
            n = _cheap_count(item)
            if n is None:
                return None
        total += int(n)
    return total


def _cheap_count(src: Any) -> int | None:
    kind = getattr(src, "kind", None)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(src.location).metadata.num_rows
        if kind == "jsonl" and not src.compressed:
            with open(src.location, "rb") as fh:
                return sum(1 for line in fh if line.strip())
    except OSError:
        return None
    return None


def preflight(spec: RunSpec, transforms: dict[str, beam.PTransform]) -> None:
    """Fail in seconds, before the pipeline starts, when a configured backend cannot work
    (a CosyVoice bank without ``cosyvoice_model``, an ASR backend that is not installed, ...).

    Raises ``ValueError`` with what to pass or install, as the stage commands do.
    """
    if "synth" in transforms:
        from duplexsynth.synth.engine import preflight as synth_preflight

        for bank in transforms["synth"].processor.banks.values():  # one per voiced language
            synth_preflight(spec.config.stages["synth"], bank)
    if "align" in transforms:
        from duplexsynth.align.processor import preflight as align_preflight

        try:
            align_preflight(spec.config.stages["align"])
        except RuntimeError as exc:
            raise ValueError(str(exc)) from exc


def check_servers(spec: RunSpec) -> None:
    """``ValueError`` when a served backend the run needs (LLM, TTS) does not answer at all."""
    from duplexsynth.pipelines.outcome import check_reachable

    stages = spec.config.stages
    if "rewrite" in spec.stages and stages["rewrite"].uses_llm:
        check_reachable(stages["rewrite"].llm_base_url, "LLM server", "--llm-base-url")
    if "synth" in spec.stages and stages["synth"].tts_base_url:
        from duplexsynth.synth.voices import load_voice_bank

        if "openai" in load_voice_bank(stages["synth"].voice_bank).backends():
            check_reachable(stages["synth"].tts_base_url, "TTS server", "--tts-base-url")


#: how every rejects folder is sharded: by source position, small rows in big row groups
REJECTS_SHARDS = {"sort_key": io.REJECT_KEY, "row_group_rows": 1000}


def build(p: beam.Pipeline, spec: RunSpec) -> dict[str, Any]:
    """Add the whole DAG to pipeline ``p``; returns the final rows' PCollection per stage."""
    out_root = str(spec.output_root)
    seed = spec.config.run.seed
    source = build_source(spec)  # resolved before any pipeline step: errors come early
    transforms = {s: stage_transform(s, spec.config.stages[s], seed) for s in spec.stages}
    preflight(spec, transforms)
    workers = local_workers(spec.beam_args, spec.workers)
    total = expected_records(source)
    BOARD.reset(spec.progress_every_s, total, workers)

    def tally(stage: str, rejected: bool) -> beam.ParDo:
        return beam.ParDo(_Tally(stage, rejected, spec.progress_every_s, total, workers))

    rows = p | "Read" >> source
    # the filter judges duplicates across the whole corpus, so it sees every record and the
    # split into parts happens on its outputs; later starts split right after reading
    whole_filter = spec.stages[0] == "filter" and spec.shard is not None
    if not whole_filter:
        rows = rows | "KeepShard" >> KeepShard(spec.shard)
        _ = rows | "CountInput" >> CountRows("input")
    else:
        _ = rows | "InputOfShard" >> KeepShard(spec.shard) | "CountInput" >> CountRows("input")
    outputs: dict[str, Any] = {}
    folders = io.FolderSet()  # every shard folder, finished together at the end
    for stage in spec.stages:
        label = stage.capitalize()
        if stage == "synth":  # spread dialogues over workers before the expensive stages
            rows = rows | "SpreadBeforeSynth" >> SpreadEvenly(workers)
        result = rows | label >> transforms[stage]
        main, rejects = result[MAIN], result[REJECTS]
        if whole_filter and stage == "filter":
            main = main | "KeptOfShard" >> KeepShard(spec.shard)
            rejects = rejects | "RejectsOfShard" >> KeepShard(spec.shard)
        _ = main | f"{label}Progress" >> tally(stage, rejected=False)
        _ = rejects | f"{label}RejectProgress" >> tally(stage, rejected=True)
        _ = main | f"{label}Count" >> CountRows(stage, audio=True)
        reject_dir = fs.join(out_root, "rejects", stage)
        folders.add(
            f"rejects-{stage}", rejects, io.ShardSpec(reject_dir, REJECT_SCHEMA, **REJECTS_SHARDS)
        )
        outputs[stage] = main
        rows = main
    from duplexsynth.pipelines.transforms.write import dialogue_shards

    folders.add("dialogues", rows, dialogue_shards(out_root, spec.config.stages["write"]))
    _ = folders.write("WriteShards")
    return outputs


def write_effective_config(spec: RunSpec) -> str:
    """``OUT/config.yaml``: every section as the run used it (loadable with ``--config``)."""
    import yaml

    path = fs.join(str(spec.output_root), "config.yaml")
    header = (
        "# Effective configuration of this duplexsynth run (defaults <- config file <- flags).\n"
        "# Rerun it with: duplexsynth run --config config.yaml --output OUT\n"
    )
    from duplexsynth.redact import redact_value

    # credentials belong in the key variables, never in a file next to the data
    config = redact_value(spec.config.to_dict())
    fs.write_text(path, header + yaml.safe_dump(config, sort_keys=False))
    return path


def remove_stale_temp(output_root: str) -> None:
    """Delete ``.tmp-*`` folders a killed run left in ``OUT``'s shard folders."""
    root = str(output_root)
    stale = fs.glob(fs.join(root, "*", ".tmp-*", "*"))
    stale += fs.glob(fs.join(root, "rejects", "*", ".tmp-*", "*"))
    fs.remove(stale)
    if fs.is_local(root):
        for folder in {f.rsplit("/", 1)[0] for f in stale}:
            fs.remove_tree(folder)


def split_engine_threads(spec: RunSpec) -> None:
    """Local worker processes share the cores: a TTS engine left at its default thread count
    (all cores, ONNX Runtime's default) gets ``cores // workers`` threads in each process, so
    the processes do not fight over the same cores. Thread counts never change the audio."""
    synth = spec.config.stages.get("synth")
    workers = local_workers(spec.beam_args, spec.workers)
    if synth is not None and workers > 1 and not synth.engine_threads:
        synth.engine_threads = max(1, available_cores() // workers)


def run_pipeline(spec: RunSpec) -> dict[str, Any]:
    """Build and run the whole DAG; returns (and writes) the run summary.

    Raises ``ValueError`` for user errors (missing stage, bad input) before anything runs and
    ``RuntimeError`` if records were lost (input != written + rejects).
    """
    from duplexsynth.pipelines import outdir

    options = pipeline_options(spec.beam_args, spec.workers)
    fs.set_options(options)  # object-store settings (s3_endpoint_url, ...) for this process
    split_engine_threads(spec)
    out_root = str(spec.output_root)
    # a bad --input or an unreachable server fails here, before OUT is touched
    build_source(spec)
    check_servers(spec)
    outdir.begin_run(out_root, "duplexsynth run")  # OUT/_RUNNING until the end
    try:
        return _run_marked(spec, out_root, options)
    except BaseException as exc:
        outdir.fail_run(out_root, f"{type(exc).__name__}: {exc}")
        clean = outdir.os_error_of(exc, out_root)
        if clean is not None:
            raise clean from None
        raise


def _run_marked(spec: RunSpec, out_root: str, options: Any) -> dict[str, Any]:
    from duplexsynth.pipelines import outdir

    fs.makedirs(out_root)
    remove_stale_temp(out_root)
    write_effective_config(spec)
    started = time.monotonic()
    part = f", part {spec.shard[0]}/{spec.shard[1]}" if spec.shard else ""
    print(
        f"[run] {' -> '.join(spec.stages)} into {out_root} (seed {spec.config.run.seed}{part})",
        file=sys.stderr,
        flush=True,
    )
    p = beam.Pipeline(options=options)
    build(p, spec)
    from duplexsynth.pipelines.workerlog import filtered_stderr

    with filtered_stderr():  # worker processes' tracebacks and start-up noise (see module)
        result = p.run()
        result.wait_until_finish()
    counters = query_counters(result)
    summary = collect_summary(spec, time.monotonic() - started, counters)
    io.write_json_atomic(fs.join(out_root, "summary.json"), summary)
    print_run_summary(summary)
    written = summary["dialogues_written"]
    lost = summary["input_records"] - written - sum(summary["rejected"].values())
    if lost:
        raise RuntimeError(
            f"[run] lost records: {summary['input_records']} in, {written} written + "
            f"{sum(summary['rejected'].values())} rejected; this is a bug, please report it"
        )
    outdir.finish_run(str(out_root))  # only a consistent run loses its marker
    return summary


def count_input(spec: RunSpec) -> int:
    """The run's input records counted by reading the input (for runners without metrics)."""
    run = spec.config.run
    if run.from_stage == "filter":
        from duplexsynth.filter.sources import iter_raw_records

        plan = build_source(spec).plan
        return sum(
            1
            for src, cap in plan
            for raw in iter_raw_records(src, cap)
            if in_shard(raw, spec.shard)
        )
    return sum(
        1
        for f, cap in io.plan_limit(io.input_files(run.input[0], run.from_stage), run.limit)
        for row in io.iter_rows(f, cap)
        if in_shard(row, spec.shard)
    )


def collect_summary(
    spec: RunSpec, wall_s: float, counters: dict[str, int] | None = None
) -> dict[str, Any]:
    """The run's ``summary.json`` from Beam's counters and the rejects and shards written.

    Without ``counters`` (a runner that reports no metrics) the input is counted by reading it
    and each stage's kept rows are its input minus its rejects; audio per stage is then unknown
    (0) except for the final rows, whose audio is read from the written shards.
    """
    out_root = str(spec.output_root)
    n_in = counters.get("input.rows", 0) if counters is not None else count_input(spec)
    stages: dict[str, Any] = {}
    rejected_by_stage: dict[str, dict[str, int]] = {}
    total_rejected: dict[str, int] = {}
    previous = n_in
    for stage in spec.stages:
        rej = io.reject_counts(out_root, stage)
        if counters is not None:
            kept = counters.get(f"{stage}.rows", 0)
            audio_s = counters.get(f"{stage}.audio_ms", 0) / 1000.0
        else:
            kept, audio_s = previous - sum(rej.values()), 0.0
        rejected_by_stage[stage] = rej
        for reason, n in rej.items():
            total_rejected[reason] = total_rejected.get(reason, 0) + n
        stages[stage] = {
            "input": previous,
            "kept": kept,
            "rejected": sum(rej.values()),
            "audio_hours": round(audio_s / 3600.0, 6),
        }
        previous = kept
    folder = fs.join(out_root, STAGE_FOLDERS["write"])
    written, audio_s = _written_rows_and_audio(folder)
    summary: dict[str, Any] = {
        "stage": "run",
        "stages_run": list(spec.stages),
        "input_records": n_in,
        "dialogues_written": written,
        "kept": written,
        "rejected": dict(sorted(total_rejected.items())),
        "rejected_by_stage": rejected_by_stage,
        "per_stage": stages,
        "audio_hours": round(audio_s / 3600.0, 6),
        "wall_s": round(wall_s, 3),
        "seed": spec.config.run.seed,
        "output": folder,
    }
    if spec.shard is not None:
        summary["shard"] = f"{spec.shard[0]}/{spec.shard[1]}"
    return summary


def _written_rows_and_audio(folder: str) -> tuple[int, float]:
    """Rows and audio seconds of the final shards, read back (``duration_s`` column only)."""
    import pyarrow.parquet as pq

    rows, audio_s = 0, 0.0
    for f in io.part_files(folder):
        with fs.open_read(f) as fh:
            column = pq.read_table(fh, columns=["duration_s"]).column("duration_s")
        rows += len(column)
        audio_s += float(sum(v or 0.0 for v in column.to_pylist()))
    return rows, audio_s


def print_run_summary(summary: dict[str, Any]) -> None:
    """The final table on stderr: one line per stage, then rejects by stage and reason."""
    lines = [
        f"[run] done in {summary['wall_s']:.1f}s: {summary['input_records']} in, "
        f"{summary['dialogues_written']} dialogues written "
        f"({summary['audio_hours']:.4f} h audio), {sum(summary['rejected'].values())} rejected",
        f"    {'stage':<9}{'in':>8}{'kept':>8}{'rejected':>10}{'audio h':>10}",
    ]
    for stage, s in summary["per_stage"].items():
        lines.append(
            f"    {stage:<9}{s['input']:>8}{s['kept']:>8}{s['rejected']:>10}{s['audio_hours']:>10.4f}"
        )
    for stage, reasons in summary["rejected_by_stage"].items():
        for reason, n in reasons.items():
            lines.append(f"    rejected at {stage:<8} {reason:<20} {n}")
    lines.append(f"    output: {summary['output']}")
    print("\n".join(lines), file=sys.stderr, flush=True)
