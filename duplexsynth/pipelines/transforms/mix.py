"""Beam wrapping of the mix stage (``duplexsynth.mix``)."""

from __future__ import annotations

from duplexsynth.mix.config import MixConfig
from duplexsynth.mix.mix import STAGE, MixProcessor
from duplexsynth.pipelines.transforms.base import StageTransform


class MixTransform(StageTransform):
    """Aligned dialogue rows -> ``{"main": mixed rows, "rejects": reject rows}``.

    Each dialogue is scheduled and mixed independently (no model to load); the plan is drawn
    from ``dialogue_rng(seed, id, "mix")`` so any runner and bundling gives the same bytes.
    """

    stage, step = STAGE, "Mix"
    config_class, processor_class = MixConfig, MixProcessor
