"""Chinese in the aligner: recognised text read the way the Chinese rules read the known text.

A multilingual recogniser writes Chinese numbers as digits ("45元", "35%", "2024年", "8:30")
while the turn's spoken text has them in characters (四十五元, 百分之三十五, 二零二四年, 八点半).
The aligner matches the two letter by letter (:mod:`duplexsynth.align.textmap`), so before
matching a heard token of a Chinese turn is put through the same number rules as the text
(:func:`duplexsynth.rewrite.zh.normalize_zh`): its digits become the characters the text has.
English tokens are untouched; with ``auto`` only tokens that hold Han characters are read so.
"""

from __future__ import annotations

from functools import lru_cache

from duplexsynth.lang import has_han


def is_chinese(language: str) -> bool:
    """``zh``, ``zh-CN``, ``cmn``..."""
    return language.split("-")[0].split("_")[0].lower() in ("zh", "cmn")


def read_heard_token(token: str, language: str) -> str:
    """``token`` with its numbers, percentages, dates and times read as the zh rules read them
    when the turn is Chinese (``auto``: when the token holds Han characters); else unchanged."""
    if not any(ch.isdigit() for ch in token):
        return token
    if is_chinese(language) or (language == "auto" and has_han(token)):
        return _read(token)
    return token


@lru_cache(maxsize=65536)
def _read(token: str) -> str:
    from duplexsynth.rewrite.zh import normalize_zh

    return normalize_zh(token)
