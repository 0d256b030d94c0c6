"""The mix stage: turn-taking schedule and stereo mix of aligned dialogues.

Sample, then apply: :func:`~duplexsynth.mix.plan.plan_mix` draws every timing decision
(gaps, overlaps, interruptions, stop commands, backchannels) from the dialogue's RNG into a
:class:`~duplexsynth.mix.plan.MixPlan`; :func:`~duplexsynth.mix.render.render` applies
it sample-exactly (channel 0 = assistant, channel 1 = user). Plain Python, no Beam.
"""

from duplexsynth.mix.config import MixConfig
from duplexsynth.mix.mix import MixProcessor, mix_dialogue
from duplexsynth.mix.presets import PRESET_NAMES, PRESETS
from duplexsynth.mix.stats import FISHER_PER_MINUTE, dialogue_timing, summarize

__all__ = [
    "FISHER_PER_MINUTE",
    "PRESETS",
    "PRESET_NAMES",
    "MixConfig",
    "MixProcessor",
    "dialogue_timing",
    "mix_dialogue",
    "summarize",
]
