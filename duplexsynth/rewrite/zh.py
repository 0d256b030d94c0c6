"""The offline spoken-style normaliser for Chinese (Mandarin).

``normalize_zh`` turns written Chinese chat text into what a Mandarin voice should read: markdown
is stripped, every number-like thing is written out in Chinese characters, and punctuation
becomes full-width. Numbers are read with ``cn2an`` (``an2cn``), in this order:

==================  ===================================  ==================================
what                example                              spoken
==================  ===================================  ==================================
phone-like digits   ``13812345678``, ``010-12345678``    digit by digit, 1 as 幺
dates               ``2024年3月15日``, ``2024-03-15``      二零二四年三月十五日 (years digit by digit)
times               ``8:30``, ``10:05``, ``2:00``          八点半, 十点零五分, 两点
money               ``¥45``, ``45元``, ``$20``             四十五元, 四十五元, 二十美元
percentages         ``35%``, ``-2.5%``                   百分之三十五, 负百分之二点五
ranges              ``5-10度``, ``5~10``, ``5到10度``       五到十度
fractions           ``3/4``                              四分之三
units               ``5km``, ``3kg``, ``20℃``             五公里, 三公斤, 二十摄氏度
counts              ``2个``, ``2次``                       两个, 两次 (2 before a measure word)
numbers             ``1,200``, ``3.5``, ``第3``            一千二百, 三点五, 第三
==================  ===================================  ==================================

``find_unspeakable_zh`` checks the result (no digits, no markdown or symbols a voice would read
as noise); ``insert_fillers_zh`` adds seeded 嗯/那个 disfluencies to user turns and
``trim_zh`` cuts long turns at sentence ends (。！？), counting jieba words. Bump
:data:`ZH_RULES_VERSION` whenever the output for some input changes.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from duplexsynth.lang import has_han, word_tokens
from duplexsynth.rewrite.rules import leading_sentences

ZH_RULES_VERSION = "zh-rules-1"

#: sentence-initial fillers and the mid-sentence one
ZH_FILLERS: tuple[str, ...] = ("嗯", "那个", "就是", "呃")
ZH_MID_FILLER = "那个"

_DIGIT_NAMES = dict(zip("0123456789", "零一二三四五六七八九"))
_PHONE_DIGITS = {**_DIGIT_NAMES, "1": "幺"}
#: measure words after which the number 2 is read 两
_MEASURE_WORDS = "个次件本位只条张天年岁杯碗瓶份块台辆家种点周人双颗头层套把斤名节门遍"
_UNITS: dict[str, str] = {
    "km/h": "公里每小时",
    "km": "公里",
    "kg": "公斤",
    "cm": "厘米",
    "mm": "毫米",
    "ml": "毫升",
    "mL": "毫升",
    "m²": "平方米",
    "㎡": "平方米",
    "GB": "G",
    "MB": "兆",
    "°C": "摄氏度",
    "℃": "摄氏度",
    "°F": "华氏度",
    "°": "度",
    "g": "克",
    "m": "米",
    "L": "升",
    "h": "小时",
    "min": "分钟",
    "s": "秒",
}
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_CURRENCY_PREFIX = {"¥": "元", "￥": "元", "$": "美元", "US$": "美元", "€": "欧元", "£": "英镑"}
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"

_FULL_WIDTH = {",": "，", ".": "。", "?": "？", "!": "！", ":": "：", ";": "；"}
_SPEAKABLE_PUNCT = set("，。？！、；：“”‘’（）《》…—·「」『』,.!?;:'\"-() ")


# ----------------------------------------------------------------------------- numbers
def read_digits(digits: str, phone: bool = False) -> str:
    """Digits one by one (``phone``: 1 as 幺, as people read phone numbers)."""
    table = _PHONE_DIGITS if phone else _DIGIT_NAMES
    return "".join(table.get(ch, "") for ch in digits)


def read_number(text: str) -> str:
    """A cardinal or decimal (``1,200`` -> 一千二百, ``3.5`` -> 三点五, ``007`` -> 零零七)."""
    import cn2an

    plain = text.replace(",", "")
    whole = plain.split(".")[0]
    if len(whole) > 1 and whole.startswith("0"):
        return read_digits(whole) + (
            "点" + read_digits(plain.split(".")[1]) if "." in plain else ""
        )
    if len(whole) > 16:  # beyond 万亿: read digit by digit
        return read_digits(plain.replace(".", ""))
    return cn2an.an2cn(plain, "low")


def _hour(h: int) -> str:
    return "两" if h == 2 else read_number(str(h))


def _time(m: re.Match[str]) -> str:
    h, mins = int(m.group(1)), int(m.group(2))
    if h > 24 or mins > 59:
        return m.group(0)
    if mins == 0:
        return f"{_hour(h)}点"
    if mins == 30:
        return f"{_hour(h)}点半"
    if mins < 10:
        return f"{_hour(h)}点零{read_number(str(mins))}分"
    return f"{_hour(h)}点{read_number(str(mins))}分"


def _date(m: re.Match[str]) -> str:
    y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group(0)
    return f"{read_digits(y)}年{read_number(str(mo))}月{read_number(str(d))}日"


def _unit(m: re.Match[str]) -> str:
    unit = _UNITS[m.group(3)]
    sign = ("零下" if unit.endswith("度") else "负") if m.group(1) else ""
    return sign + read_number(m.group(2)) + unit


def _count(m: re.Match[str]) -> str:
    return ("两" if m.group(1) == "2" else read_number(m.group(1))) + m.group(2)


def _numbers(t: str) -> str:
    """Every pass of the table in the module docstring, in its order."""
    # phone-like: 11-digit mobiles, area code + number, 7+ digit runs
    t = re.sub(
        r"(?<![\d.])(\d{3,4})-(\d{7,8})(?![\d.])",
        lambda m: read_digits(m.group(1), True) + "，" + read_digits(m.group(2), True),
        t,
    )
    t = re.sub(r"(?<![\d.,])\d{7,}(?![\d.,])", lambda m: read_digits(m.group(0), True), t)
    # dates
    t = re.sub(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", _date, t)
    t = re.sub(r"(?<!\d)(\d{2}|\d{4})(?=\s*年)", lambda m: read_digits(m.group(1)), t)
    # times
    t = re.sub(r"(?<![\d:])(\d{1,2})[:：](\d{2})(?![\d:])", _time, t)
    # money with a prefix symbol
    t = re.sub(
        rf"(US\$|[¥￥$€£])\s?({_NUM})",
        lambda m: read_number(m.group(2)) + _CURRENCY_PREFIX[m.group(1)],
        t,
    )
    # percentages (also ranges of them: 5-10%)
    t = re.sub(
        rf"({_NUM})\s?[-~～–—到至]\s?({_NUM})\s?[%％]",
        lambda m: f"百分之{read_number(m.group(1))}到百分之{read_number(m.group(2))}",
        t,
    )
    t = re.sub(
        rf"(-)?({_NUM})\s?[%％]",
        lambda m: ("负" if m.group(1) else "") + "百分之" + read_number(m.group(2)),
        t,
    )
    # ranges: 5-10 / 5~10 before a unit, a Han character or the end
    t = re.sub(
        rf"(?<![\d.])({_NUM})\s?[-~～–—]\s?({_NUM})(?=\s?(?:{_UNIT_RE}|[\u4e00-\u9fff]|$|[，。！？,.!?\s]))",
        lambda m: f"{m.group(1)}到{m.group(2)}",
        t,
    )
    # fractions
    t = re.sub(
        r"(?<![\d/])(\d+)/(\d+)(?![\d/])",
        lambda m: f"{read_number(m.group(2))}分之{read_number(m.group(1))}",
        t,
    )
    # units (Latin unit letters must not run on into a word); below zero is 零下 for degrees
    t = re.sub(rf"(?:(?<![A-Za-z0-9.])(-))?({_NUM})\s?({_UNIT_RE})(?![A-Za-z])", _unit, t)
    # 2 before a measure word -> 两
    t = re.sub(rf"(?<![\d.])(\d+)([{_MEASURE_WORDS}])", _count, t)
    # negative numbers, then every other number
    t = re.sub(rf"(?<![A-Za-z0-9.])-({_NUM})", lambda m: "负" + read_number(m.group(1)), t)
    return re.sub(_NUM, lambda m: read_number(m.group(0)), t)


# ----------------------------------------------------------------------------- other passes
_MD_LINE = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+•●]\s+|\d{1,3}[.)、]\s+|[（(]?\d{1,3}[）)]\s*)"
)
_SYMBOL_WORDS = [("&", "和"), ("+", "加"), ("=", "等于"), ("@", " at "), ("→", "到"), ("~", "到")]


def _prepare(t: str) -> str:
    t = html.unescape(t).replace("\r\n", "\n")
    t = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", t)
    lines = []
    for line in t.split("\n"):
        line = _MD_LINE.sub("", line).strip()
        if line:
            if not re.search(r"[。！？!?.;；:：…]$", line):
                line += "。"
            lines.append(line)
    t = "".join(lines)
    t = re.sub(r"\*\*|__|`|\*", "", t)
    return re.sub(r"[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]", "", t)


def _punctuation(t: str) -> str:
    """ASCII punctuation next to Chinese becomes full-width; brackets become pauses."""
    t = re.sub(r"\s*[（(]\s*", "，", t)
    t = re.sub(r"\s*[）)]\s*", "，", t)
    t = re.sub(r"[【】\[\]《》<>「」『』]", "", t)
    for a, b in _SYMBOL_WORDS:
        t = t.replace(a, b)

    def full(m: re.Match[str]) -> str:
        return _FULL_WIDTH[m.group(1)]

    han = r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]"
    t = re.sub(rf"(?<={han})\s*([,.?!:;])(?!\d)", full, t)
    t = re.sub(rf"([,.?!:;])\s*(?={han})", full, t)
    t = re.sub(r'"([^"]*)"', r"“\1”", t)
    return t


def _tidy(t: str) -> str:
    t = re.sub(r"(?<=[\u4e00-\u9fff，。？！、；：])\s+|\s+(?=[\u4e00-\u9fff，。？！、；：])", "", t)
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"[，、；：]+(?=[。？！])", "", t)
    t = re.sub(r"([，、；：])[，、；：]+", r"\1", t)
    t = re.sub(r"。+", "。", t)
    t = re.sub(r"^[，。、；：\s]+", "", t)
    # a Latin word next to Chinese keeps one space on each side, as Chinese typesetting does
    t = re.sub(r"(?<=[\u4e00-\u9fff])(?=[A-Za-z])|(?<=[A-Za-z])(?=[\u4e00-\u9fff])", " ", t)
    return t.strip()


def normalize_zh(text: str) -> str:
    """Spoken-style Chinese version of ``text`` (see the module docstring). Never raises."""
    if not text:
        return ""
    t = unicodedata.normalize("NFC", text)
    t = _prepare(t)
    t = _numbers(t)
    t = _punctuation(t)
    return _tidy(t)


def find_unspeakable_zh(text: str) -> str | None:
    """Why ``text`` is not fit for a Mandarin voice (digits, markdown, symbols, empty), or None."""
    if not text or not text.strip():
        return "empty text"
    if not any(ch.isalpha() for ch in text):
        return f"no words in {text[:40]!r}"
    for i, ch in enumerate(text):
        if ch.isdigit():
            return f"digit {ch!r} left in {text[max(0, i - 12) : i + 12]!r}"
        if ch.isalpha() or ch in _SPEAKABLE_PUNCT or unicodedata.category(ch).startswith("M"):
            continue
        kind = "markdown" if ch in "*#_`|[]{}<>~^=" else "symbol"
        return f"{kind} {ch!r} left in {text[max(0, i - 12) : i + 12]!r}"
    return None


# ------------------------------------------------------------------------ sentences, fillers
def split_sentences_zh(text: str) -> list[str]:
    """Sentences of normalised Chinese text (each keeps its 。！？ or ?! ending)."""
    parts = re.findall(r"[^。！？!?]+[。！？!?]*", text.strip())
    return [p.strip() for p in parts if p.strip()]


def word_count_zh(text: str) -> int:
    """jieba words of ``text`` (the words the aligner will time)."""
    return len(word_tokens(text))


def trim_zh(text: str, max_words: int) -> str:
    """Whole sentences of ``text`` within ``max_words`` jieba words (at least one sentence)."""
    if word_count_zh(text) <= max_words:
        return text
    return "".join(leading_sentences(split_sentences_zh(text), word_count_zh, max_words)[0])


def insert_fillers_zh(text: str, rng: Any, rate: float) -> tuple[str, list[dict[str, Any]]]:
    """Seeded disfluencies: a sentence opens with 嗯/那个/就是/呃 with probability ``rate``, and
    那个 follows a mid-sentence comma with probability ``rate / 2``.

    Exactly three draws per sentence from the dialogue's ``rng``, so the stream never shifts.
    Returns the text and what was inserted (for ``params``).
    """
    out: list[str] = []
    inserted: list[dict[str, Any]] = []
    for si, sentence in enumerate(split_sentences_zh(text)):
        u_start, u_mid = float(rng.random()), float(rng.random())
        pick = int(rng.integers(0, len(ZH_FILLERS)))
        if u_mid < rate / 2 and "，" in sentence.rstrip("。！？!?，"):
            head, tail = sentence.split("，", 1)
            sentence = f"{head}，{ZH_MID_FILLER}，{tail}"
            inserted.append({"sentence": si, "filler": ZH_MID_FILLER, "after_clause": 1})
        if u_start < rate and has_han(sentence):
            filler = ZH_FILLERS[pick]
            sentence = f"{filler}，{sentence}"
            inserted.append({"sentence": si, "filler": filler, "after_clause": 0})
        out.append(sentence)
    return "".join(out), inserted
