"""Beam wrapping of the align stage (``duplexsynth.align``)."""

from __future__ import annotations

import apache_beam as beam

from duplexsynth.align.config import AlignConfig
from duplexsynth.align.processor import STAGE, AlignProcessor
from duplexsynth.pipelines.stage import DialogueStage


class AlignTransform(beam.PTransform):
    """Synthesized dialogue rows -> ``{"main": aligned rows, "rejects": reject rows}``.

    Each worker loads its recogniser once (``DoFn.setup``; with the ``tts`` backend only when a
    turn needs the fallback). Transcriptions are cached by content, so reruns recognise nothing
    twice and give the same bytes.
    """

    def __init__(self, config: AlignConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config or AlignConfig()
        self.seed = int(seed)
        self.processor = AlignProcessor(self.config, self.seed)

    def expand(self, rows):
        return rows | "Align" >> DialogueStage(STAGE, self.processor)
