"""Numbers in words: the numeric passes of the rules normalizer.

:func:`normalize_numbers` runs the passes in order, most specific first, so that a date is read
as a date before its parts could be read as a range, and money before a bare number: dates,
paces, clock times, heights, years, signs, money, percentages, "per", temperatures, units,
dimensions and multipliers, ordinals, fractions, scale suffixes, ranges, dotted versions, and
finally every number left. Words come from :mod:`duplexsynth.text.numbers` (``num2words``,
English), which also holds the year rule.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from duplexsynth.rewrite.lexicon import (
    CURRENCIES,
    CURRENCY_CODE_RE,
    CURRENCY_SYMBOL_RE,
    MONTH_NAMES,
    MONTH_RE,
    MONTHS,
    PER_NAMES,
    PER_WORDS,
    SCALE_RE,
    SCALES,
    UNIT_RE,
    UNITS,
)
from duplexsynth.text.numbers import (
    YEAR_RE,
    int_words,
    minutes_words,
    number_words,
    ordinal_words,
    year_words,
)

__all__ = ["normalize_numbers"]

NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
#: an amount of money may also start with the point: "$.50"
_AMOUNT = rf"(?:{NUM}|\.\d+)"
_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)"


def _is_one(s: str) -> bool:
    try:
        return float(s.replace(",", "")) == 1.0 and "." not in s
    except ValueError:
        return False


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


@functools.cache
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _sub(pattern: str, fn: Callable[[re.Match[str]], str], text: str, flags: int = 0) -> str:
    return _compiled(pattern, flags).sub(fn, text)


_DIGIT = re.compile(r"\d")
_MONTH_WORD = re.compile(rf"(?i)\b{MONTH_RE}\b")
_MONEY_HINT = re.compile(rf"{CURRENCY_SYMBOL_RE}|\b{CURRENCY_CODE_RE}\b|¢")


def normalize_numbers(t: str, date_order: str) -> str:
    """Every number-like thing in ``t`` in words (see the module docstring for the order)."""
    if not _DIGIT.search(t):
        return _temperature(t) if "°" in t else t
    t = _dates(t, date_order)
    if ":" in t:
        t = _pace(t)
    t = _times(t)
    if "'" in t:
        t = _heights(t)
    t = _years(t)
    t = _signs(t)
    if _MONEY_HINT.search(t):
        t = _currency(t)
    if "%" in t:
        t = _percent(t)
    if "/" in t:
        t = _per(t)
    if "°" in t:
        t = _temperature(t)
    t = _units(t)
    t = _arithmetic(t)
    t = _ordinals(t)
    if "/" in t:
        t = _fractions(t)
    t = _scales(t)
    if "-" in t or "–" in t:
        t = _ranges(t)
    if "." in t:
        t = _dotted(t)
    return _cardinals(t)


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
        t = _sub(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w-]|\.\d)", iso, t)

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

    t = _sub(r"(?<![\w./-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\w/]|\.\d)", numeric, t)
    if not _MONTH_WORD.search(t):
        return t

    def month_day(m: re.Match[str]) -> str:
        mo = MONTHS[m.group(1).lower()]
        d = int(m.group(2))
        if not _day_ok(d):
            return m.group(0)
        return _date_words(mo, d, int(m.group(3)) if m.group(3) else None)

    t = _sub(
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

    t = _sub(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_RE})\b\.?(?:,?\s+(\d{{4}})\b)?",
        day_month,
        t,
        re.I,
    )
    t = _sub(
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

    return _sub(
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

    t = _sub(
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

    return _sub(r"(?<![\w:.])(\d{1,2}):([0-5]\d)(?::([0-5]\d))?(?![\w:]|\.\d)", clock, t)


def _heights(t: str) -> str:
    """5'10" -> five foot ten."""
    return _sub(
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
    t = _sub(
        r"(?<![\w,.])(1[1-9]\d0|20\d0)s\b",
        lambda m: _plural_words(year_words(int(m.group(1)))),
        t,
    )
    t = _sub(r"(?<![\w])'(\d)0s\b", lambda m: _plural_words(int_words(m.group(1) + "0")), t)
    t = _sub(
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

    t = _sub(rf"(?<![\w.,-]){_YEAR}\s?[-–]\s?(\d{{4}}|\d{{2}})(?![\w%]|\.\d|\s?%)", yrange, t)

    def cued(m: re.Match[str]) -> str:
        window = m.string[max(0, m.start() - 12) : m.start()]
        if _CUE_BEFORE.search(window):
            return year_words(int(m.group(1)))
        return m.group(0)

    return _sub(rf"(?<![\w.,]){_YEAR}\b(?![.,]\d|\s?%|\s*(?:{UNIT_RE}|{SCALE_RE})\b)", cued, t)


def _signs(t: str) -> str:
    """Signs: "-5" -> "minus 5", "+3" -> "plus 3" (a sign that stands before a number)."""
    t = re.sub(rf"(?<![\w)\].,%])-(?={CURRENCY_SYMBOL_RE}?\d)", "minus ", t)
    return re.sub(r"(?<![\w)\].,%])\+(?=\d)", "plus ", t)


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


def _currency(t: str) -> str:
    """Money: "$5" "$5.50" "$0.99" "$1.5 million" "$3k" "$5-10" "€20" "20 EUR" "USD 100" "50¢"."""
    scale = rf"(?:\s?({SCALE_RE})\b)?"

    def rng(m: re.Match[str]) -> str:
        cur = m.group(1).strip()
        sc = m.group(4)
        unit = f" {SCALES[sc]}" if sc else ""
        return (
            f"{number_words(m.group(2))} to {number_words(m.group(3))}{unit} {CURRENCIES[cur][1]}"
        )

    t = _sub(
        rf"({CURRENCY_SYMBOL_RE}|{CURRENCY_CODE_RE}\s?)({NUM})\s?(?:-|–|to)\s?(?:{CURRENCY_SYMBOL_RE})?({NUM}){scale}",
        rng,
        t,
    )
    t = _sub(
        rf"({CURRENCY_SYMBOL_RE}|\b{CURRENCY_CODE_RE}\s?)({_AMOUNT}){scale}",
        lambda m: _money(m.group(2), m.group(1).strip(), m.group(3)),
        t,
    )
    t = _sub(
        rf"(?<![\w.])({NUM}){scale}\s?({CURRENCY_SYMBOL_RE}|{CURRENCY_CODE_RE}\b)",
        lambda m: _money(m.group(1), m.group(3), m.group(2)),
        t,
    )
    t = _sub(
        r"(?<![\w.])(\d+)\s?¢",
        lambda m: f"{int_words(m.group(1))} cent{'' if m.group(1) == '1' else 's'}",
        t,
    )
    return t


def _percent(t: str) -> str:
    """Percentages: "5%" "3.5 %" "10-20%" "5 to 10%"."""
    t = _sub(
        rf"(?<![\w.])({NUM})\s?%?\s?(?:-|–|to)\s?({NUM})\s?%",
        lambda m: f"{number_words(m.group(1))} to {number_words(m.group(2))} percent",
        t,
    )
    return _sub(rf"(?<![\w.])({NUM})\s?%", lambda m: f"{number_words(m.group(1))} percent", t)


def _per(t: str) -> str:
    """Rates: "/month" after a number or unit -> " per month" ("$5/month", "mg/kg", "km/h")."""
    return _sub(
        rf"(?<=[\w%$€£¥²³])\s?/\s?({PER_WORDS})\b",
        lambda m: f" per {PER_NAMES.get(m.group(1), m.group(1))}",
        t,
    )


def _temperature(t: str) -> str:
    def deg(m: re.Match[str], num: int, unit: int) -> str:
        n = m.group(num)
        scale = {"C": " Celsius", "F": " Fahrenheit", "K": " kelvin"}.get(m.group(unit) or "", "")
        return f"{number_words(n)} degree{'' if _is_one(n) else 's'}{scale}"

    t = _sub(
        rf"(?<![\w.])({NUM})\s?°?\s?(?:-|–|to)\s?({NUM})\s?°\s?([CFK])?\b",
        lambda m: f"{number_words(m.group(1))} to {deg(m, 2, 3)}",
        t,
    )
    t = _sub(rf"(?<![\w.])({NUM})\s?°\s?([CFK])?\b", lambda m: deg(m, 1, 2), t)
    return _sub(
        r"°\s?([CF])\b", lambda m: f" degrees {'Celsius' if m.group(1) == 'C' else 'Fahrenheit'}", t
    )


def _units(t: str) -> str:
    """Units: "5 km" "1 kg" "3.5GB" "3-5 km" "20 mg per kg"; singular for exactly one."""
    end = r"(?![\w/²³])"

    def rng(m: re.Match[str]) -> str:
        return f"{number_words(m.group(1))} to {number_words(m.group(2))} {UNITS[m.group(3)][1]}"

    t = _sub(rf"(?<![\w.])({NUM})\s?(?:-|–|to)\s?({NUM})\s?({UNIT_RE}){end}", rng, t)

    def one(m: re.Match[str]) -> str:
        n, unit = m.group(1), m.group(2)
        return f"{number_words(n)} {UNITS[unit][0] if _is_one(n) else UNITS[unit][1]}"

    # "20 min. of rest": the abbreviation's dot is not a sentence end before a lower-case word
    t = _sub(rf"(?<![\w.])({NUM})\s?({UNIT_RE}){end}(?:\.(?=\s+[a-z]))?", one, t)
    return _sub(rf"\bper ({UNIT_RE}){end}", lambda m: f"per {UNITS[m.group(1)][0]}", t)


def _arithmetic(t: str) -> str:
    """Dimensions and multipliers: "2x" -> "two times", "1920x1080" -> "... by ...",
    "3 * 4" -> "... times ...", "#5" -> "number 5", "3:2" -> "three to two"."""
    t = _sub(
        rf"(?<![\w.])({NUM})\s?[x×]\s?({NUM})(?![\w.])",
        lambda m: f"{number_words(m.group(1))} by {number_words(m.group(2))}",
        t,
    )
    t = _sub(rf"(?<![\w.])({NUM})[x×](?![\w])", lambda m: f"{number_words(m.group(1))} times", t)
    t = re.sub(r"(?<=\d)\s*\*\s*(?=\d)", " times ", t)
    t = re.sub(r"#(?=\d)", "number ", t)
    return _sub(
        r"(?<![\w:.])(\d+):(\d+)(?![\w:]|\.\d)",
        lambda m: f"{int_words(m.group(1))} to {int_words(m.group(2))}",
        t,
    )


def _ordinals(t: str) -> str:
    return _sub(
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


def _fractions(t: str) -> str:
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

    t = _sub(r"(?<![\w./])(\d+)\s(\d{1,2})/(\d{1,2})(?![\w/]|\.\d)", mixed, t)

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

    return _sub(r"(?<![\w./])(\d+)/(\d+)(?![\w/]|\.\d)", simple, t)


def _scales(t: str) -> str:
    """Scale suffixes without currency: "5k" "3M" "2bn"; "a 10k race" -> "ten K race"."""
    t = _sub(
        r"(?<![\w.])(\d+)[kK](?=\s+(?:race|run|runs|races|walk|swim|event)\b)",
        lambda m: f"{int_words(m.group(1))} K",
        t,
    )
    return _sub(
        r"(?<![\w.])(" + NUM + r")\s?(k|K|M|MM|mn|B|bn|tn)\b",
        lambda m: f"{number_words(m.group(1))} {SCALES[m.group(2)]}",
        t,
    )


def _ranges(t: str) -> str:
    """Ranges: "3-5" "10–20" "3 - 5" -> "three to five"."""
    return _sub(
        rf"(?<![\w.-])({NUM})\s?[-–]\s?({NUM})(?![\w]|\.\d|-)",
        lambda m: f"{number_words(m.group(1))} to {number_words(m.group(2))}",
        t,
    )


def _dotted(t: str) -> str:
    """Versions and addresses "3.11.2" -> "three point eleven point two"."""
    return _sub(
        r"(?<![\w.])(\d+(?:\.\d+){2,})(?![\w]|\.\d)",
        lambda m: " point ".join(int_words(p) for p in m.group(1).split(".")),
        t,
    )


def _cardinals(t: str) -> str:
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

    t = _sub(r"(?<!\d)(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|(?<![\w])\.\d+", card, t)
    return t
