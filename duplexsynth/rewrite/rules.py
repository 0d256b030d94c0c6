"""The offline spoken-style normalizer (English).

``normalize_text`` turns written chat text into words a TTS engine can say: markdown is
stripped, lists become spoken enumerations, parentheticals are smoothed into the sentence,
abbreviations are expanded, and every number-like thing (money, percentages, dates, times,
years, ranges, fractions, ordinals, decimals, units, phone numbers, versions) is written out in
words with ``num2words``; symbols become words. ``find_unspeakable`` checks the result: no digits,
no markdown, no URLs, nothing a TTS would read as noise. The same function is the final pass
after the LLM. ``insert_fillers`` adds seeded disfluencies to user turns and ``trim_words`` cuts
long turns at sentence boundaries.

Passes run in a fixed order: prepare (Unicode, quotes, dashes), markdown blocks and lists,
inline markdown (both :mod:`duplexsynth.rewrite.markdown`), e-mails/URLs/phone numbers,
abbreviations, parentheticals, numbers (:mod:`duplexsynth.rewrite.numbers` and
:mod:`duplexsynth.rewrite.quantities`), symbols, tidy. Each pass's docstring names what it
handles. Bump :data:`RULES_VERSION` whenever the output for some input changes.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from duplexsynth.rewrite.lexicon import ABBREVIATIONS, COMMON_STARTERS, FILLERS, NUMBER_STARTERS
from duplexsynth.rewrite.markdown import inline_markdown, markdown_blocks
from duplexsynth.rewrite.numbers import normalize_numbers
from duplexsynth.text.numbers import digit_words, ordinal_words

RULES_VERSION = "rules-2"
#: (lower-case trigger, compiled pattern, replacement): a pattern runs only if its trigger is there
_ABBREVIATIONS = [(trigger, re.compile(p), r) for trigger, p, r in ABBREVIATIONS]

# ----------------------------------------------------------------------------- public API


def normalize_text(text: str, *, date_order: str = "mdy") -> str:
    """Spoken-style version of ``text`` (see the module docstring). Never raises on odd input."""
    if not text:
        return ""
    t = _prepare(text)
    t = markdown_blocks(t)
    t = inline_markdown(t)
    t = _contacts(t)
    t = _abbreviations(t)
    t = _parentheticals(t)
    t = normalize_numbers(t, date_order)
    t = _symbols(t)
    return _tidy(t)


#: a URL with a scheme or "www.", or any dotted token (checked for a known TLD by _is_url);
#: the possessive ``++`` keeps long dotted text linear
_URL_RE = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)++(?:/\S*)?")
_TLDS = frozenset(
    "com org net edu gov io ai co uk de fr info dev app ly me us ca au html htm php".split()
)


def _is_url(token: str) -> bool:
    if re.match(r"(?i)(?:https?://|ftp://|www\.)", token):
        return True
    host = token.split("/", 1)[0]
    return host.rsplit(".", 1)[-1].lower() in _TLDS and not host.replace(".", "").isdigit()


#: cheap pre-checks before the expensive patterns
_URL_HINT = re.compile(r"(?i)://|www\.|\w\.[a-z]")
_PHONE_HINT = re.compile(r"\d{3}")
_PLAIN_ASCII = re.compile(r"[A-Za-z \t.,!?;:'\"()-]*")
_ALLOWED_PUNCT = set(".,!?;:'\"-()")


def find_unspeakable(text: str) -> str | None:
    """Why ``text`` is not fit for a TTS engine (digits, markdown, URL, symbol, empty), or None."""
    if not text or not text.strip():
        return "empty text"
    if not any(ch.isalpha() for ch in text):
        return f"no words in {_clip(text)!r}"
    m = re.search(r"\d", text)
    if m:
        return f"digit {m.group()!r} left in {_context(text, m.start())!r}"
    for m in _URL_RE.finditer(text):
        if _is_url(m.group()):
            return f"URL {m.group()!r} left"
    if _PLAIN_ASCII.fullmatch(text):
        return None
    for i, ch in enumerate(text):
        if ch.isalpha() or ch.isspace() or ch in _ALLOWED_PUNCT:
            continue
        if unicodedata.category(ch).startswith("M"):
            continue
        kind = "markdown" if ch in "*#_`|[]{}<>~^=" else "symbol"
        return f"{kind} {ch!r} left in {_context(text, i)!r}"
    return None


def word_count(text: str) -> int:
    """Words in ``text`` (contractions and hyphenated words count once)."""
    return len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text or ""))


def split_sentences(text: str) -> list[str]:
    """Sentences of already-normalized text (split after . ! ? followed by a space)."""
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return [p for p in parts if p]


def trim_words(text: str, max_words: int) -> str:
    """Whole sentences of ``text`` within ``max_words`` words (at least one sentence).

    A first sentence longer than the cap is cut at its last clause boundary (comma, semicolon,
    colon) inside the cap; with no boundary there it is kept whole rather than cut mid-clause.
    """
    if word_count(text) <= max_words:
        return text
    kept, total = leading_sentences(split_sentences(text), word_count, max_words)
    if len(kept) == 1 and total > max_words:
        return _cut_clause(kept[0], max_words)
    return " ".join(kept)


def leading_sentences(
    sentences: Iterable[str], count: Callable[[str], int], max_words: int
) -> tuple[list[str], int]:
    """The first ``sentences`` that fit in ``max_words`` words by ``count`` (at least one, even a
    longer one), and their words; it stops once the cap is reached. Shared by every language."""
    kept: list[str] = []
    total = 0
    for sentence in sentences:
        n = count(sentence)
        if kept and total + n > max_words:
            break
        kept.append(sentence)
        total += n
        if total >= max_words:
            break
    return kept, total


def insert_fillers(text: str, rng: Any, rate: float) -> tuple[str, list[dict[str, Any]]]:
    """Seeded disfluencies: a filler opens a sentence with probability ``rate``, a mid-sentence
    "um"/"uh" after a word with probability ``rate / 2`` (sentences of five words or more).

    ``rng`` is the dialogue's ``numpy.random.Generator``; exactly four draws per sentence, so the
    stream never shifts. Returns the text and what was inserted (for ``params``).
    """
    out: list[str] = []
    inserted: list[dict[str, Any]] = []
    for si, sentence in enumerate(split_sentences(text)):
        u_start, u_mid = float(rng.random()), float(rng.random())
        pick, pos_u = int(rng.integers(0, len(FILLERS))), float(rng.random())
        words = sentence.split(" ")
        if u_mid < rate / 2 and len(words) >= 5:
            at = 2 + int(pos_u * (len(words) - 3))  # after word at-1, never first/last two
            hes = "um" if pick % 2 == 0 else "uh"
            left = words[at - 1].rstrip(",")
            if not re.search(r"[.!?;:]$", left):
                words[at - 1] = f"{left},"
                words.insert(at, f"{hes},")
                inserted.append({"sentence": si, "filler": hes, "after_word": at})
        sentence = " ".join(words)
        if u_start < rate:
            filler = FILLERS[pick]
            sentence = f"{filler[0].upper()}{filler[1:]}, {_decap(sentence)}"
            inserted.append({"sentence": si, "filler": filler, "after_word": 0})
        out.append(sentence)
    return " ".join(out), inserted


# --------------------------------------------------------------------------------- helpers
def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _context(text: str, i: int, width: int = 25) -> str:
    lo, hi = max(0, i - width), min(len(text), i + width)
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


def _decap(sentence: str) -> str:
    """Lower-case a sentence's first word if it is a common starter ("What" -> "what")."""
    m = re.match(r"([A-Z][a-z']*)(.*)", sentence, re.S)
    if m and m.group(1).lower() in COMMON_STARTERS and m.group(1) not in ("I", "I'm"):
        return m.group(1).lower() + m.group(2)
    return sentence


