"""Languages a dialogue can be spoken in, and what a *word* is in each.

duplexsynth times one word per token of a turn's ``spoken_text``. For English (and every
language written with spaces) a token is a whitespace-separated piece. Chinese has no spaces, so
a piece holding Han characters is cut into words by jieba's dictionary segmenter (``HMM=False``:
dictionary words only, so the cut of a text never depends on a statistical guess), with
punctuation attached to the word before it (``两天，``) the way English punctuation rides on its
word (``days,``), and a number written out in characters kept as one word (``二零二四年``,
``四十五元``: jieba's dictionary cuts them apart). :func:`word_tokens` is that rule; :func:`join_tokens` puts tokens back
together (no space between two CJK tokens, one space otherwise), so
``join_tokens(word_tokens(t))`` is ``t`` up to whitespace.

:func:`dialogue_language` picks the language a dialogue is voiced in: the configured one, or for
``auto`` the one its text is written in (Han characters dominate -> ``zh``, else ``en``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

#: languages with a normaliser, a voice bank and a word rule end to end
VOICED_LANGUAGES: tuple[str, ...] = ("en", "zh")
#: what ``--language`` accepts on the rewrite/synth/align stages
LANGUAGE_CHOICES: tuple[str, ...] = (*VOICED_LANGUAGES, "auto")

_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]+")
_PUNCT_ONLY_RE = re.compile(r"^[\W_]+$")
_OPENERS = frozenset("“‘「『（(《〈【[\"'")
_CJK_CHAR_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_jieba_lock = threading.Lock()
_jieba = None


def has_han(text: str | None) -> bool:
    """True when ``text`` holds at least one Han (Chinese) character."""
    return bool(text) and not text.isascii() and _HAN_RE.search(text) is not None


def _segmenter():
    """jieba's default tokenizer, built once per process (its dictionary loads in ~1 s)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


_NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两幺点")
_NUMBER_UNITS = frozenset("年月日号元度分秒岁")


def _is_numeral(tok: str) -> bool:
    return all(ch in _NUMERALS for ch in tok)


def _merge_numbers(toks: list[str]) -> list[str]:
    """Join the pieces jieba cuts a written-out number into (``二 零 二 四年`` ->
    ``二零二四年``, ``四十五 元`` -> ``四十五元``): a run of numeral tokens, plus a following
    unit (年月日号元度分秒岁) alone or fused to the run's last numerals, is one word."""
    out: list[str] = []
    for tok in toks:
        if out and _is_numeral(out[-1]):
            if _is_numeral(tok) or (
                tok[-1] in _NUMBER_UNITS and _is_numeral(tok[:-1])  # 元 / 四年
            ):
                out[-1] += tok
                continue
        out.append(tok)
    return out


@lru_cache(maxsize=65536)
def _segment_piece(piece: str) -> tuple[str, ...]:
    """One whitespace piece holding Han characters, cut into words (a written-out number is
    one word); punctuation is attached to the word before it (opening quotes/brackets to the
    word after it)."""
    out: list[str] = []
    pending = ""  # opening punctuation waiting for its word
    for tok in _merge_numbers(_segmenter().lcut(piece, HMM=False)):
        if not tok.strip():
            continue
        if _PUNCT_ONLY_RE.match(tok):
            if all(ch in _OPENERS for ch in tok) or not out:
                pending += tok
            else:
                out[-1] += tok
            continue
        out.append(pending + tok)
        pending = ""
    if pending:
        if out:
            out[-1] += pending
        else:
            out.append(pending)
    return tuple(out)


def word_tokens(text: str | None) -> list[str]:
    """The word tokens of ``text``: whitespace pieces, pieces with Han characters cut by jieba."""
    if not text:
        return []
    pieces = text.split()
    if text.isascii() or not has_han(text):
        return pieces
    out: list[str] = []
    for piece in pieces:
        if has_han(piece):
            out.extend(_segment_piece(piece))
        else:
            out.append(piece)
    return out


def _is_cjk_edge(ch: str) -> bool:
    return _CJK_CHAR_RE.match(ch) is not None


def join_tokens(tokens: Iterable[str]) -> str:
    """Tokens back into text: no space between two CJK tokens, one space otherwise."""
    out = ""
    for tok in tokens:
        if not tok:
            continue
        if out and not (_is_cjk_edge(out[-1]) and _is_cjk_edge(tok[0])):
            out += " "
        out += tok
    return out


def text_language(texts: Iterable[str | None]) -> str:
    """``zh`` when Han characters outnumber the Latin words of ``texts``, else ``en``."""
    han = latin = 0
    for t in texts:
        if not t:
            continue
        latin += len(_LATIN_WORD_RE.findall(t))
        if not t.isascii():
            han += len(_HAN_RE.findall(t))
    return "zh" if han > latin else "en"


def resolve_language(configured: str, texts: Iterable[str | None]) -> str:
    """The configured language, or for ``auto`` the one ``texts`` are written in."""
    if configured == "auto":
        return text_language(texts)
    return configured


def dialogue_language(dialogue, configured: str) -> str:
    """The language ``dialogue`` is voiced in: the configured one, or for ``auto`` the one the
    rewrite stage decided (``params["rewrite"]["language"]``), else the one its text is written
    in (spoken text when there is one, else source text; see :func:`text_language`)."""
    if configured != "auto":
        return configured
    decided = (dialogue.params or {}).get("rewrite", {}).get("language")
    if decided in VOICED_LANGUAGES:
        return decided
    return text_language(t.spoken_text or t.source_text for t in dialogue.turns)


def check_language(value: object, where: str) -> str:
    """``value`` when it is one of :data:`LANGUAGE_CHOICES`, else ``ValueError`` naming ``where``."""
    if value not in LANGUAGE_CHOICES:
        raise ValueError(
            f"{where}: unsupported language {value!r}; expected one of {', '.join(LANGUAGE_CHOICES)}"
        )
    return str(value)
