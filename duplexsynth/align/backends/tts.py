"""The default backend: the TTS engine's own word timings (``turns[].tts_words``).

Synthesis engines that expose phoneme durations (Piper, Kokoro, espeak-ng) know exactly when
each word is spoken. When the synth stage recorded one timed word per token of the spoken text,
they are copied as they are (``method="tts"``); when its words differ from the tokens (it spoke
"42" as "forty two", or split on other boundaries) they are mapped onto the tokens with the same
letter-level alignment as recognised words (:mod:`duplexsynth.align.textmap`).
"""

from __future__ import annotations

from collections.abc import Sequence

from duplexsynth.align.base import AlignmentError, HeardWord
from duplexsynth.align.textmap import map_words, normalize_token
from duplexsynth.schemas.records import Word

METHOD = "tts"


def words_from_tts(
    tts_words: Sequence[Word] | None,
    tokens: Sequence[str],
    duration_s: float,
    *,
    voiced: tuple[float, float] | None = None,
    min_match_ratio: float = 0.34,
    min_heard_fraction: float = 0.5,
    language: str = "en",
) -> list[Word]:
    """One word per token from the TTS timings; :class:`AlignmentError` if there are none."""
    if not tts_words:
        raise AlignmentError("the turn carries no TTS word timings (tts_words)")
    if len(tts_words) == len(tokens) and all(
        w.word == t or normalize_token(w.word, language) == normalize_token(t, language)
        for w, t in zip(tts_words, tokens)
    ):
        return [
            Word(word=t, start_s=w.start_s, end_s=w.end_s, score=w.score, method=METHOD)
            for w, t in zip(tts_words, tokens)
        ]
    heard = [HeardWord(w.word, float(w.start_s), float(w.end_s), w.score) for w in tts_words]
    return map_words(
        tokens,
        heard,
        duration_s=duration_s,
        method=METHOD,
        voiced=voiced,
        min_match_ratio=min_match_ratio,
        min_heard_fraction=min_heard_fraction,
        language=language,
    )
