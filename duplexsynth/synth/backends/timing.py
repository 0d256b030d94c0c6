"""Word timings from phoneme timings: map whitespace tokens onto a timed phoneme stream.

Engines that speak from espeak phonemes (Piper, Kokoro) report how long each phoneme lasts,
but espeak joins and splits words ("in the" -> ``ɪnðə``, "5:30" -> two words), so counting
spaces in the phoneme string does not give one timing per text token. Instead each token is
phonemized on its own, the tokens' phonemes are aligned to the utterance's phoneme stream with
an edit-distance alignment, and each token takes the time span of the stream phonemes it owns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from duplexsynth.synth.backends.base import WordTiming

#: stress marks: their time belongs to the phoneme that follows
STRESS = frozenset("ˈˌ")
#: modifiers: their time belongs to the phoneme before
MODIFIERS = frozenset("ːˑʲ˞ʰˤ̧̪̩̯̃")
#: pauses and boundaries, never part of a word
BOUNDARY = frozenset(" ^$_!'(),-.:;?\"…—–#↓¡¿«»“”")


@dataclass(frozen=True)
class TimedPhoneme:
    """One sound phoneme of the stream, with its span in seconds and the space-delimited
    phoneme word it belongs to."""

    phoneme: str
    start_s: float
    end_s: float
    word: int


def sound_phonemes(phonemes: str) -> str:
    """Only the sounding phonemes of ``phonemes`` (no stress, modifiers, spaces, punctuation)."""
    return "".join(
        p for p in phonemes if p not in STRESS and p not in MODIFIERS and p not in BOUNDARY
    )


def timed_stream(phonemes: Sequence[tuple[str, float, float]]) -> list[TimedPhoneme]:
    """Turn ``(phoneme, start_s, end_s)`` triples (in time order) into timed sound phonemes.

    Stress marks lend their time to the next sound phoneme, modifiers (length, palatalization)
    to the previous one; boundaries and punctuation are pauses that end a phoneme word.
    """
    out: list[TimedPhoneme] = []
    pending_start: float | None = None
    word = 0
    for ph, start, end in phonemes:
        if ph in BOUNDARY:
            word += 1
            pending_start = None
            continue
        if ph in STRESS:
            if pending_start is None:
                pending_start = float(start)
            continue
        if ph in MODIFIERS:
            if out and out[-1].word == word:
                last = out[-1]
                out[-1] = TimedPhoneme(last.phoneme, last.start_s, float(end), last.word)
            continue
        begin = pending_start if pending_start is not None else float(start)
        pending_start = None
        for ch in ph:  # multi-character phoneme symbols align character by character
            out.append(TimedPhoneme(ch, begin, float(end), word))
    return out


def cumulative(
    phonemes: Sequence[tuple[str, float]], offset_s: float = 0.0
) -> list[tuple[str, float, float]]:
    """``(phoneme, duration_s)`` pairs laid end to end from ``offset_s`` as ``(phoneme, start, end)``."""
    out = []
    t = offset_s
    for ph, dur in phonemes:
        out.append((ph, t, t + float(dur)))
        t += float(dur)
    return out


def align_tokens(
    token_phonemes: Sequence[str], stream: Sequence[TimedPhoneme], tokens: Sequence[str]
) -> tuple[WordTiming, ...]:
    """One ``(token, start_s, end_s)`` per token, ordered and non-overlapping.

    ``token_phonemes[i]`` is token i phonemized alone (any symbols; non-sounding ones are
    dropped). Tokens that own no stream phoneme (a dash, a dropped symbol) get a zero-length
    span where they would sit.
    """
    if len(token_phonemes) != len(tokens):
        raise ValueError(f"{len(token_phonemes)} phoneme strings for {len(tokens)} tokens")
    if not tokens:
        return ()
    src_parts = [sound_phonemes(p) for p in token_phonemes]
    src = "".join(src_parts)
    owner_of_src: list[int] = [i for i, part in enumerate(src_parts) for _ in part]
    dst = "".join(p.phoneme for p in stream)
    owner = [-1] * len(dst)
    for tag, s0, s1, d0, d1 in Levenshtein.opcodes(src, dst).as_list():
        if tag in ("equal", "replace"):
            for k in range(d1 - d0):  # spread the destination run evenly over the source run
                owner[d0 + k] = owner_of_src[s0 + (k * (s1 - s0)) // (d1 - d0)]
    _fill_unowned(owner, stream)

    spans: list[list[float] | None] = [None] * len(tokens)
    for j, i in enumerate(owner):
        if i < 0:
            continue
        p = stream[j]
        if spans[i] is None:
            spans[i] = [p.start_s, p.end_s]
        else:
            spans[i][0] = min(spans[i][0], p.start_s)
            spans[i][1] = max(spans[i][1], p.end_s)
    return _monotonic(tokens, spans, stream)


def _fill_unowned(owner: list[int], stream: Sequence[TimedPhoneme]) -> None:
    """Give stream phonemes the alignment left unowned to a neighbour in the same phoneme word
    (left neighbour first), then to the nearest owned phoneme on the right or left."""
    n = len(owner)
    for j in range(1, n):
        if owner[j] < 0 and owner[j - 1] >= 0 and stream[j].word == stream[j - 1].word:
            owner[j] = owner[j - 1]
    for j in range(n - 2, -1, -1):
        if owner[j] < 0 and owner[j + 1] >= 0 and stream[j].word == stream[j + 1].word:
            owner[j] = owner[j + 1]
    nxt = -1
    for j in range(n - 1, -1, -1):  # whole unmatched phoneme words: attach to the next token
        if owner[j] >= 0:
            nxt = owner[j]
        elif nxt >= 0:
            owner[j] = nxt
    prev = -1
    for j in range(n):
        if owner[j] >= 0:
            prev = owner[j]
        elif prev >= 0:
            owner[j] = prev


def _monotonic(
    tokens: Sequence[str], spans: list[list[float] | None], stream: Sequence[TimedPhoneme]
) -> tuple[WordTiming, ...]:
    out: list[WordTiming] = []
    floor = stream[0].start_s if stream else 0.0
    for i, tok in enumerate(tokens):
        span = spans[i]
        if span is None:  # owns no phoneme: a zero-length word where it would sit
            out.append((tok, floor, floor))
            continue
        start = max(span[0], floor)
        end = max(span[1], start)
        out.append((tok, start, end))
        floor = end
    return tuple(out)
