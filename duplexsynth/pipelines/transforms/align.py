"""Beam wrapping of the align stage (``duplexsynth.align``)."""

from __future__ import annotations

from duplexsynth.align.config import AlignConfig
from duplexsynth.align.processor import STAGE, AlignProcessor
from duplexsynth.pipelines.transforms.base import StageTransform


class AlignTransform(StageTransform):
    """Synthesized dialogue rows -> ``{"main": aligned rows, "rejects": reject rows}``.

    Each worker loads its recogniser once (``DoFn.setup``; with the ``tts`` backend only when a
    turn needs the fallback). Transcriptions are cached by content, so reruns recognise nothing
    twice and give the same bytes.
    """

    stage, step = STAGE, "Align"
    config_class, processor_class = AlignConfig, AlignProcessor
