"""Beam wrapping of the mix stage (``duplexsynth.mix``)."""

from __future__ import annotations

import apache_beam as beam

from duplexsynth.mix.config import MixConfig
from duplexsynth.mix.mix import STAGE, MixProcessor
from duplexsynth.pipelines.stage import DialogueStage


class MixTransform(beam.PTransform):
    """Aligned dialogue rows -> ``{"main": mixed rows, "rejects": reject rows}``.

    Each dialogue is scheduled and mixed independently (no model to load); the plan is drawn
    from ``dialogue_rng(seed, id, "mix")`` so any runner and bundling gives the same bytes.
    """

    def __init__(self, config: MixConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config or MixConfig()
        self.seed = int(seed)

    def expand(self, rows):
        return rows | "Mix" >> DialogueStage(STAGE, MixProcessor(self.config, self.seed))
