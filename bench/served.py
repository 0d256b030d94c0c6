"""How busy a served TTS engine is kept (issue 11, point 4): slot utilisation and throughput
against the capacity of a slot-limited OpenAI-compatible server, measured in one run.

    python bench/served.py [--quick] [--slots 16] [--latency 2.0] [--dialogues 12]

The server (``duplexsynth.synth.slot_server``, a loopback HTTP server in this process) serves at
most ``--slots`` requests at once, each taking ``--latency`` seconds, and answers with real WAV
audio of a plausible length. ``duplexsynth run`` (the whole
DAG from a multi-turn chat corpus made by ``bench/chat_corpus.py``, ``--workers`` worker
processes, default 1, a cold cache, no backchannel lexicon) speaks it with
``synth.tts_concurrency`` equal to the slots. Printed: requests, wall time,
slot-time used (over the whole span of requests and in steady state, without the first and
last 10%), and requests per second against the server's capacity (slots / latency).

Goal: >= 75% of slot-time used in steady state with 16 slots and tts_concurrency 16.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_corpus import write_corpus  # noqa: E402
from duplexsynth.synth.slot_server import SlotServer  # noqa: E402

BANK = (
    "version: 1\nassistant: srv-a\nvoices:\n"
    "  - {id: srv-a, backend: openai, params: {voice: alloy}, role: assistant}\n"
    "  - {id: srv-u, backend: openai, params: {voice: echo}}\n"
    "  - {id: srv-v, backend: openai, params: {voice: nova}}\n"
)


def cli(*args: str, env: dict[str, str], cwd: Path) -> None:
    cmd = [sys.executable, "-m", "duplexsynth.cli", *args]
    # cwd: `python -m` puts it first on sys.path, which must not shadow --code
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{res.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 dialogues of 13 turns")
    parser.add_argument("--slots", type=int, default=16)
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per request")
    parser.add_argument("--dialogues", type=int, default=12)
    parser.add_argument("--turns", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=None, help="default: --slots")
    parser.add_argument("--workers", type=int, default=1, help="DirectRunner worker processes")
    parser.add_argument(
        "--code", default=str(ROOT), help="checkout whose duplexsynth runs (e.g. main: 'before')"
    )
    args = parser.parse_args()
    n, turns = (4, 13) if args.quick else (args.dialogues, args.turns)
    concurrency = args.concurrency or args.slots
    with tempfile.TemporaryDirectory(prefix="served-bench-") as tmp:
        tmp_path = Path(tmp)
        env = dict(os.environ, DUPLEXSYNTH_CACHE=str(tmp_path / "cache"))
        env["PYTHONPATH"] = os.pathsep.join([args.code, env.get("PYTHONPATH", "")])
        corpus = write_corpus(tmp_path / "chat.jsonl", dialogues=n, turns=turns)
        bank = tmp_path / "bank.yaml"
        bank.write_text(BANK)
        config = tmp_path / "synth.yaml"
        config.write_text("synth: {backchannels: [], stop_commands: []}\n")
        with SlotServer(slots=args.slots, latency_s=args.latency) as server:
            started = time.monotonic()
            cli(
                "run", "--input", str(corpus),
                "--output", str(tmp_path / "s"), "--voice-bank", str(bank), "--config", str(config),
                "--set", f"synth.tts_base_url={server.url}",
                "--set", f"synth.tts_concurrency={concurrency}",
                "--set", "augment.rir_library_size=4",
                "--", f"--direct_num_workers={args.workers}",
                *([] if args.workers == 1 else ["--direct_running_mode=multi_processing"]),
                env=env,
                cwd=tmp_path,
            )  # fmt: skip
            wall_s = time.monotonic() - started
            spans = sorted(server.intervals)
            whole = server.utilisation()
            steady = server.steady_utilisation()
        summary = json.loads((tmp_path / "s" / "summary.json").read_text())["per_stage"]["synth"]
    busy_s = spans[-1][1] - spans[0][0] if spans else 0.0
    capacity = args.slots / args.latency if args.latency else float("inf")
    rate = len(spans) / busy_s if busy_s else 0.0
    print(f"served TTS bench: {n} dialogues x {turns} turns, {args.slots} slots x {args.latency}s")
    print(f"  synth kept {summary['kept']}, rejected {summary['rejected']}, "
          f"{summary['audio_hours']:.3f} h audio, {args.workers} worker(s)")  # fmt: skip
    print(f"  requests {len(spans)}, most in flight {server.max_in_flight}/{args.slots}, "
          f"client sent at most {server.max_open} at once (tts_concurrency {concurrency})")  # fmt: skip
    print(f"  command wall {wall_s:.1f}s, requests span {busy_s:.1f}s")
    print(
        f"  slot-time used: {whole:.0%} over the span, {steady:.0%} in steady state (goal >= 75%)"
    )
    print(
        f"  throughput {rate:.2f} req/s of a capacity of {capacity:.2f} req/s ({rate / capacity:.0%})"
    )


if __name__ == "__main__":
    main()
