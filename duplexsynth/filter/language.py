"""A fast, offline target-language check: writing system first, then function-word profiles.

The filter only has to answer "is this turn in the target language?", not identify one of a
hundred languages, and it runs on every turn of every record, so it must cost microseconds:

1. **Script.** Letters are counted per writing system (Latin, Cyrillic, Greek, Arabic, Hebrew,
   Devanagari, Thai, Hangul, kana, Han). A turn whose dominant script is not the target's is in
   another language (kana among Han characters means Japanese, Han alone Chinese).
2. **Function words** (Latin-script targets with a profile: en, fr, de, es, it, pt, nl). Turns with
   at least ``min_words`` words count the *distinct* words they share with short hand-written
   lists of each language's most frequent function words. The turn is another language when that
   language has at least 2 and more than 1.5x the target's, or when a turn of 12+ words has
   (almost) no target function words at all (fewer than 5% of its distinct words; reported as
   ``und``). Short turns ("OK, thanks!") are judged by script only.

No model, no dependency, deterministic, a few microseconds per turn (set intersections in C). Statistical detectors
(langdetect, langid) cost milliseconds per call and fastText's identifier needs a model download,
which the offline default can not do; neither is needed for a yes/no answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from duplexsynth.filter.cjk import AUTO_LANGUAGES, chinese_with_latin

# --------------------------------------------------------------------------- function words
_FUNCTION_WORDS: dict[str, str] = {
    "en": """the a an and or but is are was were be been being to of in on at for with by from as
        that this these those it its i you he she we they me him her us them my your his our their
        what which who whom when where why how not no do does did have has had will would can could
        should shall may might must if then than so there here all any some about into over after
        before up down out just also very more most much many only other such each both few because
        while until again once own same too now yes am let like get got one well please thanks thank
        hello hi okay don isn aren doesn didn won wouldn couldn shouldn ll ve re""",
    "fr": """le la les un une des du de et est sont je tu il elle nous vous ils elles ce cette ces
        que qui quoi dans sur pour par avec pas ne au aux mais ou où donc mon ma mes ton ta tes son
        sa ses notre votre leur leurs être avoir fait très plus bien oui non comme aussi y se été
        c j qu d l n s était avez avons suis es peut tout bonjour merci""",
    "de": """der die das und ist sind ein eine einen einem einer nicht ich du er sie es wir ihr mit
        von zu auf für den dem des im auch als wie aber oder wenn dass noch nur schon sehr bei nach
        aus über wird werden wurde haben hat hatte kann können mein dein unser euch uns mich dich
        sich hier da ja nein was wer wo warum heute mir dir ihm ihn diese dieser dieses man am vom
        zum zur doch mal gibt bitte danke""",
    "es": """el la los las un una unos unas y o de del en que es son está están por para con sin no
        sí se lo le les me te mi tu su sus nuestro pero como más muy yo tú él ella nosotros ellos
        ellas usted este esta esto estos eso ese esa qué cómo cuando dónde porque también hay ser
        estar tiene tengo hola gracias al era fue todo puede bien""",
    "it": """il lo la i gli le un uno una e è di del della dei delle in che non per con su sono ma
        come più anche io tu lui lei noi voi loro mi ti ci si questo questa quello quella cosa
        perché quando dove molto ciao grazie ho hai ha abbiamo essere sei nel nella alla al dal""",
    "pt": """o a os as um uma e é de do da dos das em no na nos nas que não para com por se mas como
        mais muito eu você ele ela nós eles elas meu minha seu sua isso isto este esta também está
        são ser tem foi olá obrigado obrigada porque quando onde ao""",
    "nl": """de het een en is zijn van in op te dat die dit niet ik je jij hij zij we wij jullie ze
        met voor aan bij om maar ook als er naar uit was heb heeft hebben wordt worden kan kunnen
        mijn jouw hun ons wat wie waar waarom hoe nog wel geen zo dan goed hallo dank bedankt""",
}
STOPWORD_LANGUAGES: tuple[str, ...] = tuple(_FUNCTION_WORDS)
_LANG_INDEX = {lang: i for i, lang in enumerate(STOPWORD_LANGUAGES)}
_WORD_SETS: tuple[frozenset[str], ...] = tuple(
    frozenset(words.split()) for words in _FUNCTION_WORDS.values()
)
#: per target: the function words of all other languages
_OTHER_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset().union(
        *(ws for other, ws in zip(STOPWORD_LANGUAGES, _WORD_SETS) if other != lang)
    )
    for lang in STOPWORD_LANGUAGES
}

# --------------------------------------------------------------------------------- scripts
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "greek": re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
}
_SCRIPT_LANGUAGE = {
    "cyrillic": "ru",
    "greek": "el",
    "arabic": "ar",
    "hebrew": "he",
    "devanagari": "hi",
    "thai": "th",
    "hangul": "ko",
    "kana": "ja",
    "han": "zh",
    "latin": "latin",
}
#: target language -> its writing system
LANGUAGE_SCRIPT: dict[str, str] = {
    **{lang: "latin" for lang in STOPWORD_LANGUAGES},
    "ru": "cyrillic",
    "el": "greek",
    "ar": "arabic",
    "he": "hebrew",
    "hi": "devanagari",
    "th": "thai",
    "ko": "hangul",
    "ja": "kana",
    "zh": "han",
}
SUPPORTED_LANGUAGES: frozenset[str] = frozenset(LANGUAGE_SCRIPT)

_WORD_RE = re.compile(r"[^\W\d_]+")
#: ASCII punctuation and digits -> spaces (words of ASCII text by ``translate`` + ``split``)
_ASCII_NON_LETTERS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalpha()})
_ASCII_LETTER_RE = re.compile(r"[A-Za-z]")
#: a long turn with fewer target function words than this share is not in the target language
_MIN_TARGET_SHARE = 0.05
_LONG_TURN_WORDS = 12


def script_counts(text: str) -> dict[str, int]:
    """Letters of ``text`` per writing system (only systems that occur)."""
    if text.isascii():
        n = len(_ASCII_LETTER_RE.findall(text))
        return {"latin": n} if n else {}
    counts = {}
    for name, pattern in _SCRIPTS.items():
        n = len(pattern.findall(text))
        if n:
            counts[name] = n
    return counts


def dominant_script(text: str) -> str | None:
    """The writing system of most letters (``kana`` when kana make up >= 10% of Han + kana)."""
    counts = script_counts(text)
    if not counts:
        return None
    kana, han = counts.get("kana", 0), counts.get("han", 0)
    if kana and kana >= 0.1 * (kana + han):
        counts["kana"] = kana + han
        counts.pop("han", None)
    return max(sorted(counts), key=lambda s: counts[s])


def function_word_hits(words: Iterable[str]) -> list[int]:
    """Distinct function words of each language of :data:`STOPWORD_LANGUAGES` in ``words``."""
    distinct = words if isinstance(words, (set, frozenset)) else set(words)
    return [len(ws.intersection(distinct)) for ws in _WORD_SETS]


def detect_other_language(text: str, target: str, min_words: int = 4) -> str | None:
    """The language ``text`` is in when it is *not* ``target`` (``und`` = unknown), else ``None``.

    ``None`` also when there is too little text to judge. ``target='any'`` never rejects;
    ``target='auto'`` keeps text in any of :data:`~duplexsynth.filter.cjk.AUTO_LANGUAGES`
    (the languages a run can voice). Chinese that embeds English names or numbers stays Chinese
    (:func:`~duplexsynth.filter.cjk.chinese_with_latin`).
    """
    if target == "any":
        return None
    if target == "auto":
        found = [detect_other_language(text, lang, min_words) for lang in AUTO_LANGUAGES]
        return None if None in found else found[0]
    want = LANGUAGE_SCRIPT[target]
    if want == "han" and chinese_with_latin(text):
        return None
    ascii_text = text.isascii()
    if ascii_text:  # Latin letters or nothing
        lower = text.lower()
        words = lower.translate(_ASCII_NON_LETTERS).split()
        if not words:
            return None
        if want != "latin":
            return "latin"
    else:
        script = dominant_script(text)
        if script is None:
            return None
        if script != want:
            if want == "kana" and script == "han":
                return "zh"
            return _SCRIPT_LANGUAGE[script]
        words = _WORD_RE.findall(text.lower())
    if target not in _LANG_INDEX or len(words) < min_words:
        return None
    distinct = set(words)
    own = len(_WORD_SETS[_LANG_INDEX[target]].intersection(distinct))
    others = _OTHER_WORDS[target].intersection(distinct)
    # another language can only win with >= 2 words of its own list, more than 1.5x the target's
    if len(others) >= 2 and len(others) > 1.5 * own:
        best, best_hits = None, 0
        for lang, words_of in zip(STOPWORD_LANGUAGES, _WORD_SETS):
            if lang != target:
                h = len(words_of.intersection(others))
                if h > best_hits:
                    best, best_hits = lang, h
        if best is not None and best_hits >= 2 and best_hits > 1.5 * own:
            return best
    if len(words) >= _LONG_TURN_WORDS and own < _MIN_TARGET_SHARE * len(distinct):
        return "und"
    return None
