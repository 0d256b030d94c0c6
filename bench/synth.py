"""Speed of the synth stage (issue 4): each offline engine's real-time factor and the
pipeline's overhead ratio, measured side by side in one run.

    .venv/bin/python bench/synth.py [--dialogues 12] [--threads 1]

1. Direct engine time: every utterance the stage will speak (the user turns in their sampled
   Kokoro voices, the assistant turns in Piper's joe voice: the default voice bank) is
   synthesized by calling the backends directly, warm, and timed. RTF = compute s / audio s,
   per engine; espeak-ng is timed on the same texts for reference.
2. Stage: ``duplexsynth synth`` on the same dialogues as a subprocess, cache off, same engine
   threads. Overhead ratio = stage wall time / direct engine time for the same utterances.
   Reported twice: the pipeline's own wall time (``summary.json``: Beam pipeline, model loads,
   finishing, QC, Parquet writing) and the whole command (interpreter start and imports too).
   Goal: pipeline ratio <= 1.15. The backchannel lexicon is switched off in both so the two
   sides speak exactly the same utterances.

Figures depend on machine load; on a shared machine run it twice and keep the quieter run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from duplexsynth.pipelines import io
from duplexsynth.schemas.records import Dialogue, Turn
from duplexsynth.synth import SynthConfig, load_voice_bank
from duplexsynth.synth.engine import shared_backend

SUBJECTS = (
    "running",
    "baking bread",
    "learning the guitar",
    "keeping basil alive",
    "saving money",
    "sleeping better",
)
QUESTION = "Could you give me a few simple tips about {s}, please?"
ANSWERS = (
    "Sure. Start small, keep a steady routine, and notice what works for you before you add more.",
    "Of course. The most important thing is patience, so take your time and enjoy the process.",
    "Happy to help. Try a little every day, write down your progress, and ask a friend to join you.",
)


def dialogues(n: int) -> list[Dialogue]:
    out = []
    for i in range(n):
        q = QUESTION.format(s=SUBJECTS[i % len(SUBJECTS)])
        a = f"{ANSWERS[i % len(ANSWERS)]} Number {i + 1} on my list is to stay curious."
        turns = (Turn(0, "user", q, spoken_text=q), Turn(1, "assistant", a, spoken_text=a))
        out.append(Dialogue(f"bench-{i:04d}", "bench.jsonl", i, None, "bench", turns))
    return out


def time_engine(backend, jobs: list[tuple[dict, str]]) -> tuple[float, float]:
    """(compute s, audio s) for ``jobs`` of (params, text), after one warm-up call."""
    backend.synthesize("Warming up.", jobs[0][0])
    compute = audio = 0.0
    for params, text in jobs:
        t0 = time.perf_counter()
        result = backend.synthesize(text, params)
        compute += time.perf_counter() - t0
        audio += result.duration_s
    return compute, audio


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--dialogues", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1, help="engine threads (both sides)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    config = SynthConfig(
        backchannels=(), stop_commands=(), cache=False, engine_threads=args.threads
    )
    bank = load_voice_bank(config.voice_bank)
    ds = dialogues(args.dialogues)
    jobs: dict[str, list[tuple[dict, str]]] = {}
    for d in ds:
        for t in d.turns:
            voice = (
                bank.assistant_voice
                if t.speaker == "assistant"
                else bank.sample_user(args.seed, d.id)
            )
            jobs.setdefault(voice.backend, []).append((voice.engine_params(), t.spoken_text))

    print(f"synth bench: {len(ds)} dialogues, default voice bank, {args.threads} engine thread(s)")
    print(f"{'engine':<10} {'utts':>5} {'audio s':>8} {'compute s':>10} {'RTF':>7}")
    engine_s = 0.0
    for name in sorted(jobs):
        compute, audio = time_engine(shared_backend(name, config), jobs[name])
        engine_s += compute
        print(
            f"{name:<10} {len(jobs[name]):>5} {audio:>8.1f} {compute:>10.2f} {compute / audio:>7.3f}"
        )
    espeak = shared_backend("espeak", config)
    texts = [(dict(voice="en-us"), text) for js in jobs.values() for _, text in js]
    compute, audio = time_engine(espeak, texts)
    print(
        f"{'espeak':<10} {len(texts):>5} {audio:>8.1f} {compute:>10.2f} {compute / audio:>7.3f}  (same texts, reference)"
    )

    with tempfile.TemporaryDirectory(prefix="duplexsynth-bench-") as tmp:
        root = Path(tmp)
        io.write_stage_rows(root / "in", "rewrite", [d.to_row() for d in ds])
        cfg = root / "bench.yaml"
        cfg.write_text(json.dumps({"synth": {"backchannels": [], "stop_commands": []}}))
        cmd = [
            str(Path(sys.executable).with_name("duplexsynth")),
            "synth", "-i", str(root / "in"), "-o", str(root / "out"), "--seed", str(args.seed),
            "--no-cache", "--engine-threads", str(args.threads), "--config", str(cfg),
        ]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        command_s = time.perf_counter() - t0
        summary = json.loads((root / "out" / "summary.json").read_text())
    pipeline_s = float(summary["wall_s"])
    print(f"\ndirect engine time (all utterances): {engine_s:.2f} s")
    print(
        f"stage pipeline wall time (summary.json): {pipeline_s:.2f} s  -> overhead ratio {pipeline_s / engine_s:.3f} (goal <= 1.15)"
    )
    print(
        f"whole command incl. interpreter + imports: {command_s:.2f} s  -> ratio {command_s / engine_s:.3f}"
    )
    print(f"kept {summary['kept']}/{summary['input_records']}, rejected {summary['rejected']}")


if __name__ == "__main__":
    main()
