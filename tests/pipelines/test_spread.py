"""Dialogues dealt out to worker processes by the text they carry, so workers finish together."""

from __future__ import annotations

import os
import random
from pathlib import Path

import apache_beam as beam
import pytest

from duplexsynth.pipelines.spread import SpreadEvenly, deal, text_chars
from duplexsynth.pipelines.stage import pipeline_options


def _row(i: int, chars: int) -> dict:
    half = chars // 2
    turns = [
        {"turn_index": 0, "speaker": "user", "source_text": "s" * half, "spoken_text": None},
        {"turn_index": 1, "speaker": "assistant", "source_text": "ignored", "spoken_text": "a" * (chars - half)},
    ]  # fmt: skip
    return {"id": f"dlg-{i:03d}", "turns": turns}


def test_text_chars_counts_what_will_be_spoken() -> None:
    assert text_chars(_row(0, 101)) == 101
    assert text_chars({"id": "x"}) == 0


def test_deal_evens_out_the_text_and_is_the_same_every_time() -> None:
    rng = random.Random(7)
    costs = [(f"d{i}", rng.randint(100, 4000)) for i in range(41)]
    shares = deal(costs, 2)
    loads = [sum(c + 1 for k, c in costs if shares[k] == s) for s in (0, 1)]
    assert abs(loads[0] - loads[1]) <= max(c for _, c in costs)
    # a plain alternation of the same dialogues is far less even
    alternate = [sum(c for i, (_, c) in enumerate(costs) if i % 2 == s) for s in (0, 1)]
    assert abs(loads[0] - loads[1]) < abs(alternate[0] - alternate[1])
    assert deal(list(reversed(costs)), 2) == shares
    # dialogues without text still go to every worker
    assert sorted(deal([(f"e{i}", 0) for i in range(6)], 3).values()) == [0, 0, 1, 1, 2, 2]


@pytest.mark.slow
def test_two_worker_processes_get_even_shares(tmp_path: Path) -> None:
    rng = random.Random(3)
    rows = [_row(i, rng.randint(200, 6000)) for i in range(24)]
    seen = tmp_path / "seen"
    seen.mkdir()

    def note(row: dict) -> dict:
        with open(seen / str(os.getpid()), "a") as fh:
            fh.write(f"{row['id']} {text_chars(row)}\n")
        return row

    with beam.Pipeline(options=pipeline_options([], 2)) as p:
        _ = p | beam.Create(rows) | SpreadEvenly(2) | beam.Map(note)
    shares = [[line.split() for line in f.read_text().splitlines()] for f in seen.iterdir()]
    assert len(shares) == 2, "both worker processes got dialogues"
    assert sorted(i for share in shares for i, _ in share) == sorted(r["id"] for r in rows)
    loads = [sum(int(c) for _, c in share) for share in shares]
    assert abs(loads[0] - loads[1]) <= 6000