def _cut_clause(sentence: str, max_words: int) -> str:
    best = None
    for m in re.finditer(r"[,;:](?=\s)", sentence):
        if word_count(sentence[: m.start()]) <= max_words:
            best = m.start()
    if best is None or word_count(sentence[:best]) < 3:
        return sentence
    return sentence[:best].rstrip() + "."


def _sub(pattern: str, fn: Callable[[re.Match[str]], str], text: str, flags: int = 0) -> str:
    return re.sub(pattern, fn, text, flags=flags)


# ------------------------------------------------------------------------------ 1. prepare
_VULGAR = {
    "½": "1/2",
    "⅓": "1/3",
    "⅔": "2/3",
    "¼": "1/4",
    "¾": "3/4",
    "⅕": "1/5",
    "⅖": "2/5",
    "⅗": "3/5",
    "⅘": "4/5",
    "⅙": "1/6",
    "⅚": "5/6",
    "⅛": "1/8",
    "⅜": "3/8",
    "⅝": "5/8",
    "⅞": "7/8",
}
_TRANSLATE = str.maketrans(
    {
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\t": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\u00ad": "",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "−": "-",
        "…": "...",
        "⁄": "/",
        "′": "'",
        "″": '"',
        "\r": "\n",
    }
)


_VULGAR_RE = re.compile(r"(\d)?([½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])")


