"""Per-turn TTS-suitability checks: code, math, URLs, tables, length, rare symbols, language.

Each ``find_*`` function returns a :class:`Finding` (reason code, the rule that fired, the
offending span) or ``None``. :func:`screen_text` runs the enabled checks in a fixed order and
returns the first finding, so a turn is always reported under one stable reason:

    too_long (size) -> empty -> table -> url -> code -> math -> code (symbol density) -> symbols
    -> too_long (words) -> language

The size check (characters per turn, longest token) runs first and in linear time, so a
pathological turn (one 5 MB "word") is rejected before any regex sees it.

The rules aim at text a TTS voice would read badly *and* that a rewrite can not simply repair.
Deliberately **not** rejected (the rewrite stage flattens them into prose): bulleted and numbered
lists (``-``, ``*``, ``+``, ``•``, ``1.``, ``1)``, ``a)``), markdown headings (``#`` lines and
``===``/``---`` underlines), emphasis (``**bold**``, ``_italic_``), block quotes (``>``),
horizontal rules, and prose that merely mentions code or numbers ("C++", "C#", "Node.js",
"3 + 4 apples", "$5 and $10", "24/7", "and/or", "km/h", "50%").

Speed: every rule names substrings without one of which it can not match (a character such as
``(`` or ``=``, or a keyword such as ``import``); rules are dispatched on the characters a text
holds and plain ``in`` tests skip the rest, so a regex runs only where it could match. For a
whole dialogue, :func:`screen_turns` runs the span checks once over the joined turns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.findings import Finding, snippet
from duplexsynth.filter.language import detect_other_language
from duplexsynth.filter.span_rules import (
    find_code,
    find_dense_code,
    find_math,
    find_table,
    find_url,
)
from duplexsynth.schemas.reasons import Reason

__all__ = [
    "Finding",
    "find_code",
    "find_dense_code",
    "find_empty",
    "find_language",
    "find_math",
    "find_oversize",
    "find_symbols",
    "find_table",
    "find_too_long",
    "find_url",
    "screen_text",
    "screen_turns",
    "snippet",
    "word_count",
]


# ------------------------------------------------------------------------------------ empty
_ALNUM_RE = re.compile(r"[^\W_]")


def find_empty(text: str | None) -> Finding | None:
    """Missing or blank text, or text with no letters or digits and nothing else to blame."""
    if text is None or not text.strip():
        return Finding(Reason.EMPTY.value, "empty text")
    if _ALNUM_RE.search(text) is None and find_symbols(text) is None:
        return Finding(Reason.EMPTY.value, "no words", text)
    return None


# ---------------------------------------------------------------------------------- symbols
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# characters outside the common letters, digits and punctuation of the scripts we know
_RARE_CANDIDATE_RE = re.compile(
    "[^\x00-\x7f\u00a0-\u024f\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u0e00-\u0e7f"
    "\u1100-\u11ff\u1e00-\u1fff\u2010-\u2027\u2030-\u205e\u3000-\u303f\u3040-\u30ff\u3130-\u318f"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff01-\uff5e]"
)
_ALLOWED_SYMBOLS = frozenset("°©®™№℃℉€£¥₹₩₽¢")
_ALLOWED_FORMAT = frozenset("\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff")


@lru_cache(maxsize=4096)
def _rare_kind(ch: str) -> str | None:
    """``"emoji"``/``"rare symbol"``/``"control character"`` for a character TTS can't read."""
    if ch in _ALLOWED_SYMBOLS or ch in _ALLOWED_FORMAT:
        return None
    cat = unicodedata.category(ch)
    if cat[0] in "LMNPZ" or cat == "Sc":
        return None
    cp = ord(ch)
    if 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or cp in (0x2B50, 0x2B55, 0x3030):
        return "emoji"
    if cat == "Cc":
        return "control character"
    return "rare symbol"


def find_symbols(text: str) -> Finding | None:
    """Control characters, emoji, and symbols outside letters/digits/punctuation/currency
    (box drawing, arrows, dingbats, private-use and unassigned code points)."""
    m = _CONTROL_RE.search(text)
    if m is not None:
        return Finding(Reason.SYMBOLS.value, f"control character U+{ord(m.group(0)):04X}")
    if text.isascii():
        return None
    for m in _RARE_CANDIDATE_RE.finditer(text):
        ch = m.group(0)
        kind = _rare_kind(ch)
        if kind is not None:
            return Finding(Reason.SYMBOLS.value, f"{kind} U+{ord(ch):04X}", ch)
    return None


# --------------------------------------------------------------------------------- too_long
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def word_count(text: str) -> int:
    """Whitespace-separated tokens; each Han/kana/Hangul character counts as one word."""
    n = len(text.split())
    if not text.isascii():
        n += len(_CJK_RE.findall(text))
    return n


