"""Run the duplexsynth CLI and record where its wall time goes, phase by phase (measurement only).

    python bench/phases.py REPORT.json -- run --input ... --output ...

Runs ``duplexsynth <args>`` in this process exactly as the console command does, with Beam's
local runner (the FnApiRunner behind the DirectRunner) instrumented from outside: for every
pipeline stage it runs (a fused chain of steps, run one after the other), the wall time, the CPU
seconds of the launcher and of each worker process (psutil), and for each worker its share of
the stage (start and end). Also the time the pipeline started and the process exited. The JSON
report is what ``bench/scale.py`` prints its breakdown from; times are seconds since this
process started. Nothing here changes what the run does or writes.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import psutil

ME = psutil.Process()
STARTED = ME.create_time()  # wall clock (s since the epoch) when this process started
REPORT: dict = {"stages": [], "loadavg_start": os.getloadavg()}
_lock = threading.Lock()


def now() -> float:
    return round(time.time() - STARTED, 3)


def cpu_by_process() -> dict[int, float]:
    """CPU seconds so far of this process and every live descendant (the worker processes)."""
    out = {}
    for p in [ME, *ME.children(recursive=True)]:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


def instrument() -> None:
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    run_pipeline = beam.Pipeline.run

    def timed_run(self, *args, **kwargs):
        REPORT.setdefault("pipeline_run", now())
        return run_pipeline(self, *args, **kwargs)

    beam.Pipeline.run = timed_run

    execute_bundle = fn_runner.FnApiRunner._execute_bundle

    def timed_stage(self, context, bundle_context_manager, bundle_input):
        stage = {"name": bundle_context_manager.stage.name, "start": now(), "parts": []}
        cpu0 = cpu_by_process()
        REPORT.setdefault("startup_cpu", round(cpu0[ME.pid], 3))  # the launcher, before stage 1
        REPORT["current"] = stage
        try:
            return execute_bundle(self, context, bundle_context_manager, bundle_input)
        finally:
            cpu1 = cpu_by_process()
            stage["end"] = now()
            stage["cpu"] = {
                ("launcher" if pid == ME.pid else str(pid)): round(c - cpu0.get(pid, 0.0), 3)
                for pid, c in cpu1.items()
            }
            REPORT["stages"].append(stage)

    fn_runner.FnApiRunner._execute_bundle = timed_stage

    process_bundle = fn_runner.BundleManager.process_bundle

    def timed_part(self, *args, **kwargs):
        start = now()
        try:
            return process_bundle(self, *args, **kwargs)
        finally:
            handler = getattr(self, "_worker_handler", None)
            part = {"worker": str(getattr(handler, "worker_id", "launcher")), "start": start}
            part["end"] = now()
            with _lock:
                REPORT.get("current", {}).setdefault("parts", []).append(part)

    fn_runner.BundleManager.process_bundle = timed_part


def write_report(path: str) -> None:
    REPORT.pop("current", None)
    REPORT["exit"] = now()
    times = ME.cpu_times()
    REPORT["launcher_cpu"] = round(times.user + times.system, 3)
    REPORT["loadavg_end"] = os.getloadavg()
    with open(path, "w") as fh:
        json.dump(REPORT, fh, indent=1)


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[2] != "--":
        sys.exit(__doc__)
    path, cli_args = sys.argv[1], sys.argv[3:]
    instrument()
    exit_now = os._exit

    def report_then_exit(code: int) -> None:  # the CLI ends with os._exit
        write_report(path)
        exit_now(code)

    os._exit = report_then_exit
    from duplexsynth.cli.main import run_cli

    sys.argv = ["duplexsynth", *cli_args]
    try:
        run_cli()
    finally:
        write_report(path)


if __name__ == "__main__":
    main()
