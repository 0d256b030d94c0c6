"""Memory and cores of a whole ``duplexsynth run`` (issue 11, points 1 and 2), measured side by
side in one run on multi-turn chat dialogues (``bench/chat_corpus.py``: ~25 turns, 2-3 min).

    python bench/scale.py [--quick] [--code DIR] [--skip-memory] [--skip-engine] [--dialogues N]

1. Memory: ``run`` with the espeak voices on two corpus sizes (quick: 5 and 20 dialogues,
   full: 20 and 80) with the default settings (every core). Prints the peak RSS of the whole
   process tree (launcher + worker processes, sampled every 0.1 s), audio hours written,
   wall time, audio hours per wall hour, cores busy (CPU s / wall s) and the ratio of the two
   peaks (goal: <= 1.25).
2. Cores: the same run with 1 and with 2 worker processes, on a pipeline-bound run (espeak,
   the larger corpus or ``--dialogues N``) and an engine-bound run (the default Piper/Kokoro
   voices, fewer and shorter dialogues); prints the speed-up (goal: >= 1.7 on 2 cores), checks
   the output bytes are identical, and explains the figure with a breakdown of both runs
   (through ``bench/phases.py``): wall and CPU seconds of start-up, the stages before the main
   one (where worker processes start), the main stage (synth..temporary shards, where the work
   is split), finishing the shard folders and the end (workers exiting), how long the worker
   done first waited, and a speed-up projected from CPU seconds, which the load of a shared
   machine hardly moves (each phase as long as its busiest process's CPU time).

Every run uses a cold cache of its own. ``--code DIR`` runs another checkout (e.g. the main
branch, for "before" figures; worker counts are passed as Beam flags so both understand them).
Wall-clock figures depend on machine load: on a shared machine run it when it is quiet, and
read the projected figure and the load averages it prints.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_corpus import write_corpus  # noqa: E402


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of ``proc`` and all its descendants, in bytes."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def tree_cpu(proc: psutil.Process, seen: dict[int, float]) -> None:
    """Record the CPU seconds of every live process of the tree (kept after they exit)."""
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            seen[p.pid] = t.user + t.system
        except psutil.Error:
            pass


def run(
    corpus: Path,
    out: Path,
    code: str,
    workers: int | None,
    bank: str,
    extra: list[str],
    phases: bool = False,
) -> dict:
    """One ``duplexsynth run``; returns wall_s, peak_rss_gb, cpu_s, audio_h and the summary
    (with ``phases``: run through ``bench/phases.py`` and add its report as ``phases``)."""
    env = dict(os.environ, DUPLEXSYNTH_CACHE=str(out) + "-cache")
    env["PYTHONPATH"] = os.pathsep.join([code, env.get("PYTHONPATH", "")])
    report = out.with_name(out.name + "-phases.json")
    entry = (
        [str(ROOT / "bench" / "phases.py"), str(report), "--"]
        if phases
        else ["-m", "duplexsynth.cli"]
    )
    cmd = [
        sys.executable, *entry, "run", "--input", str(corpus),
        "--output", str(out), "--voice-bank", bank, "--set", "augment.rir_library_size=4",
        *extra,
    ]  # fmt: skip
    if workers is not None:  # Beam's flags: understood with or without `run --workers`
        cmd += ["--", f"--direct_num_workers={workers}"]
        if workers > 1:
            cmd.append("--direct_running_mode=multi_processing")
    started = time.monotonic()
    # cwd: `python -m` puts it first on sys.path, which must not shadow --code
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=out.parent
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        peak = max(peak, tree_rss(ps))
        tree_cpu(ps, cpu)
        time.sleep(0.1)
    wall_s = time.monotonic() - started
    err = proc.stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-3000:]}")
    summary = json.loads((out / "summary.json").read_text())
    return {
        "wall_s": wall_s,
        "peak_gb": peak / 1e9,
        "cpu_s": sum(cpu.values()),
        "audio_h": summary["audio_hours"],
        "written": summary["dialogues_written"],
        "digest": digest(out),
        "phases": json.loads(report.read_text()) if phases else None,
    }


def digest(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(out.glob("dialogues/part-*.parquet")) + sorted(out.glob("rejects/*/part-*")):
        h.update(p.relative_to(out).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def line(label: str, r: dict) -> str:
    per_wall = r["audio_h"] / (r["wall_s"] / 3600.0)
    return (
        f"  {label:<28} peak RSS {r['peak_gb']:5.2f} GB  audio {r['audio_h']:6.3f} h  "
        f"wall {r['wall_s']:6.1f} s  {per_wall:6.1f} audio-h/wall-h  "
        f"cores busy {r['cpu_s'] / r['wall_s']:4.2f}  ({r['written']} written)"
    )


def breakdown(report: dict) -> dict:
    """Wall seconds, CPU seconds (launcher, workers) and a CPU-bound projection per phase of a
    run, from its ``bench/phases.py`` report.

    Phases: start-up (the launcher alone: Python, imports, config, building the pipeline),
    before (the pipeline stages before the main one: reading, filter, rewrite; with worker
    processes also their start), main (the fused stage from synth to the temporary shard files,
    where the dialogues are dealt out to the workers), finish (plan, merge and cleanup of the
    shard folders), end (workers exiting, counts read back, summary). The projection of a phase
    is the CPU seconds of its busiest process, stage by stage (the launcher's for start-up, the
    wall time for the end, which is mostly waiting for workers to exit): its wall time on an
    otherwise idle machine if the work is CPU-bound (the machine's load hardly changes it)."""
    stages = report["stages"]
    if not stages or "startup_cpu" not in report:
        return {}
    main = max(
        (s for s in stages if "synth" in s["name"].lower()),
        key=lambda s: s["end"] - s["start"],
        default=max(stages, key=lambda s: s["end"] - s["start"]),
    )
    k = stages.index(main)

    def phase(wall: float, group: list[dict]) -> dict:
        launcher = sum(s["cpu"].get("launcher", 0.0) for s in group)
        total = sum(sum(s["cpu"].values()) for s in group)
        busiest = sum(max(s["cpu"].values(), default=0.0) for s in group)
        return {"wall": wall, "launcher": launcher, "workers": total - launcher, "proj": busiest}

    in_stages = sum(s["cpu"].get("launcher", 0.0) for s in stages)
    end_cpu = report["launcher_cpu"] - report["startup_cpu"] - in_stages
    out = {
        "start-up": phase(stages[0]["start"], []),
        "before": phase(main["start"] - stages[0]["start"], stages[:k]),
        "main": phase(main["end"] - main["start"], [main]),
        "finish": phase(stages[-1]["end"] - main["end"], stages[k + 1 :]),
        "end": phase(report["exit"] - stages[-1]["end"], []),
    }
    out["start-up"].update(launcher=report["startup_cpu"], proj=report["startup_cpu"])
    # the end is mostly waiting for worker processes to exit (their CPU is not seen): its wall
    out["end"].update(launcher=end_cpu, proj=out["end"]["wall"])
    out["total"] = {
        key: sum(p[key] for p in list(out.values())) for key in ("launcher", "workers", "proj")
    }
    out["total"]["wall"] = report["exit"]
    ends = [p["end"] for p in main["parts"]] or [main["end"]]
    out["idle"] = max(ends) - min(ends)
    out["main_cpu"] = sorted(c for pid, c in main["cpu"].items() if pid != "launcher" and c > 0.05)
    out["loadavg"] = (report["loadavg_start"][0], report["loadavg_end"][0])
    return out


PHASE_LABELS = {
    "start-up": "start-up (launcher alone: imports, config, pipeline)",
    "before": "read, filter, rewrite (+ worker processes start)",
    "main": "synth..write temp shards (dealt out to workers)",
    "finish": "finish shards (plan, merge, cleanup)",
    "end": "end (workers exit, counts, summary)",
    "total": "total (process start to exit)",
}


def print_breakdown(one: dict, two: dict) -> None:
    """The 1- and 2-worker runs side by side, phase by phase (see :func:`breakdown`)."""
    a, b = breakdown(one), breakdown(two)
    if not a or not b:
        return
    head = "wall s [CPU s launcher + workers] {CPU-bound projection s}"
    print(f"    {'phase: ' + head:<88}{'1 worker':>10}{'2 workers':>34}")
    for key, label in PHASE_LABELS.items():
        cells = []
        for r in (a[key], b[key]):
            cells.append(
                f"{r['wall']:6.1f} [{r['launcher']:5.1f} + {r['workers']:5.1f}] {{{r['proj']:5.1f}}}"
            )
        print(f"    {label:<54}{cells[0]:>34}{cells[1]:>34}")
    print(
        f"    main stage: x{a['main']['wall'] / b['main']['wall']:.2f} measured, "
        f"x{a['main']['proj'] / b['main']['proj']:.2f} projected; the worker done first waited "
        f"{b['idle']:.1f} s for the other (CPU s per worker: "
        f"{', '.join(f'{c:.1f}' for c in b['main_cpu'])}); everything but the main stage: "
        f"{a['total']['wall'] - a['main']['wall']:.1f} s -> "
        f"{b['total']['wall'] - b['main']['wall']:.1f} s"
    )
    print(
        f"    speed-up projected from CPU seconds (an idle machine, CPU-bound phases): "
        f"x{a['total']['proj'] / b['total']['proj']:.2f}; load average (1 min) during the runs: "
        f"{a['loadavg'][0]:.1f}-{a['loadavg'][1]:.1f} (1 worker), "
        f"{b['loadavg'][0]:.1f}-{b['loadavg'][1]:.1f} (2 workers)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 and 20 dialogues (else 20, 80)")
    parser.add_argument("--code", default=str(ROOT), help="checkout whose duplexsynth runs")
    parser.add_argument("--skip-engine", action="store_true", help="no default-voices run")
    parser.add_argument("--skip-memory", action="store_true", help="only the 1 -> 2 worker runs")
    parser.add_argument(
        "--dialogues", type=int, help="dialogues of the pipeline-bound 1 -> 2 worker runs"
    )
    args = parser.parse_args()
    small, large = (5, 20) if args.quick else (20, 80)
    print(f"scale bench ({'quick' if args.quick else 'full'}), code: {args.code}, "
          f"{psutil.cpu_count()} cores")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        t = Path(tmp)
        if not args.skip_memory:
            print("1. memory: default run (no worker flags), espeak voices")
            mem = {}
            for n in (small, large):
                corpus = write_corpus(t / f"chat{n}.jsonl", dialogues=n)
                mem[n] = run(corpus, t / f"mem{n}", args.code, None, "espeak", [])
                print(line(f"{n} dialogues", mem[n]), flush=True)
            ratio = mem[large]["peak_gb"] / mem[small]["peak_gb"]
            print(f"  peak RSS {large} / {small} dialogues: x{ratio:.2f} (goal <= 1.25)")

        print("2. cores: 1 -> 2 worker processes")
        # the pipeline-bound case uses the larger corpus: a worker pool's start-up and the final
        # merge are fixed costs that a short run cannot amortise (users run hours, not minutes)
        cases = [("pipeline-bound (espeak)", "espeak", args.dialogues or large, 25)]
        if not args.skip_engine:
            cases.append(("engine-bound (default voices)", "default", 2 if args.quick else 4, 8))
        for label, bank, n, turns in cases:
            corpus = write_corpus(t / f"{bank}{n}.jsonl", dialogues=n, turns=turns)
            runs = {
                w: run(corpus, t / f"{bank}-w{w}", args.code, w, bank, [], phases=True)
                for w in (1, 2)
            }
            for w, r in runs.items():
                print(line(f"{label} {w} worker(s)", r), flush=True)
            same = runs[1]["digest"] == runs[2]["digest"]
            speedup = runs[1]["wall_s"] / runs[2]["wall_s"]
            print(f"  {label}: speed-up x{speedup:.2f} (goal >= 1.7), identical bytes: {same}")
            print_breakdown(runs[1]["phases"], runs[2]["phases"])


if __name__ == "__main__":
    main()
