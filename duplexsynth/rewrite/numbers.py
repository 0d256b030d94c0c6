"""Numbers in words: the numeric passes of the rules normalizer.

:func:`normalize_numbers` runs the passes in order, most specific first, so that a date is read
as a date before its parts could be read as a range, and money before a bare number: dates,
paces, clock times, heights, years, signs, money, percentages, "per", temperatures, units,
dimensions and multipliers, ordinals, fractions, scale suffixes, ranges, dotted versions, and
finally every number left. This module holds the passes up to signs (dates, paces, clock times,
heights, years); the quantity passes from money on live in :mod:`duplexsynth.rewrite.quantities`.
Words come from :mod:`duplexsynth.text.numbers` (``num2words``, English), which also holds the
year rule.
"""

from __future__ import annotations

import re

from duplexsynth.rewrite.lexicon import (
    CURRENCY_CODE_RE,
    CURRENCY_SYMBOL_RE,
    MONTH_NAMES,
    MONTH_RE,
    MONTHS,
    SCALE_RE,
    UNIT_RE,
)
from duplexsynth.rewrite.quantities import (
    arithmetic,
    cardinals,
    currency,
    dotted,
    fractions,
    ordinals,
    per,
    percent,
    ranges,
    re_sub,
    scales,
    temperature,
    units,
)
from duplexsynth.text.numbers import (
    YEAR_RE,
    int_words,
    minutes_words,
    ordinal_words,
    year_words,
)

__all__ = ["normalize_numbers"]


def _plural_words(words: str) -> str:
    """Plural of the last number word: "nineteen ninety" -> "nineteen nineties"."""
    head, _, last = words.rpartition(" ")
    if last.endswith("y"):
        last = last[:-1] + "ies"
    elif last.endswith("x"):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}".strip()


_DIGIT = re.compile(r"\d")
_MONTH_WORD = re.compile(rf"(?i)\b{MONTH_RE}\b")
_MONEY_HINT = re.compile(rf"{CURRENCY_SYMBOL_RE}|\b{CURRENCY_CODE_RE}\b|¢")


def normalize_numbers(t: str, date_order: str) -> str:
    """Every number-like thing in ``t`` in words (see the module docstring for the order)."""
    if not _DIGIT.search(t):
        return temperature(t) if "°" in t else t
    t = _dates(t, date_order)
    if ":" in t:
        t = _pace(t)
    t = _times(t)
    if "'" in t:
        t = _heights(t)
    t = _years(t)
    t = _signs(t)
    if _MONEY_HINT.search(t):
        t = currency(t)
    if "%" in t:
        t = percent(t)
    if "/" in t:
        t = per(t)
    if "°" in t:
        t = temperature(t)
    t = units(t)
    t = arithmetic(t)
    t = ordinals(t)
    if "/" in t:
        t = fractions(t)
    t = scales(t)
    if "-" in t or "–" in t:
        t = ranges(t)
    if "." in t:
        t = dotted(t)
    return cardinals(t)


def _day_ok(d: int) -> bool:
    return 1 <= d <= 31


def _date_words(month: int, day: int | None, year: int | None, style: str = "md") -> str:
    name = MONTH_NAMES[month - 1]
    if day is None:
        core = name
    elif style == "dm":
        core = f"the {ordinal_words(day)} of {name}"
    else:
        core = f"{name} {ordinal_words(day)}"
    if year is not None:
        core += f", {year_words(year)}" if day is not None else f" {year_words(year)}"
    return core


def _full_year(y: str) -> int:
    n = int(y)
    if len(y) == 2:
        return 2000 + n if n < 50 else 1900 + n
    return n


def _dates(t: str, date_order: str) -> str:
    """ISO dates, numeric dates (order by ``date_order`` unless unambiguous), "March 5, 2024",
    "5th of March 2024", "March 2024"."""

    def iso(m: re.Match[str]) -> str:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1 <= mo <= 12 and _day_ok(d):
            return _date_words(mo, d, y)
        return m.group(0)

    if "-" in t:
        t = re_sub(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w-]|\.\d)", iso, t)

    def numeric(m: re.Match[str]) -> str:
        a, b, y = int(m.group(1)), int(m.group(3)), _full_year(m.group(4))
        mdy = date_order == "mdy"
        if a > 12 and b <= 12:
            mdy = False
        elif b > 12 and a <= 12:
            mdy = True
        mo, d = (a, b) if mdy else (b, a)
        if not (1 <= mo <= 12 and _day_ok(d)):
            return m.group(0)
        return _date_words(mo, d, y, "md" if mdy else "dm")

    t = re_sub(r"(?<![\w./-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\w/]|\.\d)", numeric, t)
    if not _MONTH_WORD.search(t):
        return t

    def month_day(m: re.Match[str]) -> str:
        mo = MONTHS[m.group(1).lower()]
        d = int(m.group(2))
        if not _day_ok(d):
            return m.group(0)
        return _date_words(mo, d, int(m.group(3)) if m.group(3) else None)

    t = re_sub(
        rf"\b({MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)(?:,?\s+(\d{{4}})\b)?",
        month_day,
        t,
        re.I,
    )

    def day_month(m: re.Match[str]) -> str:
        d = int(m.group(1))
        mo = MONTHS[m.group(2).lower()]
        if not _day_ok(d):
            return m.group(0)
        return _date_words(mo, d, int(m.group(3)) if m.group(3) else None, "dm")

    t = re_sub(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_RE})\b\.?(?:,?\s+(\d{{4}})\b)?",
        day_month,
        t,
        re.I,
    )
    t = re_sub(
        rf"\b({MONTH_RE})\.?,?\s+(\d{{4}})\b",
        lambda m: f"{MONTH_NAMES[MONTHS[m.group(1).lower()] - 1]} {year_words(int(m.group(2)))}",
        t,
        re.I,
    )
    return t


