"""Mandarin end to end (issue 14): yield, words aligned and speed of ``duplexsynth run
--language zh``, with English measured side by side in the same run.

    .venv/bin/python bench/mandarin.py [--quick] [--dialogues 6]

1. The bundled Chinese sample (Belle and Moss records): ``run --language zh`` with no input,
   cold cache. Prints records in, dialogues written, rejects by stage and reason, words aligned
   (and how many by the engine's own timings), audio hours, wall time, x real time.
2. Multi-turn chat, the way the issues measure: N generated Chinese dialogues of 25 turns
   (bench/chat_corpus_zh.py) through ``run --language zh``, and N English dialogues of 25 turns
   (bench/chat_corpus.py) through ``run --voice-bank espeak`` (the same engine, English
   voices), both cold cache, one after the other. The ratio zh/en of seconds of compute per
   second of audio says what Mandarin costs over English on the same engine.

``--quick``: 2 dialogues of 11 turns. Figures depend on machine load; on a shared machine run
it twice and keep the quieter run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_corpus import write_corpus as write_en  # noqa: E402
from bench.chat_corpus_zh import write_corpus as write_zh  # noqa: E402


def run(args: list[str], tmp: Path, name: str) -> dict:
    """One ``duplexsynth run`` as a subprocess with a cold cache; its figures."""
    out = tmp / name
    env = {"DUPLEXSYNTH_CACHE": str(tmp / f"cache-{name}"), "PYTHONPATH": str(ROOT)}
    import os

    env = {**os.environ, **env}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "duplexsynth.cli", "run", "-o", str(out), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{name}: run failed\n{proc.stdout}\n{proc.stderr}")
    summary = json.loads((out / "summary.json").read_text())
    words = tts = 0
    for f in sorted((out / "dialogues").glob("*.parquet")):
        for row in pq.read_table(f, columns=["turns"]).to_pylist():
            for t in row["turns"]:
                ws = t.get("words") or []
                words += len(ws)
                tts += sum(1 for w in ws if w.get("method") == "tts")
    audio_s = summary["per_stage"]["write"]["audio_hours"] * 3600.0
    return {
        "name": name,
        "records": summary["input_records"],
        "written": summary["dialogues_written"],
        "rejected": summary["rejected_by_stage"],
        "words": words,
        "words_tts": tts,
        "audio_s": audio_s,
        "pipeline_s": summary.get("wall_s", wall),
        "command_s": wall,
    }


def show(r: dict) -> None:
    rej = {s: v for s, v in r["rejected"].items() if v}
    xrt = r["audio_s"] / r["command_s"] if r["command_s"] else 0.0
    print(
        f"{r['name']:<14} {r['written']}/{r['records']} dialogues written, rejects {rej}; "
        f"{r['words']} words aligned ({r['words_tts']} from engine timings); "
        f"{r['audio_s']:.1f} s audio in {r['command_s']:.1f} s "
        f"(pipeline {r['pipeline_s']:.1f} s) = {xrt:.1f}x real time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dialogues", type=int, default=6)
    args = parser.parse_args()
    n, turns = (2, 11) if args.quick else (args.dialogues, 25)
    fast = ["--set", "augment.rir_library_size=4"]
    with tempfile.TemporaryDirectory(prefix="bench-mandarin-") as d:
        tmp = Path(d)
        sample = run(["--language", "zh", *fast], tmp, "zh-sample")
        show(sample)
        zh = run(
            ["--language", "zh", "-i", str(write_zh(tmp / "zh.jsonl", n, turns)), *fast],
            tmp,
            "zh-chat",
        )
        en_args = ["--voice-bank", "espeak", "-i", str(write_en(tmp / "en.jsonl", n, turns)), *fast]
        en = run(en_args, tmp, "en-chat")
        show(zh)
        show(en)
        cost = {r["name"]: r["command_s"] / r["audio_s"] for r in (zh, en) if r["audio_s"]}
        if len(cost) == 2:
            print(
                f"compute per audio second: zh {cost['zh-chat']:.3f}, en {cost['en-chat']:.3f}; "
                f"zh/en = {cost['zh-chat'] / cost['en-chat']:.2f}"
            )


if __name__ == "__main__":
    main()
