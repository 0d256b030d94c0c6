"""Quantities in words: the numeric passes of the rules normalizer after dates and times.

Money, percentages, "per", temperatures, units, dimensions and multipliers, ordinals, fractions,
scale suffixes, ranges, dotted versions, and finally every number left; each pass's docstring
names what it handles. :func:`duplexsynth.rewrite.numbers.normalize_numbers` runs them in that
order. Words come from :mod:`duplexsynth.text.numbers`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from duplexsynth.rewrite.lexicon import (
    CURRENCIES,
    CURRENCY_CODE_RE,
    CURRENCY_SYMBOL_RE,
    PER_NAMES,
    PER_WORDS,
    SCALE_RE,
    SCALES,
    UNIT_RE,
    UNITS,
)
from duplexsynth.text.numbers import int_words, number_words, ordinal_words

NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
#: an amount of money may also start with the point: "$.50"
_AMOUNT = rf"(?:{NUM}|\.\d+)"


def _is_one(s: str) -> bool:
    try:
        return float(s.replace(",", "")) == 1.0 and "." not in s
    except ValueError:
        return False


@functools.cache
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def re_sub(pattern: str, fn: Callable[[re.Match[str]], str], text: str, flags: int = 0) -> str:
    return _compiled(pattern, flags).sub(fn, text)


def _money(amount: str, cur: str, scale: str | None) -> str:
    one, many, minor_one, minor_many = CURRENCIES[cur]
    if scale:
        return f"{number_words(amount)} {SCALES[scale]} {many}"
    clean = amount.replace(",", "")
    whole, _, frac = clean.partition(".")
    if frac and len(frac) > 2 or (frac and minor_one is None):
        return f"{number_words(amount)} {many}"
    cents = int((frac + "0")[:2]) if frac else 0
    whole_n = int(whole) if whole else 0
    parts = []
    if whole_n or not cents:
        parts.append(f"{int_words(whole or '0')} {one if whole_n == 1 else many}")
    if cents:
        parts.append(f"{int_words(str(cents))} {minor_one if cents == 1 else minor_many}")
    return " and ".join(parts)


def currency(t: str) -> str:
    """Money: "$5" "$5.50" "$0.99" "$1.5 million" "$3k" "$5-10" "€20" "20 EUR" "USD 100" "50¢"."""
    scale = rf"(?:\s?({SCALE_RE})\b)?"

    def rng(m: re.Match[str]) -> str:
        cur = m.group(1).strip()
        sc = m.group(4)
        unit = f" {SCALES[sc]}" if sc else ""
        return (
            f"{number_words(m.group(2))} to {number_words(m.group(3))}{unit} {CURRENCIES[cur][1]}"
        )

    t = re_sub(
        rf"({CURRENCY_SYMBOL_RE}|{CURRENCY_CODE_RE}\s?)({NUM})\s?(?:-|–|to)\s?(?:{CURRENCY_SYMBOL_RE})?({NUM}){scale}",
        rng,
        t,
    )
    t = re_sub(
        rf"({CURRENCY_SYMBOL_RE}|\b{CURRENCY_CODE_RE}\s?)({_AMOUNT}){scale}",
        lambda m: _money(m.group(2), m.group(1).strip(), m.group(3)),
        t,
    )
    t = re_sub(
        rf"(?<![\w.])({NUM}){scale}\s?({CURRENCY_SYMBOL_RE}|{CURRENCY_CODE_RE}\b)",
        lambda m: _money(m.group(1), m.group(3), m.group(2)),
        t,
    )
    t = re_sub(
        r"(?<![\w.])(\d+)\s?¢",
        lambda m: f"{int_words(m.group(1))} cent{'' if m.group(1) == '1' else 's'}",
        t,
    )
    return t


def _two_numbers(word: str, after: str = "") -> Callable[[re.Match[str]], str]:
    """The replacement "<first number> <word> <second number><after>" ("three to five")."""
    return lambda m: f"{number_words(m.group(1))} {word} {number_words(m.group(2))}{after}"


def percent(t: str) -> str:
    """Percentages: "5%" "3.5 %" "10-20%" "5 to 10%"."""
    t = re_sub(
        rf"(?<![\w.])({NUM})\s?%?\s?(?:-|–|to)\s?({NUM})\s?%",
        _two_numbers("to", " percent"),
        t,
    )
    return re_sub(rf"(?<![\w.])({NUM})\s?%", lambda m: f"{number_words(m.group(1))} percent", t)


def per(t: str) -> str:
    """Rates: "/month" after a number or unit -> " per month" ("$5/month", "mg/kg", "km/h")."""
    return re_sub(
        rf"(?<=[\w%$€£¥²³])\s?/\s?({PER_WORDS})\b",
        lambda m: f" per {PER_NAMES.get(m.group(1), m.group(1))}",
        t,
    )


def temperature(t: str) -> str:
    def deg(m: re.Match[str], num: int, unit: int) -> str:
        n = m.group(num)
        scale = {"C": " Celsius", "F": " Fahrenheit", "K": " kelvin"}.get(m.group(unit) or "", "")
        return f"{number_words(n)} degree{'' if _is_one(n) else 's'}{scale}"

    t = re_sub(
        rf"(?<![\w.])({NUM})\s?°?\s?(?:-|–|to)\s?({NUM})\s?°\s?([CFK])?\b",
        lambda m: f"{number_words(m.group(1))} to {deg(m, 2, 3)}",
        t,
    )
    t = re_sub(rf"(?<![\w.])({NUM})\s?°\s?([CFK])?\b", lambda m: deg(m, 1, 2), t)
    return re_sub(
        r"°\s?([CF])\b", lambda m: f" degrees {'Celsius' if m.group(1) == 'C' else 'Fahrenheit'}", t
    )


def units(t: str) -> str:
    """Units: "5 km" "1 kg" "3.5GB" "3-5 km" "20 mg per kg"; singular for exactly one."""
    end = r"(?![\w/²³])"

    def rng(m: re.Match[str]) -> str:
        return f"{number_words(m.group(1))} to {number_words(m.group(2))} {UNITS[m.group(3)][1]}"

    t = re_sub(rf"(?<![\w.])({NUM})\s?(?:-|–|to)\s?({NUM})\s?({UNIT_RE}){end}", rng, t)

    def one(m: re.Match[str]) -> str:
        n, unit = m.group(1), m.group(2)
        return f"{number_words(n)} {UNITS[unit][0] if _is_one(n) else UNITS[unit][1]}"

    # "20 min. of rest": the abbreviation's dot is not a sentence end before a lower-case word
    t = re_sub(rf"(?<![\w.])({NUM})\s?({UNIT_RE}){end}(?:\.(?=\s+[a-z]))?", one, t)
    return re_sub(rf"\bper ({UNIT_RE}){end}", lambda m: f"per {UNITS[m.group(1)][0]}", t)


def arithmetic(t: str) -> str:
    """Dimensions and multipliers: "2x" -> "two times", "1920x1080" -> "... by ...",
    "3 * 4" -> "... times ...", "#5" -> "number 5", "3:2" -> "three to two"."""
    t = re_sub(
        rf"(?<![\w.])({NUM})\s?[x×]\s?({NUM})(?![\w.])",
        _two_numbers("by"),
        t,
    )
    t = re_sub(rf"(?<![\w.])({NUM})[x×](?![\w])", lambda m: f"{number_words(m.group(1))} times", t)
    t = re.sub(r"(?<=\d)\s*\*\s*(?=\d)", " times ", t)
    t = re.sub(r"#(?=\d)", "number ", t)
    return re_sub(
        r"(?<![\w:.])(\d+):(\d+)(?![\w:]|\.\d)",
        lambda m: f"{int_words(m.group(1))} to {int_words(m.group(2))}",
        t,
    )


def ordinals(t: str) -> str:
    return re_sub(
        r"(?<![\w.])(\d{1,3}(?:,\d{3})*|\d+)(st|nd|rd|th)\b",
        lambda m: ordinal_words(int(m.group(1).replace(",", ""))),
        t,
        re.I,
    )


def _fraction_words(num: int, den: int) -> str:
    if den == 2:
        noun = "half" if num == 1 else "halves"
    elif den == 4:
        noun = "quarter" if num == 1 else "quarters"
    else:
        noun = ordinal_words(den) + ("" if num == 1 else "s")
    return f"{int_words(str(num))} {noun}"


def fractions(t: str) -> str:
    """Fractions: "1 1/2" -> "one and a half", "3/4" -> "three quarters", "17/23" -> "seventeen over
    twenty-three", "24/7" -> "twenty-four seven"."""

    def mixed(m: re.Match[str]) -> str:
        whole, num, den = m.group(1), int(m.group(2)), int(m.group(3))
        if not 2 <= den <= 16 or num >= den:
            return m.group(0)
        frac = "a half" if (num, den) == (1, 2) else _fraction_words(num, den)
        if (num, den) == (1, 4):
            frac = "a quarter"
        return f"{int_words(whole)} and {frac}"

    t = re_sub(r"(?<![\w./])(\d+)\s(\d{1,2})/(\d{1,2})(?![\w/]|\.\d)", mixed, t)

    def simple(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        if (a, b) == ("24", "7"):
            return "twenty-four seven"
        num, den = int(a), int(b)
        if den == 0:
            return f"{int_words(a)} over zero"
        if 2 <= den <= 16 and num < 100:
            return _fraction_words(num, den)
        return f"{number_words(a)} over {number_words(b)}"

    return re_sub(r"(?<![\w./])(\d+)/(\d+)(?![\w/]|\.\d)", simple, t)


def scales(t: str) -> str:
    """Scale suffixes without currency: "5k" "3M" "2bn"; "a 10k race" -> "ten K race"."""
    t = re_sub(
        r"(?<![\w.])(\d+)[kK](?=\s+(?:race|run|runs|races|walk|swim|event)\b)",
        lambda m: f"{int_words(m.group(1))} K",
        t,
    )
    return re_sub(
        r"(?<![\w.])(" + NUM + r")\s?(k|K|M|MM|mn|B|bn|tn)\b",
        lambda m: f"{number_words(m.group(1))} {SCALES[m.group(2)]}",
        t,
    )


def ranges(t: str) -> str:
    """Ranges: "3-5" "10–20" "3 - 5" -> "three to five"."""
    return re_sub(
        rf"(?<![\w.-])({NUM})\s?[-–]\s?({NUM})(?![\w]|\.\d|-)",
        _two_numbers("to"),
        t,
    )


def dotted(t: str) -> str:
    """Versions and addresses "3.11.2" -> "three point eleven point two"."""
    return re_sub(
        r"(?<![\w.])(\d+(?:\.\d+){2,})(?![\w]|\.\d)",
        lambda m: " point ".join(int_words(p) for p in m.group(1).split(".")),
        t,
    )


def cardinals(t: str) -> str:
    """Every number left: "42" "1,234" "3.14" ".5"; digits glued to letters get spaces ("B2B")."""

    def card(m: re.Match[str]) -> str:
        s = m.group(0)
        before = m.string[m.start() - 1] if m.start() else " "
        after = m.string[m.end()] if m.end() < len(m.string) else " "
        words = number_words(s)
        if before.isalpha():
            words = " " + words
        if after.isalpha():
            words += " "
        return words

    t = re_sub(r"(?<!\d)(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|(?<![\w])\.\d+", card, t)
    return t