def _prepare(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    text = text.translate(_TRANSLATE)
    if _VULGAR_RE.search(text):
        text = _VULGAR_RE.sub(
            lambda m: (f"{m.group(1)} " if m.group(1) else "") + _VULGAR[m.group(2)], text
        )
    if not text.replace("\n", "").isprintable():  # drop control/format characters (not newlines)
        text = "".join(
            ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf")
        )
    return text


# ------------------------------------------------------------- 4. URLs, e-mails, phone numbers
def _spoken_host_path(s: str) -> str:
    s = re.sub(r"(?i)^(?:https?|ftp)://", "", s)
    s = re.sub(r"(?i)^www\.", "", s)
    s = re.split(r"[?#]", s, maxsplit=1)[0].rstrip("/")
    s = s.replace(".", " dot ").replace("/", " slash ").replace("-", " dash ")
    s = s.replace("_", " underscore ").replace(":", " colon ").replace("~", " tilde ")
    s = s.replace("=", " equals ").replace("&", " and ").replace("%", " percent ")
    return re.sub(r"\s+", " ", s).strip()


def _contacts(t: str) -> str:
    """E-mails ("ann at example dot com"), URLs (host and path, no scheme/query), phone numbers
    digit by digit in groups."""
    if "@" in t:
        t = _sub(
            r"\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b",
            lambda m: f"{_spoken_host_path(m.group(1))} at {_spoken_host_path(m.group(2))}",
            t,
        )

    def url(m: re.Match[str]) -> str:
        raw = m.group(0)
        if not _is_url(raw):
            return raw
        trail = re.search(r"[.,;:!?)\]'\"]+$", raw)
        core = raw[: trail.start()] if trail else raw
        return _spoken_host_path(core) + (trail.group(0) if trail else "")

    if _URL_HINT.search(t):
        t = _URL_RE.sub(url, t)
    if not _PHONE_HINT.search(t):
        return t
    t = _sub(
        r"(?<![\w+])(?:\+?(1)[\s.-])?\(?(\d{3})\)?[\s.-](\d{3})[.-](\d{4})\b",
        lambda m: ", ".join(digit_words(g) for g in m.groups() if g),
        t,
    )
    return t


# ------------------------------------------------------------------------ 5. abbreviations
def _abbreviations(t: str) -> str:
    """Common abbreviations ("e.g.", "Dr.", "No. 5", "approx.") to words; a replacement is
    capitalised only at the start of a sentence."""
    low = t.lower()
    for trigger, rx, replacement in _ABBREVIATIONS:
        if trigger in low:
            t = rx.sub(lambda m, r=replacement: _match_case(m, r), t)
    return t


def _match_case(m: re.Match[str], replacement: str) -> str:
    before = m.string[: m.start()].rstrip()
    sentence_start = not before or before[-1] in ".!?"
    if sentence_start and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement


# ---------------------------------------------------------------------- 6. parentheticals
def _parentheticals(t: str) -> str:
    """Inline "(1) ... (2) ..." markers to ordinals; citations "[3]" out; "(x)" and "[x]" become
    ", x," so the sentence reads on."""
    if re.search(r"\(1\)", t) and re.search(r"\(2\)", t):
        t = _sub(r"\((\d{1,2})\)\s*", lambda m: ordinal_words(int(m.group(1))) + ", ", t)
    t = re.sub(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]", "", t)
    for _ in range(2):  # one level of nesting
        t = _sub(r"\s*\(([^()]*)\)", _paren, t)
        t = _sub(r"\s*\[([^\[\]]*)\]", _paren, t)
    return t


def _paren(m: re.Match[str]) -> str:
    inner = m.group(1).strip().strip(",;")
    if not inner or re.fullmatch(r"[\W_]*", inner):
        return ""
    return f", {inner},"


# ----------------------------------------------------------------------------- 8. symbols
#: (characters that trigger the pattern, pattern, replacement), applied in order
_SYMBOL_WORDS: list[tuple[str, str, str]] = [
    ("&", r"\s*&\s*", " and "),
    ("@", r"\s*@\s*", " at "),
    ("≠", r"\s*≠\s*", " is not equal to "),
    ("≤", r"\s*≤\s*", " less than or equal to "),
    ("≥", r"\s*≥\s*", " greater than or equal to "),
    ("<", r"\s*<=\s*", " less than or equal to "),
    (">", r"\s*>=\s*", " greater than or equal to "),
    ("<", r"\s*<\s*", " less than "),
    (">", r"\s*>\s*", " greater than "),
    ("=", r"\s*==?\s*", " equals "),
    ("≈", r"\s*≈\s*", " approximately "),
    ("~", r"~\s*(?=\w)", "about "),
    ("±", r"\s*±\s*", " plus or minus "),
    ("+", r"\s*\+\s*", " plus "),
    ("×", r"\s*×\s*", " times "),
    ("÷", r"\s*÷\s*", " divided by "),
    ("^", r"\s*\^\s*", " to the power of "),
    ("²", r"²", " squared"),
    ("³", r"³", " cubed"),
    ("%", r"\s*%", " percent"),
    ("‰", r"\s*‰", " per mille"),
    ("°", r"\s*°", " degrees"),
    ("§", r"§\s*", " section "),
    ("¶", r"¶\s*", " paragraph "),
    ("©", r"©\s*", " copyright "),
    ("®™℠", r"[®™℠]", ""),
    ("→⇒⟶", r"\s*[→⇒⟶]\s*", " to "),
    ("←", r"\s*←\s*", " from "),
    ("↑", r"↑", " up "),
    ("↓", r"↓", " down "),
    ("•·●▪◦‣|", r"\s*[•·●▪◦‣|]\s*", ", "),
    ("-–—", r"\s+[-–—]+\s+|—|--", ", "),
    ("–", r"(?<=[A-Za-z])–(?=[A-Za-z])", " to "),
    ("–", r"–", ", "),
    ("\\", r"\s*\\\s*", " "),
    ("_", r"_", " "),
    ("*", r"\*", " "),
    ("`", r"`", ""),
    ("#", r"#\s*", ""),
    ("$", r"\$", " dollars "),
    ("€", r"€", " euros "),
    ("£", r"£", " pounds "),
    ("¥", r"¥", " yen "),
    ("¢", r"¢", " cents "),
]
_SYMBOL_RES = [(set(chars), re.compile(p), r) for chars, p, r in _SYMBOL_WORDS]
_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe00-\ufe0f\u2b50\u2b55\u203c\u2049]")


