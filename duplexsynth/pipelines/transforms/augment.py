"""Beam wrapping of the augment stage (``duplexsynth.augment``)."""

from __future__ import annotations

from duplexsynth.augment.augmenter import STAGE
from duplexsynth.augment.config import AugmentConfig
from duplexsynth.augment.processor import AugmentProcessor
from duplexsynth.pipelines.transforms.base import StageTransform


class AugmentTransform(StageTransform):
    """Mixed dialogue rows -> ``{"main": augmented rows, "rejects": reject rows}``.

    Each worker builds the RIR library (loaded from the on-disk cache after the first run) and
    the noise-file index once in ``setup()``; every dialogue draws its parameters from
    ``dialogue_rng(seed, id, "augment/...")``, so any runner and bundling gives the same bytes.
    """

    stage, step = STAGE, "Augment"
    config_class, processor_class = AugmentConfig, AugmentProcessor
