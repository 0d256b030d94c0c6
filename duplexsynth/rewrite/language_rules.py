"""The rules normaliser of each voiced language, behind one interface.

The rules path and the LLM's final pass call :func:`rules_for` with the dialogue's language
(``en`` or ``zh``; ``auto`` is resolved per dialogue before) and use the same five functions
whatever the language: normalise, trim, count words, insert fillers, find what is unspeakable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from duplexsynth.rewrite.rules import (
    RULES_VERSION,
    find_unspeakable,
    insert_fillers,
    normalize_text,
    trim_words,
    word_count,
)
from duplexsynth.rewrite.zh import (
    ZH_RULES_VERSION,
    find_unspeakable_zh,
    insert_fillers_zh,
    normalize_zh,
    trim_zh,
    word_count_zh,
)


@dataclass(frozen=True)
class LanguageRules:
    """One language's normaliser (``normalize(text, date_order)``) and its helpers."""

    language: str
    version: str
    normalize: Callable[[str, str], str]
    trim: Callable[[str, int], str]
    word_count: Callable[[str], int]
    insert_fillers: Callable[[str, Any, float], tuple[str, list[dict[str, Any]]]]
    find_unspeakable: Callable[[str], str | None]


def _normalize_en(text: str, date_order: str) -> str:
    return normalize_text(text, date_order=date_order)


def _normalize_zh(text: str, date_order: str) -> str:
    return normalize_zh(text)  # Chinese dates are written year-month-day: no order to choose


_RULES = {
    "en": LanguageRules(
        "en", RULES_VERSION, _normalize_en, trim_words, word_count, insert_fillers, find_unspeakable
    ),
    "zh": LanguageRules(
        "zh",
        ZH_RULES_VERSION,
        _normalize_zh,
        trim_zh,
        word_count_zh,
        insert_fillers_zh,
        find_unspeakable_zh,
    ),
}


def rules_for(language: str) -> LanguageRules:
    """The rules of ``language`` (``en`` or ``zh``); ``ValueError`` for any other."""
    try:
        return _RULES[language]
    except KeyError:
        raise ValueError(
            f"no rules normaliser for language {language!r}; expected one of {', '.join(_RULES)}"
        ) from None
