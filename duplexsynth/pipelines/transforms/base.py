"""The Beam wrapping every per-dialogue stage shares: config + seed -> processor -> DialogueStage."""

from __future__ import annotations

from typing import Any, ClassVar

import apache_beam as beam

from duplexsynth.pipelines.stage import DialogueStage


class StageTransform(beam.PTransform):
    """Stage input rows -> ``{"main": output rows, "rejects": reject rows}``.

    A subclass names its stage, its step's label, its config model and processor class; the
    transform builds the processor from ``(config, seed)`` (``config`` defaults to the model's
    defaults) and applies it to every dialogue with
    :class:`~duplexsynth.pipelines.stage.DialogueStage`, ``dialogue_concurrency`` dialogues in
    flight per worker.
    """

    stage: ClassVar[str]
    #: the label of the stage's step inside the transform
    step: ClassVar[str]
    config_class: ClassVar[type]
    processor_class: ClassVar[type]
    #: seconds between the stage's progress lines
    progress_every_s: ClassVar[float] = 10.0

    def __init__(self, config: Any = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config or self.config_class()
        self.seed = int(seed)
        self.processor = self.processor_class(self.config, self.seed)

    @property
    def dialogue_concurrency(self) -> int:
        """Dialogues in flight per worker (1: one at a time)."""
        return 1

    def expand(self, rows):
        stage = DialogueStage(
            self.stage, self.processor, self.progress_every_s, self.dialogue_concurrency
        )
        return rows | self.step >> stage
