"""Numbers in words: the one place that says how a number is spoken.

Every layer that spells numbers uses these helpers: the rules normalizer of the rewrite stage
(:mod:`duplexsynth.rewrite.numbers`, which reads whole sentences), the text an engine reads in
the synth stage (:mod:`duplexsynth.synth.textnorm`, one token at a time) and the matching of
heard words to the text in the align stage (:mod:`duplexsynth.align.textmap`). Words come from
``num2words``.

**The year rule.** A year is a whole number from 1100 to 2099 written with four digits and no
comma (:data:`YEAR_RE`, :func:`is_year`) and is read with :func:`year_words` ("nineteen ninety",
"nineteen hundred", "two thousand and five"). The rewrite normalizer, which sees the sentence,
reads such a number as a year when the context says so (a cue word such as "in" or "since", a
decade, a range, an era) and as a cardinal otherwise. The token layers, which see one token,
read every such token as a year: that is what an engine says for "1990", and what the aligner
must expect a recogniser to have heard.
"""

from __future__ import annotations

import re

from num2words import num2words

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: a four-digit number that may be a year (see the module docstring)
YEAR_RE = r"(1[1-9]\d\d|20\d\d)"
_YEAR_TOKEN = re.compile(rf"^{YEAR_RE}$")


def _clean(words: str) -> str:
    return re.sub(r"\s+", " ", words.replace(",", " ")).strip()


def is_year(digits: str) -> bool:
    """Whether ``digits`` (no comma, no sign) is a four-digit number in the year range."""
    return bool(_YEAR_TOKEN.match(digits))


def digit_words(digits: str) -> str:
    """``"042"`` -> ``"zero four two"``."""
    return " ".join(DIGIT_WORDS[int(c)] for c in digits if c.isdigit())


def int_words(s: str) -> str:
    """An integer string (commas allowed) in words, without commas; leading zeros and 16+
    digits read digit by digit."""
    s = s.replace(",", "")
    if len(s) > 1 and s.startswith("0") or len(s) > 15:
        return digit_words(s)
    return _clean(num2words(int(s)))


def number_words(s: str) -> str:
    """``"1,234.5"`` -> ``"one thousand two hundred and thirty-four point five"`` (the digits
    after the point are read one by one)."""
    s = s.replace(",", "")
    if "." in s:
        whole, frac = s.split(".", 1)
        left = int_words(whole) if whole else ""
        return f"{left} point {digit_words(frac)}".strip()
    return int_words(s)


def ordinal_words(n: int) -> str:
    """``3`` -> ``"third"``."""
    return _clean(num2words(n, to="ordinal"))


def year_words(n: int) -> str:
    """``1990`` -> ``"nineteen ninety"``."""
    return _clean(num2words(n, to="year"))


def minutes_words(minutes: int) -> str:
    """The minutes of a clock time: ``5`` -> ``"oh five"``, ``45`` -> ``"forty-five"``."""
    if minutes < 10:
        return f"oh {DIGIT_WORDS[minutes]}"
    return int_words(str(minutes))


def spell_token_number(
    digits: str, language: str = "en", *, ordinal: bool = False, years: bool = True
) -> str:
    """One number as a token layer says it, in ``language`` (``num2words``' own punctuation
    kept): ``"42"`` -> ``"forty-two"``, ``"1,234"`` -> ``"one thousand, two hundred and
    thirty-four"``, ``"3.5"`` -> ``"three point five"``, a year by the year rule (unless
    ``years`` is false: a digit run inside a word such as "mp3" is never a year).

    Raises what ``num2words`` raises for a language or number it cannot say
    (``NotImplementedError``, ``ValueError``, ``OverflowError``, ``TypeError``).
    """
    lang = language.split("-")[0].split("_")[0]
    plain = digits.replace(",", "")
    if ordinal:
        return num2words(int(plain), lang=lang, to="ordinal")
    if "." in plain:
        return num2words(float(plain), lang=lang)
    if years and "," not in digits and is_year(plain):
        return num2words(int(plain), lang=lang, to="year")
    return num2words(int(plain), lang=lang)
