"""Beam wrapping of the augment stage (``duplexsynth.augment``)."""

from __future__ import annotations

import apache_beam as beam

from duplexsynth.augment.augmenter import STAGE
from duplexsynth.augment.config import AugmentConfig
from duplexsynth.augment.processor import AugmentProcessor
from duplexsynth.pipelines.stage import DialogueStage


class AugmentTransform(beam.PTransform):
    """Mixed dialogue rows -> ``{"main": augmented rows, "rejects": reject rows}``.

    Each worker builds the RIR library (loaded from the on-disk cache after the first run) and
    the noise-file index once in ``setup()``; every dialogue draws its parameters from
    ``dialogue_rng(seed, id, "augment/...")``, so any runner and bundling gives the same bytes.
    """

    def __init__(self, config: AugmentConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config or AugmentConfig()
        self.seed = int(seed)

    def expand(self, rows):
        return rows | "Augment" >> DialogueStage(STAGE, AugmentProcessor(self.config, self.seed))
