"""Rewrite-stage throughput.

1. The rules normalizer on generated chat turns (numbers, money, dates, times, units, lists,
   markdown): turns/s and words/s of ``normalize_text``, and dialogues/s of the whole rules path
   (``rewrite_dialogue``: normalize + trim + seeded fillers + speakability check).
2. The LLM path through ``RewriteTransform`` on the DirectRunner against a loopback
   OpenAI-compatible server that answers every request after a fixed latency, at concurrency 1
   and 8 side by side: shows that requests overlap instead of serializing the pipeline.

Run: ``.venv/bin/python bench/rewrite.py [--turns N] [--llm-dialogues N] [--latency-ms MS]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from duplexsynth.rewrite import RewriteConfig, normalize_text, rewrite_dialogue
from duplexsynth.rewrite.rules import word_count
from duplexsynth.schemas.records import Dialogue, Turn

WORDS = "the a you it we they can should about really quite maybe make sure think".split()
NOUNS = "apples tickets servers miles people steps files hours cups dollars".split()


def _sentence(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 12))
    n = int(rng.integers(2, 5000))
    filler = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 9))))
    noun = str(rng.choice(NOUNS))
    pieces = [
        f"I think {filler} {n} {noun}.",
        f"It costs ${n}.{int(rng.integers(0, 99)):02d} or about {int(rng.integers(1, 99))}% more.",
        f"We met on 2024-{int(rng.integers(1, 12)):02d}-{int(rng.integers(1, 28)):02d} at "
        f"{int(rng.integers(1, 12))}:{int(rng.integers(0, 59)):02d} PM.",
        f"Run {int(rng.integers(1, 42))} km at {int(rng.integers(4, 9))}:30/km, {filler}.",
        f"It takes {int(rng.integers(1, 5))}-{int(rng.integers(6, 10))} days, e.g. {filler}.",
        f"Here is **why** {filler}:\n- {filler}\n- {filler} {noun}\n- {n} {noun}",
        f"Steps:\n1. Heat to {int(rng.integers(150, 250))}°C.\n2. Add {int(rng.integers(1, 4))} 1/2 "
        f"cups of flour.\n3. {filler}.",
        f"## Summary\nThe `{noun}` (mostly {filler}) grew in the {int(rng.integers(195, 202))}0s.",
        f"Call (555) {int(rng.integers(100, 999))}-{int(rng.integers(1000, 9999))} or mail "
        f"ann@example.com, {filler}.",
        f"Dr. Smith saw {n:,} patients & {int(rng.integers(1, 30))}th place, {filler}.",
        f"Version {int(rng.integers(1, 9))}.{int(rng.integers(0, 20))}.{int(rng.integers(0, 9))} "
        f"uses {int(rng.integers(1, 64))} GB and {int(rng.integers(1, 5))}.5 GHz.",
        f"{filler.capitalize()} and {filler}, right?",
    ]
    return pieces[kind]


def make_turns(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(_sentence(rng) for _ in range(int(rng.integers(1, 5)))) for _ in range(n)]


def bench_rules(n_turns: int) -> None:
    turns = make_turns(n_turns)
    src_words = sum(len(t.split()) for t in turns)
    t0 = time.perf_counter()
    outs = [normalize_text(t) for t in turns]
    dt = time.perf_counter() - t0
    print(f"rules normalize_text: {n_turns} turns, {src_words} source words")
    print(f"  {n_turns / dt:,.0f} turns/s   {src_words / dt:,.0f} words/s   ({dt:.2f} s)")
    print(f"  output words: {sum(word_count(o) for o in outs)}")

    dialogues = [
        Dialogue(
            id=f"b-{i:06d}",
            source_file="bench",
            source_index=i,
            record_id=None,
            format="bench",
            turns=(Turn(0, "user", turns[i]), Turn(1, "assistant", turns[i + 1])),
        )
        for i in range(0, min(n_turns, 3000) - 1, 2)
    ]
    cfg = RewriteConfig(cache_dir=None)
    t0 = time.perf_counter()
    results = [rewrite_dialogue(d, cfg, seed=1) for d in dialogues]
    dt = time.perf_counter() - t0
    kept = sum(isinstance(r, Dialogue) for r in results)
    print(
        f"rules rewrite_dialogue (normalize + trim + fillers + check): {len(dialogues)} dialogues"
    )
    print(f"  {len(dialogues) / dt:,.0f} dialogues/s   {2 * len(dialogues) / dt:,.0f} turns/s")
    print(f"  kept {kept}, rejected {len(dialogues) - kept}")


# ------------------------------------------------------------------------- LLM concurrency
class _Answer(BaseHTTPRequestHandler):
    latency_s = 0.05

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        turns = json.loads(user[user.index("{") :])["turns"]
        time.sleep(self.latency_s)
        content = json.dumps({"turns": turns})
        data = json.dumps(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def bench_llm(n_dialogues: int, latency_ms: float) -> None:
    import apache_beam as beam

    from duplexsynth.pipelines.transforms.rewrite import RewriteTransform

    _Answer.latency_s = latency_ms / 1000.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    os.environ.setdefault("NO_PROXY", "127.0.0.1")
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    texts = make_turns(2 * n_dialogues, seed=1)
    rows = [
        Dialogue(
            id=f"l-{i:05d}",
            source_file="bench",
            source_index=i,
            record_id=None,
            format="bench",
            turns=(Turn(0, "user", texts[2 * i]), Turn(1, "assistant", "Sure, it is fine.")),
        ).to_row()
        for i in range(n_dialogues)
    ]
    print(
        f"LLM path via RewriteTransform (DirectRunner), {n_dialogues} dialogues, "
        f"{latency_ms:g} ms server latency, cache off:"
    )
    # warm up: the first request pays for importing openai and building its models
    from duplexsynth.rewrite.llm import LLMRewriter

    warm = RewriteConfig(llm_base_url=base_url, llm_model="bench", cache_dir=None)
    LLMRewriter(warm).rewrite_turns([("user", "Hello there."), ("assistant", "Hi.")], 1)
    times = {}
    for conc in (1, 8):
        cfg = RewriteConfig(
            llm_base_url=base_url, llm_model="bench", cache_dir=None, concurrency=conc
        )
        with tempfile.TemporaryDirectory():
            t0 = time.perf_counter()
            with beam.Pipeline(options=beam.options.pipeline_options.PipelineOptions([])) as p:
                out = p | beam.Create(rows) | RewriteTransform(cfg, 1)
                _ = out["main"] | "Count" >> beam.combiners.Count.Globally()
            times[conc] = time.perf_counter() - t0
        print(
            f"  concurrency {conc}: {times[conc]:.2f} s  ({n_dialogues / times[conc]:.1f} dialogues/s)"
        )
    print(f"  speed-up 8 vs 1: {times[1] / times[8]:.1f}x (ideal 8x minus Beam start-up)")
    server.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--turns", type=int, default=6000)
    ap.add_argument("--llm-dialogues", type=int, default=160)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    args = ap.parse_args()
    bench_rules(args.turns)
    if args.llm_dialogues:
        bench_llm(args.llm_dialogues, args.latency_ms)


if __name__ == "__main__":
    main()