def _symbols(t: str) -> str:
    """Symbols to words ("&" -> "and", "%" -> "percent", "→" -> "to"), "/" between words ->
    "or", decorative marks and emoji dropped."""
    t = re.sub(r"(?<=[A-Za-z])\s?/\s?(?=[A-Za-z])", " or ", t)
    t = re.sub(r"\s*/\s*", " slash ", t)
    for triggers, rx, replacement in _SYMBOL_RES:
        if any(ch in t for ch in triggers):
            t = rx.sub(replacement, t)
    return _EMOJI_RE.sub("", t)


# -------------------------------------------------------------------------------- 9. tidy
def _capitalize_numbers(t: str) -> str:
    """A sentence that now opens with a number word gets its capital back ("five km" -> "Five")."""

    def cap(m: re.Match[str]) -> str:
        word = m.group(2)
        if word.split("-")[0] in NUMBER_STARTERS:
            return m.group(1) + word[0].upper() + word[1:]
        return m.group(0)

    return _sub(r"(^|[.!?]\s+)([a-z][a-z-]*)", cap, t)


_TIDY = [
    (re.compile(r"\s+([,.;:!?])"), r"\1"),
    (re.compile(r"([,;:])(?:\s*[,;:])+"), r"\1"),
    (re.compile(r"[,;:]\s*([.!?])"), r"\1"),
    (re.compile(r"([!?])\s*[,.]"), r"\1"),
    (re.compile(r"(?<!\.)\.\s*,"), "."),
    (re.compile(r"\.{4,}"), "..."),
    (re.compile(r"(?<!\.)\.\.(?!\.)"), "."),
    (re.compile(r"\(\s*\)"), ""),
    (re.compile(r"([,;:])(?=[^\s\d])"), r"\1 "),
]
_SPACES = re.compile(r"\s+")


def _tidy(t: str) -> str:
    """Whitespace and punctuation cleanup after the passes (",," ", ." " ," and so on)."""
    t = _SPACES.sub(" ", t)
    for rx, replacement in _TIDY:
        t = rx.sub(replacement, t)
    t = _SPACES.sub(" ", t).strip().lstrip(",.;:!? ")
    if t[-1:] in (",", ";", ":"):
        t = t[:-1] + "."
    return _capitalize_numbers(t)
