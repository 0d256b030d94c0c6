"""Text normalization for speech: tokens, numbers spelled out, and WER normalization.

The synth stage times one word per whitespace token of a turn's ``spoken_text``. To keep that
mapping exact, normalization works token by token: :func:`speakable_token` turns one token
("$5.50," or "3rd") into what an engine should read ("five dollars and fifty cents,", "third"),
so the engine hears readable words and every spoken word still belongs to one input token.
:func:`normalize_for_wer` puts a reference text and an ASR transcript into one comparable form
(lower case, numbers as words, no punctuation, one spelling per backchannel token).
"""

from __future__ import annotations

import re
from functools import lru_cache

from duplexsynth.lang import join_tokens, word_tokens
from duplexsynth.text.numbers import minutes_words, spell_token_number

_LEAD = re.compile(r"^[\"'“‘(\[{«]+")
_TRAIL = re.compile(r"[\"'”’)\]}».,;:!?…]+$")
_CURRENCY = re.compile(r"^([$€£])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")
_PERCENT = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)%$")
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$", re.IGNORECASE)
_NUMBER = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_MERIDIEM = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")

_CURRENCY_NAMES = {"$": ("dollar", "cent"), "€": ("euro", "cent"), "£": ("pound", "penny")}


def tokens(text: str) -> list[str]:
    """The word tokens of ``text`` (the unit of word timing everywhere in duplexsynth): its
    whitespace pieces, Chinese pieces cut into words (:func:`duplexsynth.lang.word_tokens`)."""
    return word_tokens(text)


def _cardinal(digits: str) -> str:
    return spell_token_number(digits, years=False)


def _plural(n: int, word: str) -> str:
    if n == 1:
        return word
    return "pence" if word == "penny" else word + "s"


def _spell_core(core: str) -> str:
    """Spell out the numeric part of one token; returns ``core`` unchanged when none."""
    if not any(ch.isdigit() for ch in core):
        return core.replace("&", "and")
    m = _CURRENCY.match(core)
    if m:
        unit, sub = _CURRENCY_NAMES[m.group(1)]
        whole = int(m.group(2).replace(",", ""))
        text = f"{_cardinal(str(whole))} {_plural(whole, unit)}"
        if m.group(3):
            cents = int(m.group(3).ljust(2, "0"))
            if cents:
                text += f" and {_cardinal(str(cents))} {_plural(cents, sub)}"
        return text
    m = _PERCENT.match(core)
    if m:
        return f"{_cardinal(m.group(1))} percent"
    m = _ORDINAL.match(core)
    if m:
        return spell_token_number(m.group(1), ordinal=True)
    m = _MERIDIEM.match(core)
    if m:
        hour = _cardinal(str(int(m.group(1))))
        minutes = m.group(2)
        mins = "" if not minutes or minutes == "00" else " " + minutes_words(int(minutes))
        return f"{hour}{mins} {m.group(3).lower()} m"
    m = _CLOCK.match(core)
    if m:
        hour, minutes = int(m.group(1)), int(m.group(2))
        if hour <= 24 and minutes < 60:
            tail = "o'clock" if minutes == 0 else minutes_words(minutes)
            return f"{_cardinal(str(hour))} {tail}"
    m = _NUMBER.match(core)
    if m:
        return spell_token_number(m.group(1) + (m.group(2) or ""))
    # digits mixed with other characters ("COVID-19", "3/4", "mp3"): spell each digit run
    spelled = _DIGITS.sub(lambda d: f" {_cardinal(d.group(0))} ", core)
    spelled = spelled.replace("/", " ").replace("-", " ").replace("&", " and ")
    return re.sub(r"\s+", " ", spelled).strip()


@lru_cache(maxsize=65536)
def speakable_token(token: str) -> str:
    """What an engine should read for one whitespace token; punctuation around it is kept.

    >>> speakable_token("$5.50,")
    'five dollars and fifty cents,'
    """
    lead_m = _LEAD.match(token)
    lead = lead_m.group(0) if lead_m else ""
    rest = token[len(lead) :]
    trail_m = _TRAIL.search(rest)
    trail = trail_m.group(0) if trail_m else ""
    core = rest[: len(rest) - len(trail)] if trail else rest
    if not core:
        return token
    # a trailing '.' belongs to the number when digits follow it ("5.50" is matched whole above)
    return f"{lead}{_spell_core(core)}{trail}"


def speakable(text: str) -> tuple[str, list[str]]:
    """``(text for the engine, per-token spoken forms)``; both follow ``tokens(text)`` in order.

    The engine text joins the tokens with spaces, except between two Chinese tokens (Chinese
    is written without spaces; engines such as CosyVoice read it as written)."""
    spoken = [speakable_token(t) for t in tokens(text)]
    return join_tokens(spoken), spoken


# ------------------------------------------------------------------------- WER normalization
_BACKCHANNEL_FORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:m+ ?h+m+|m+-h+m+|mhm+|mm+ hm+|hm+ mm+|m+ hmm+)\b"), "mhm"),
    (re.compile(r"\b(?:uh ?huh|uhhuh|uh-huh|uh-uh-huh|ah ?ha|aha)\b"), "uhhuh"),
    (re.compile(r"\b(?:o\.? ?k\.?|ok|okey|okay)\b"), "okay"),
    (re.compile(r"\b(?:yeah|yea|yah|ya|yep|yup)\b"), "yeah"),
    (re.compile(r"\b(?:hmm+|hm+|mm+|mmm+)\b"), "hmm"),
    (re.compile(r"\b(?:um+|uhm+|erm+|er+)\b"), "um"),
    (re.compile(r"\b(?:uh+|ah+)\b"), "uh"),
    (re.compile(r"\b(?:oh+|ooh+)\b"), "oh"),
    (re.compile(r"\b(?:wow+|whoa+)\b"), "wow"),
]


def normalize_for_wer(text: str) -> str:
    """Lower case, numbers spelled out, punctuation removed, backchannel spellings unified."""
    spoken = " ".join(speakable_token(t) for t in tokens(text))
    s = spoken.lower().replace("’", "'")
    s = re.sub(r"[-–—/]", " ", s)
    s = re.sub(r"[^\w\s']", " ", s)
    s = re.sub(r"(?<!\w)'|'(?!\w)", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    for pattern, canonical in _BACKCHANNEL_FORMS:
        s = pattern.sub(canonical, s)
    return re.sub(r"\s+", " ", s).strip()
