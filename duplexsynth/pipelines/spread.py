"""Dialogues dealt out to local worker processes so that they finish together.

Beam's local runner hands each worker process one fixed share of a stage's input (there is no
work stealing), so a worker that happens to get the longer dialogues keeps running while the
other one waits: on a few dialogues of uneven length that wait can be a large part of a run.
:class:`SpreadEvenly` gives each of ``workers`` shares about the same amount of text to voice
(the work of synth, align, mix and augment grows with the speech): longest dialogue first, each
to the share with the least so far. On one worker, or on any other runner (whose own scheduling
balances the work), it is a plain ``Reshuffle``.

The deal is computed once from (id, characters) pairs; the rows then meet their share in a
GroupByKey with one key per worker, which the local runner gives one worker each. Like the
Reshuffle it replaces, it holds the text rows (not audio) of the corpus in the runner, and each
worker holds its share's text rows while it works through them.
"""

from __future__ import annotations

import heapq
from typing import Any

import apache_beam as beam
from apache_beam.typehints import Any as AnyHint
from apache_beam.typehints import Dict, List, Tuple


def text_chars(row: dict[str, Any]) -> int:
    """Characters of speech a dialogue row asks for: its turns' spoken text (the rewrite's),
    else their source text."""
    turns = row.get("turns") or []
    return sum(len(str(t.get("spoken_text") or t.get("source_text") or "")) for t in turns)


def deal(costs: list[tuple[str, int]], workers: int) -> dict[str, int]:
    """``{id: share}``: the costliest first (each counts its characters + 1), each to the share
    with the least so far, then the fewest dialogues (ties by id and share number, so the deal
    is the same on every run)."""
    loads = [(0, 0, share) for share in range(max(1, workers))]
    out: dict[str, int] = {}
    for cost, key in sorted((-(c + 1), k) for k, c in costs):
        load, count, share = heapq.heappop(loads)
        out.setdefault(key, share)  # a repeated id stays with its first share
        heapq.heappush(loads, (load - cost, count + 1, share))
    return out


def _row_id(row: dict[str, Any]) -> str:
    return str(row.get("id") or "")


class SpreadEvenly(beam.PTransform):
    """Rows dealt out to ``workers`` local worker processes by the text they carry (see module
    doc); a ``Reshuffle`` when ``workers`` is 1 (or the runner is not the local one)."""

    def __init__(self, workers: int) -> None:
        super().__init__()
        self.workers = int(workers)

    def expand(self, rows):
        if self.workers <= 1:
            return rows | "Reshuffle" >> beam.Reshuffle()
        workers = self.workers
        shares = (
            rows
            | "Chars" >> beam.Map(lambda r: (_row_id(r), text_chars(r)))
            | "AllChars" >> beam.combiners.ToList().with_output_types(List[Tuple[str, int]])
            | "Deal" >> beam.Map(deal, workers).with_output_types(Dict[str, int])
        )
        return (
            rows
            | "ToShare"
            >> beam.Map(
                lambda r, deal: (deal[_row_id(r)], r), deal=beam.pvalue.AsSingleton(shares)
            ).with_output_types(Tuple[int, AnyHint])
            | "ByShare" >> beam.GroupByKey()
            | "Rows" >> beam.FlatMap(lambda kv: kv[1]).with_output_types(AnyHint)
        )
