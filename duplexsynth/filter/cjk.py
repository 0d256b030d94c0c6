"""Chinese-aware pieces of the filter: is a turn Chinese, and does the ``auto`` target keep it.

Script counting (:mod:`duplexsynth.filter.language`) weighs letters, so a Chinese sentence that
names an English product or person ("我用 MacBook Pro 拍照") has more Latin letters than Han
characters. Chinese readers weigh it the other way: one Han character is about one syllable, one
Latin word about one or two. :func:`chinese_with_latin` compares Han characters with Latin
*words*, so Chinese text keeps its embedded English names, numbers and brand names.
"""

from __future__ import annotations

import re

_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_KANA_HANGUL_RE = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
#: the languages the ``auto`` target keeps (those with a voice bank and a normaliser)
AUTO_LANGUAGES: tuple[str, ...] = ("en", "zh")


def chinese_with_latin(text: str) -> bool:
    """True when ``text`` is Chinese that embeds Latin words: it has Han characters, no kana or
    Hangul, and at least as many Han characters as Latin words."""
    if text.isascii():
        return False
    han = len(_HAN_RE.findall(text))
    if not han or _KANA_HANGUL_RE.search(text):
        return False
    return han >= len(_LATIN_WORD_RE.findall(text))
