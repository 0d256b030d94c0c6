"""Filter throughput: records/second of `duplexsynth filter` on generated corpora (DirectRunner).

Generates N records (default 100,000) of mixed formats and cases into a temporary JSONL file:
about 70% clean dialogues of 1-3 exchanges, the rest code, math, URLs, tables, over-long turns,
emoji, other languages, empty answers, unparseable lines and exact/near duplicates. Then runs the
CLI in a subprocess, exactly as a user would, and prints records/second over the command's whole
wall time (Python start-up and Beam set-up included) and over the pipeline alone.

    .venv/bin/python bench/filter.py [--records 100000] [--keep DIR] [-- BEAM_OPTIONS...]

Goal (issue 2): >= 2,000 records/s for 100k records on 2 cores.
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

import numpy as np

OPENERS = [
    "What is the best way to",
    "How do I",
    "Can you tell me how to",
    "Is it a good idea to",
    "Any advice on how to",
    "What should I know before I",
    "How often should I",
    "Why is it hard to",
]
VERBS = [
    "clean", "cook", "plan", "fix", "learn", "paint", "grow", "store", "choose", "find",
    "carry", "wash", "sell", "build", "repair", "decorate", "organize", "share", "visit", "teach",
]  # fmt: skip
OBJECTS = [
    "a small garden", "the kitchen floor", "an old bicycle", "fresh herbs", "a wool sweater",
    "my first guitar", "a birthday party", "a long train trip", "winter boots", "a reading nook",
    "a family dinner", "a used car", "the back porch", "a shared office", "a rescue dog",
    "a sourdough starter", "a camping tent", "a vegetable soup", "a photo album", "a quiet morning",
]  # fmt: skip
TAILS = [
    "before the weekend", "on a tight budget", "without any special tools", "with my kids",
    "in a tiny apartment", "when it is raining", "after a long day", "for the first time",
    "in the middle of winter", "with only an hour to spare",
]  # fmt: skip
ADVICE = [
    "start small and keep it simple",
    "ask a friend who has done it before",
    "set aside a little time every day",
    "write down each step as you go",
    "buy good basic tools and skip the fancy extras",
    "take a short break whenever you feel stuck",
    "check the weather and plan around it",
    "keep everything you need in one place",
]
CLOSERS = [
    "Most people get the hang of it within a week or two.",
    "It usually takes less time than you expect.",
    "Have fun with it and do not worry about mistakes.",
    "You will notice the difference right away.",
    "A little patience goes a long way here.",
    "Try it once and adjust next time.",
]
BAD = {
    "code": "Run pip install requests and then call session.get() in a loop.",
    "math": "The answer follows from 4x + 7 = 31, so x is six.",
    "url": "There is a guide at https://example.com/help/start for that.",
    "table": "| Step | Time |\n|---|---|\n| Prep | 5 min |\n| Cook | 20 min |",
    "symbols": "That sounds wonderful, enjoy it 🎉🎉",
    "language": "Je pense que c'est une très bonne idée pour le week-end.",
    "empty": "",
}
FORMATS = ["alpaca", "sharegpt", "openai", "ultrachat", "openorca", "belle", "moss"]
#: formats that can hold more than one exchange
MULTI_TURN_FORMATS = ["sharegpt", "openai", "ultrachat", "moss"]


def _pick(rng: np.random.Generator, items: list[str]) -> str:
    return items[int(rng.integers(len(items)))]


PEOPLE = [
    "my sister",
    "our neighbor",
    "a friend of mine",
    "my grandfather",
    "the kids",
    "my roommate",
]
PLACES = ["at home", "in the garage", "at the park", "near the lake", "downtown", "at my office"]
ADJECTIVES = [
    "cheap", "quick", "gentle", "simple", "safe", "fun", "careful", "tidy", "calm", "clever",
    "sturdy", "bright", "cozy", "honest", "patient", "steady", "fresh", "practical",
]  # fmt: skip


def _question(rng: np.random.Generator) -> str:
    q = f"{_pick(rng, OPENERS)} {_pick(rng, VERBS)} {_pick(rng, OBJECTS)} {_pick(rng, TAILS)}?"
    if rng.random() < 0.5:
        q = f"{_pick(rng, PEOPLE).capitalize()} asked me this {_pick(rng, PLACES)}. {q}"
    return q


def _answer(rng: np.random.Generator) -> str:
    return (
        f"A {_pick(rng, ADJECTIVES)} and {_pick(rng, ADJECTIVES)} approach works: "
        f"{_pick(rng, ADVICE)}, and {_pick(rng, ADVICE)}. It takes about "
        f"{int(rng.integers(5, 90))} minutes {_pick(rng, PLACES)}. {_pick(rng, CLOSERS)}"
    )


def _long(rng: np.random.Generator) -> str:
    return " ".join(_answer(rng) for _ in range(12))


def _record(fmt: str, turns: list[str], i: int) -> dict:
    if fmt == "alpaca":
        return {"instruction": turns[0], "input": "", "output": turns[1]}
    if fmt == "belle":
        return {"instruction": turns[0], "output": turns[1]}
    if fmt == "openorca":
        return {"id": f"o{i}", "system_prompt": "", "question": turns[0], "response": turns[1]}
    if fmt == "sharegpt":
        conv = [{"from": "human" if k % 2 == 0 else "gpt", "value": t} for k, t in enumerate(turns)]
        return {"id": f"s{i}", "conversations": conv}
    if fmt == "openai":
        msgs = [
            {"role": "user" if k % 2 == 0 else "assistant", "content": t}
            for k, t in enumerate(turns)
        ]
        return {"id": i, "messages": msgs}
    if fmt == "ultrachat":
        return {"id": f"u{i}", "data": turns}
    pairs = [{"human": turns[k], "assistant": turns[k + 1]} for k in range(0, len(turns) - 1, 2)]
    return {"conversation_id": i, "conversation": pairs}


def generate(path: Path, n: int, seed: int = 7) -> dict[str, int]:
    """Write ``n`` JSONL records to ``path``; returns how many of each planted case."""
    rng = np.random.Generator(np.random.PCG64(seed))
    cases = ["clean"] * 70 + ["dup"] * 5 + ["near"] * 3 + ["malformed"] * 2
    for bad in BAD:
        cases += [bad] * 3
    cases += ["too_long"] * 2
    counts: dict[str, int] = {}
    recent: list[list[str]] = []
    with open(path, "w") as fh:
        for i in range(n):
            case = _pick(rng, cases)
            if case in ("dup", "near") and not recent:
                case = "clean"
            counts[case] = counts.get(case, 0) + 1
            if case == "malformed":
                fh.write('{"conversations": [{"from": "human", "value": "cut off\n')
                continue
            exchanges = int(rng.integers(1, 4))
            turns = []
            for _ in range(exchanges):
                turns += [_question(rng), _answer(rng)]
            if case == "dup":
                turns = list(recent[int(rng.integers(len(recent)))])
                turns[0] = turns[0].upper()
            elif case == "near":
                turns = list(recent[int(rng.integers(len(recent)))])
                turns[-1] = turns[-1].replace("minutes", "minutes or so")
            elif case == "too_long":
                turns[1] = _long(rng)
            elif case in BAD:
                turns[1 if rng.random() < 0.7 else 0] = BAD[case]
            if case == "clean":
                recent.append(turns)
                recent = recent[-500:]
            fmts = FORMATS if len(turns) == 2 else MULTI_TURN_FORMATS
            fh.write(json.dumps(_record(_pick(rng, fmts), turns, i)) + "\n")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", help="keep the generated corpus and output in this folder")
    parser.add_argument("beam_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    beam_args = [a for a in args.beam_args if a != "--"]
    exe = Path(sys.executable).with_name("duplexsynth")
    cmd_base = [str(exe)] if exe.exists() else [sys.executable, "-m", "duplexsynth.cli"]

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        corpus, out = root / "corpus.jsonl", root / "out"
        t0 = time.perf_counter()
        planted = generate(corpus, args.records)
        gen_s = time.perf_counter() - t0
        size_mb = os.path.getsize(corpus) / 1e6
        print(f"generated {args.records} records ({size_mb:.1f} MB) in {gen_s:.1f}s: {planted}")
        cmd = [*cmd_base, "filter", "-i", str(corpus), "-o", str(out), "--", *beam_args]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"duplexsynth filter failed with exit code {proc.returncode}")
        summary = json.loads((out / "summary.json").read_text())
        n = summary["input_records"]
        print(f"kept {summary['kept']}, rejected {summary['rejected']}")
        print(
            f"command wall time   {wall:8.1f} s   {n / wall:10.0f} records/s  (CLI, incl. start-up)"
        )
        print(
            f"pipeline wall time  {summary['wall_s']:8.1f} s   "
            f"{n / summary['wall_s']:10.0f} records/s  (Beam pipeline only)"
        )
        print(f"cores available: {os.cpu_count()}; runner: {' '.join(beam_args) or 'DirectRunner'}")


if __name__ == "__main__":
    main()
