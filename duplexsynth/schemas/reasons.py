"""Stable, machine-readable reject reason codes.

Every dropped record or dialogue carries exactly one of these in ``OUT/rejects/<stage>/``.
Codes are part of the public contract: never rename one, only add.
"""

from __future__ import annotations

from enum import Enum


class Reason(str, Enum):
    """Why a record or dialogue left the pipeline."""

    # ingestion / filter
    MALFORMED = "malformed"  # cannot be parsed or made into user-first alternating turns
    EMPTY = "empty"
    CODE = "code"
    MATH = "math"
    URL = "url"  # URLs, e-mail addresses, file paths
    TABLE = "table"
    TOO_LONG = "too_long"
    SYMBOLS = "symbols"  # rare symbols, emoji, control characters
    LANGUAGE = "language"
    DUPLICATE = "duplicate"
    # rewrite
    LLM_INVALID = "llm_invalid"
    LLM_ERROR = "llm_error"
    REWRITE_ERROR = "rewrite_error"
    # synth
    TTS_ERROR = "tts_error"
    TTS_EMPTY = "tts_empty"
    TTS_DURATION = "tts_duration"
    TTS_CLIPPING = "tts_clipping"
    TTS_UNINTELLIGIBLE = "tts_unintelligible"
    # align
    ALIGN_ERROR = "align_error"
    # mix / augment
    MIX_ERROR = "mix_error"
    AUGMENT_ERROR = "augment_error"
    # a row that does not match the input contract of a stage
    BAD_INPUT = "bad_input"
    # any unexpected exception inside a stage for one dialogue (dead letter)
    STAGE_ERROR = "stage_error"

    def __str__(self) -> str:  # so f-strings and JSON give the bare code
        return self.value


ALL_REASONS: tuple[str, ...] = tuple(r.value for r in Reason)
