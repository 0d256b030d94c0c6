"""The filter stage: corpus ingestion and the TTS-suitability filter (plain Python, no Beam).

Public API: :func:`filter_dialogue` (one dialogue -> kept prefix or reject),
:class:`FilterProcessor`, :class:`FilterConfig`, :func:`dedup_dialogues` (corpus-level
duplicates), :func:`resolve_sources`/:func:`iter_raw_records` (inputs) and :func:`parse_raw`
(one raw record -> ``Dialogue``).
"""

from __future__ import annotations

from pathlib import Path

from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.dedup import dedup_dialogues
from duplexsynth.filter.readers import ParseError, detect_format, parse_raw
from duplexsynth.filter.screen import FilterProcessor, filter_dialogue
from duplexsynth.filter.sources import iter_raw_records, resolve_sources


def sample_corpus_dir(language: str = "en") -> Path:
    """The bundled sample corpus, read when no input is given: ``duplexsynth/data/sample``, or
    for ``zh`` the Chinese one (``data/sample_zh``: Belle and Moss records)."""
    folder = "sample_zh" if language == "zh" else "sample"
    return Path(__file__).resolve().parent.parent / "data" / folder


__all__ = [
    "FilterConfig",
    "FilterProcessor",
    "ParseError",
    "dedup_dialogues",
    "detect_format",
    "filter_dialogue",
    "iter_raw_records",
    "parse_raw",
    "resolve_sources",
    "sample_corpus_dir",
]