_TOKEN_RE = re.compile(r"\S+")


def find_oversize(text: str | None, max_chars: int, max_token_chars: int) -> Finding | None:
    """More than ``max_chars`` characters, or a token (run of non-space) over ``max_token_chars``.

    Linear in the text and regex-free in the common case; the detail carries the measurement.
    """
    if text is None:
        return None
    n = len(text)
    if n > max_chars:
        return Finding(Reason.TOO_LONG.value, f"too_long {n} characters > {max_chars}")
    if n <= max_token_chars:
        return None
    if max(map(len, text.split()), default=0) <= max_token_chars:
        return None
    for m in _TOKEN_RE.finditer(text):
        token = m.group(0)
        if len(token) <= max_token_chars:
            continue
        # Han/kana/Hangul are written without spaces: each character is a word of its own
        n = len(token) if token.isascii() else len(token) - len(_CJK_RE.findall(token))
        if n > max_token_chars:
            return Finding(
                Reason.TOO_LONG.value,
                f"too_long token of {n} characters > {max_token_chars}",
                token[:40],
            )
    return None


def find_too_long(text: str, max_words: int) -> Finding | None:
    """More than ``max_words`` words in the turn."""
    n = word_count(text)
    if n > max_words:
        return Finding(Reason.TOO_LONG.value, f"too_long {n} words > {max_words}")
    return None


# --------------------------------------------------------------------------------- language
def find_language(text: str, target: str, min_words: int) -> Finding | None:
    """Text in another language than ``target`` (see :mod:`duplexsynth.filter.language`)."""
    other = detect_other_language(text, target, min_words)
    if other is None:
        return None
    return Finding(Reason.LANGUAGE.value, f"language '{other}' (target '{target}')", text)


# ---------------------------------------------------------------------------------- screen
def _span_checks(text: str, on: Sequence[str]) -> Finding | None:
    """The checks that look for an offending span (all but empty, too_long and language)."""
    chars = frozenset(text)
    if "table" in on and (found := find_table(text, chars)) is not None:
        return found
    if "url" in on and (found := find_url(text, chars)) is not None:
        return found
    if "code" in on and (found := find_code(text, chars)) is not None:
        return found
    if "math" in on and (found := find_math(text, chars)) is not None:
        return found
    if "code" in on and (found := find_dense_code(text)) is not None:
        return found
    if "symbols" in on and (found := find_symbols(text)) is not None:
        return found
    return None


def _turn_checks(text: str, config: FilterConfig) -> Finding | None:
    """The checks that need the turn on its own: too_long and language."""
    on = config.checks
    if "too_long" in on and (found := find_too_long(text, config.max_words_per_turn)) is not None:
        return found
    if "language" in on and config.language != "any":
        return find_language(text, config.language, config.language_min_words)
    return None


def _size_check(text: str | None, config: FilterConfig) -> Finding | None:
    if "too_long" not in config.checks:
        return None
    return find_oversize(text, config.max_chars_per_turn, config.max_token_chars)


def screen_text(text: str | None, config: FilterConfig) -> Finding | None:
    """The first finding of the enabled checks, in the order of the module docstring."""
    found = _size_check(text, config) or find_empty(text)
    if found is not None:
        return found
    return _span_checks(text, config.checks) or _turn_checks(text, config)


def screen_turns(texts: Sequence[str | None], config: FilterConfig) -> tuple[int, Finding] | None:
    """The first turn with a finding and that finding (as :func:`screen_text` per turn), or None.

    Fast path: the span checks run once over the turns joined by newlines. No rule can lose a
    match across a newline boundary (patterns either stop at newlines or treat them like the
    start/end of the text), so no span finding there means none in any turn, and only the empty,
    too_long and language checks remain per turn. A span finding there (possibly one that spans
    two turns) falls back to screening turn by turn.
    """
    for i, text in enumerate(texts):
        found = _size_check(text, config)
        if found is not None:
            texts = texts[:i]  # nothing after the oversized turn is screened (or kept)
            hit: tuple[int, Finding] | None = (i, found)
            break
    else:
        hit = None
    return _screen_sized(texts, config) or hit


def _screen_sized(texts: Sequence[str | None], config: FilterConfig) -> tuple[int, Finding] | None:
    """:func:`screen_turns` over turns that passed the size check."""
    if all(find_empty(t) is None for t in texts):
        joined = "\n".join(t for t in texts if t is not None)
        if _span_checks(joined, config.checks) is None:
            for i, text in enumerate(texts):
                found = _turn_checks(text or "", config)
                if found is not None:
                    return i, found
            return None
    for i, text in enumerate(texts):
        found = screen_text(text, config)
        if found is not None:
            return i, found
    return None
