"""Word alignment: one timed word per token of every synthesized turn.

Backends: the TTS engine's own timings (default), faster-whisper with the bundled tiny.en, and
whisper-timestamped (optional extra). See docs/stages/align.md.
"""

from duplexsynth.align.base import Aligner, AlignmentError, AsrAligner, HeardWord, tokens_of
from duplexsynth.align.config import AlignConfig
from duplexsynth.align.processor import AlignProcessor, align_dialogue

__all__ = [
    "AlignConfig",
    "AlignProcessor",
    "Aligner",
    "AlignmentError",
    "AsrAligner",
    "HeardWord",
    "align_dialogue",
    "tokens_of",
]
