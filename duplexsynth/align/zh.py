"""Chinese in the aligner: recognised text read the way the Chinese rules read the known text.

A multilingual recogniser writes Chinese numbers as digits ("45元", "35%", "2024年", "8:30")
while the turn's spoken text has them in characters (四十五元, 百分之三十五, 二零二四年, 八点半).
The aligner matches the two letter by letter (:mod:`duplexsynth.align.textmap`), so before
matching a heard Chinese token is put through the same number rules as the text
(:func:`duplexsynth.rewrite.zh.normalize_zh`): the digits become the characters the text has and
match them. English heard text is untouched.
"""

from __future__ import annotations

from functools import lru_cache

from duplexsynth.lang import has_han


def is_chinese(language: str) -> bool:
    """``zh``, ``zh-CN``, ``cmn``... (``auto`` counts: its dialogues may be Chinese)."""
    return language.split("-")[0].split("_")[0].lower() in ("zh", "cmn", "auto")


@lru_cache(maxsize=65536)
def read_heard_token(token: str) -> str:
    """``token`` with its numbers, percentages, dates and times read as the zh rules read them,
    when it is (or sits next to) Chinese or holds digits; unchanged otherwise."""
    if not any(ch.isdigit() for ch in token) or (token.isascii() and not _digits_only(token)):
        return token
    from duplexsynth.rewrite.zh import normalize_zh

    return normalize_zh(token) if has_han(token) or _digits_only(token) else token


def _digits_only(token: str) -> bool:
    return all(ch.isdigit() or ch in ",.:%％-" for ch in token.strip("，。？！,.!? "))
