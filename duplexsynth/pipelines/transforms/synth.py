"""Beam wrapping of the synth stage (``duplexsynth.synth``)."""

from __future__ import annotations

from duplexsynth.pipelines.transforms.base import StageTransform
from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.processor import STAGE, SynthProcessor


class SynthTransform(StageTransform):
    """Rewritten dialogue rows -> ``{"main": synthesized rows, "rejects": reject rows}``.

    The voice bank is read and checked when the transform is built (a bad bank fails before the
    pipeline starts); each worker loads the engines once in ``DoFn.setup`` and shares them
    between its threads. With a served (OpenAI-compatible) engine, ``tts_concurrency``
    dialogues are in flight per worker and their requests share ``tts_concurrency`` request
    threads, so the server sees a steady stream instead of one dialogue's turns at a time. The
    user voice of a dialogue comes from ``dialogue_rng(seed, id, "synth.voice")`` and every
    utterance is cached by content, so any runner, bundling or rerun gives the same bytes.
    """

    stage, step = STAGE, "Synthesize"
    config_class, processor_class = SynthConfig, SynthProcessor

    @property
    def dialogue_concurrency(self) -> int:
        """Dialogues in flight per worker: ``tts_concurrency`` when the bank uses a served
        engine (so its slots stay busy across dialogues), else one at a time."""
        served = "openai" in self.processor.bank.backends()
        return self.config.tts_concurrency if served else 1