def _pace(t: str) -> str:
    """Paces: "6:00/mile" -> "six minutes per mile", "5:30/km" -> "five thirty per kilometer"."""

    def pace(m: re.Match[str]) -> str:
        mins, secs = m.group(1), m.group(2)
        unit = {"mi": "mile", "km": "kilometer"}.get(m.group(3), m.group(3))
        if int(secs) == 0:
            core = f"{int_words(mins)} minute{'' if int(mins) == 1 else 's'}"
        else:
            core = f"{int_words(mins)} {_minutes(secs)}"
        return f"{core} per {unit}"

    return re_sub(
        r"(?<![\w:.])(\d{1,2}):([0-5]\d)\s?(?:/|per\s)\s?(mile|mi|km|kilometer|lap)\b", pace, t
    )


def _minutes(mm: str) -> str:
    n = int(mm)
    return minutes_words(n) if n else ""


def _times(t: str) -> str:
    """Clock times: "3:30 PM" -> "three thirty p m", "7am" -> "seven a m", "15:45" ->
    "fifteen forty-five", "9:00" -> "nine o'clock", "1:30:15" -> "one thirty and fifteen
    seconds"."""

    def ampm(m: re.Match[str]) -> str:
        h = int(m.group(1))
        mm = m.group(2)
        suffix = "a m" if m.group(4).lower() == "a" else "p m"
        if not 0 <= h <= 12:
            return m.group(0)
        words = int_words(str(h if h else 12))
        if mm and int(mm):
            words += " " + _minutes(mm)
        rest = m.string[m.end() :]
        if m.group(0).endswith(".") and (not rest.strip() or re.match(r"\s+[A-Z]", rest)):
            suffix += "."  # the abbreviation's dot also ended the sentence
        return f"{words} {suffix}"

    t = re_sub(
        r"\b(\d{1,2})(?::([0-5]\d))?(?::([0-5]\d))?\s?([AaPp])\.?\s?[Mm]\.?(?![A-Za-z])",
        ampm,
        t,
    )

    def clock(m: re.Match[str]) -> str:
        h, mm, ss = int(m.group(1)), m.group(2), m.group(3)
        if h > 24:
            return m.group(0)
        if h == 0 and int(mm) == 0 and not ss:
            return "midnight"
        words = int_words(str(h))
        if int(mm):
            words += " " + _minutes(mm)
        elif not ss:
            words += " o'clock" if h <= 12 else " hundred"
        if ss:
            n = int(ss)
            words += f" and {int_words(ss.lstrip('0') or '0')} second{'s' if n != 1 else ''}"
        return words

    return re_sub(r"(?<![\w:.])(\d{1,2}):([0-5]\d)(?::([0-5]\d))?(?![\w:]|\.\d)", clock, t)


def _heights(t: str) -> str:
    """5'10" -> five foot ten."""
    return re_sub(
        r"\b(\d)'\s?(\d{1,2})(?:\"|'')",
        lambda m: f"{int_words(m.group(1))} foot {int_words(m.group(2))}",
        t,
    )


_YEAR = YEAR_RE
_YEAR_CUES = (
    r"in|since|by|from|until|till|of|during|before|after|circa|year|years|around|early|late|mid|"
    r"summer|winter|spring|fall|autumn|between|and|to|through|until|the|in early|in late|c\.|ca\."
)


_CUE_BEFORE = re.compile(rf"(?i)(?:^|\b)(?:{_YEAR_CUES})\s+$")


def _years(t: str) -> str:
    """Decades ("1990s", "'90s"), eras ("300 BC"), year ranges ("1990-1995", "1990-95") and
    years after a cue word ("in 1999", "since 2010") read as years."""
    t = re_sub(
        r"(?<![\w,.])(1[1-9]\d0|20\d0)s\b",
        lambda m: _plural_words(year_words(int(m.group(1)))),
        t,
    )
    t = re_sub(r"(?<![\w])'(\d)0s\b", lambda m: _plural_words(int_words(m.group(1) + "0")), t)
    t = re_sub(
        r"\b(\d{1,4})\s?(BCE|BC|CE|AD)\b",
        lambda m: f"{year_words(int(m.group(1)))} {' '.join(m.group(2))}",
        t,
    )

    def yrange(m: re.Match[str]) -> str:
        a = int(m.group(1))
        b_raw = m.group(2)
        b = int(b_raw) if len(b_raw) == 4 else (a // 100) * 100 + int(b_raw)
        if b <= a:
            return m.group(0)
        return f"{year_words(a)} to {year_words(b)}"

    t = re_sub(rf"(?<![\w.,-]){_YEAR}\s?[-–]\s?(\d{{4}}|\d{{2}})(?![\w%]|\.\d|\s?%)", yrange, t)

    def cued(m: re.Match[str]) -> str:
        window = m.string[max(0, m.start() - 12) : m.start()]
        if _CUE_BEFORE.search(window):
            return year_words(int(m.group(1)))
        return m.group(0)

    return re_sub(rf"(?<![\w.,]){_YEAR}\b(?![.,]\d|\s?%|\s*(?:{UNIT_RE}|{SCALE_RE})\b)", cued, t)


def _signs(t: str) -> str:
    """Signs: "-5" -> "minus 5", "+3" -> "plus 3" (a sign that stands before a number)."""
    t = re.sub(rf"(?<![\w)\].,%])-(?={CURRENCY_SYMBOL_RE}?\d)", "minus ", t)
    return re.sub(r"(?<![\w)\].,%])\+(?=\d)", "plus ", t)
