"""Map recognised (or TTS-reported) words onto the known text, token for token.

The known text's tokens and the heard words are both normalised (case, punctuation and
symbols dropped, digits spelled out with ``num2words``) and joined into two letter strings.
A character-level Levenshtein alignment (``rapidfuzz``) of the two strings then tells, for every
letter of every known token, which heard letter it corresponds to. Working on letters rather
than whole words handles every mismatch the same way:

* insertions (a heard word that is not in the text) and deletions (a token nobody heard);
* substitutions ("Kumo" heard as "Como"): most letters still line up;
* splits and merges ("everyday" heard as "every day", "forty-two" heard as "42", "3:30" heard
  as "330" or "3 30"): a heard word's span is shared out among its letters, so one heard word
  can time several tokens and several heard words one token.

A token counts as *heard* when at least ``min_match_ratio`` of its letters match exactly. Its
span runs from its first to its last matched letter, widened to the whole heard word when no
other token shares that word. Tokens not heard are *interpolated*: placed in the gap between
their heard neighbours in proportion to their length (``method="interpolated"``, ``score=None``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from duplexsynth.align.base import AlignmentError, HeardWord
from duplexsynth.align.zh import read_heard_token
from duplexsynth.schemas.records import Word
from duplexsynth.text.numbers import spell_token_number

INTERPOLATED = "interpolated"
#: speaking-rate guess used to size interpolated words at the edges of a turn
SECONDS_PER_LETTER = 0.075
#: the smallest span interpolation hands out per word before borrowing from neighbours
MIN_INTERPOLATED_S = 0.05

_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at ", "=": " equals "}
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:st|nd|rd|th)?", re.IGNORECASE)


# ------------------------------------------------------------------------------ normalising
def spell_number(match: str, language: str = "en") -> str:
    """``"42"`` -> ``"forty-two"``, ``"1990"`` -> ``"nineteen ninety"``, ``"3rd"`` -> ``"third"``
    (:func:`duplexsynth.text.numbers.spell_token_number`, the year rule included).

    Falls back to the digits when ``num2words`` cannot say the number in ``language``.
    """
    text = match.lower()
    ordinal = text[-2:] in ("st", "nd", "rd", "th")
    if ordinal:
        text = text[:-2]
    try:
        return spell_token_number(text, language, ordinal=ordinal)
    except (NotImplementedError, ValueError, OverflowError, TypeError):
        return text.replace(",", "")


def normalize_token(token: str, language: str = "en") -> str:
    """Letters and digits only, lower case, numbers spelled out: ``"Forty-two,"`` -> ``"fortytwo"``
    (Chinese: numbers in characters, :func:`duplexsynth.align.zh.read_heard_token`)."""
    token = read_heard_token(token, language)
    text = unicodedata.normalize("NFKC", token).lower()
    for sym, spoken in _SYMBOLS.items():
        text = text.replace(sym, spoken)
    text = _NUMBER.sub(lambda m: " " + spell_number(m.group(0), language) + " ", text)
    return "".join(ch for ch in text if ch.isalnum())


# ------------------------------------------------------------------------------ matching
@dataclass(frozen=True)
class TokenMatch:
    """Where a known token was heard: its span, share of matched letters and mean confidence."""

    start_s: float
    end_s: float
    match_ratio: float
    score: float | None


def _letters(
    pieces: Sequence[str],
) -> tuple[str, list[int], list[int]]:
    """Join normalised pieces with spaces; per character: owner piece (-1 = space) and offset."""
    chars: list[str] = []
    owner: list[int] = []
    offset: list[int] = []
    for i, piece in enumerate(pieces):
        if not piece:
            continue
        if chars:
            chars.append(" ")
            owner.append(-1)
            offset.append(-1)
        for k, ch in enumerate(piece):
            chars.append(ch)
            owner.append(i)
            offset.append(k)
    return "".join(chars), owner, offset


def _pairs(known: str, heard: str) -> list[tuple[int, int, bool]]:
    """(known index, heard index, equal?) for every aligned (equal or substituted) character."""
    from rapidfuzz.distance import Levenshtein

    out: list[tuple[int, int, bool]] = []
    for op in Levenshtein.opcodes(known, heard):
        if op.tag not in ("equal", "replace"):
            continue
        n = min(op.src_end - op.src_start, op.dest_end - op.dest_start)
        for k in range(n):
            out.append((op.src_start + k, op.dest_start + k, op.tag == "equal"))
    return out


def match_tokens(
    tokens: Sequence[str],
    heard: Sequence[HeardWord],
    *,
    min_match_ratio: float = 0.34,
    language: str = "en",
) -> list[TokenMatch | None]:
    """For each token, where it was heard (``None`` when not heard well enough)."""
    known_norm = [normalize_token(t, language) for t in tokens]
    heard_norm = [normalize_token(h.text, language) for h in heard]
    known_str, k_owner, _ = _letters(known_norm)
    heard_str, h_owner, h_offset = _letters(heard_norm)
    per_token: list[list[tuple[int, bool]]] = [[] for _ in tokens]
    touched_by: dict[int, set[int]] = {}
    for i, j, equal in _pairs(known_str, heard_str):
        ti, hi = k_owner[i], h_owner[j]
        if ti < 0 or hi < 0:
            continue
        per_token[ti].append((j, equal))
        touched_by.setdefault(hi, set()).add(ti)

    def letter_time(j: int) -> tuple[float, float]:
        h = heard[h_owner[j]]
        n = len(heard_norm[h_owner[j]])
        step = (h.end_s - h.start_s) / n
        return h.start_s + step * h_offset[j], h.start_s + step * (h_offset[j] + 1)

    out: list[TokenMatch | None] = []
    for ti, aligned in enumerate(per_token):
        n_letters = len(known_norm[ti])
        if not aligned or not n_letters:
            out.append(None)
            continue
        ratio = sum(1 for _, eq in aligned if eq) / n_letters
        if ratio < min_match_ratio:
            out.append(None)
            continue
        first, last = aligned[0][0], aligned[-1][0]
        first_word, last_word = h_owner[first], h_owner[last]
        start = (
            heard[first_word].start_s if touched_by[first_word] == {ti} else letter_time(first)[0]
        )
        end = heard[last_word].end_s if touched_by[last_word] == {ti} else letter_time(last)[1]
        words = sorted({h_owner[j] for j, _ in aligned})
        scores = [heard[w].score for w in words if heard[w].score is not None]
        score = ratio * (sum(scores) / len(scores)) if scores else None
        out.append(TokenMatch(start, max(start, end), ratio, score))
    return out


# ------------------------------------------------------------------------------ interpolating
def interpolate(
    matches: Sequence[TokenMatch | None],
    weights: Sequence[int],
    duration_s: float,
    voiced: tuple[float, float] | None = None,
) -> list[tuple[float, float, bool]]:
    """``(start_s, end_s, interpolated?)`` per token: heard ones kept, the others placed.

    A run of unheard tokens fills the gap between its heard neighbours, split in proportion to
    ``weights`` (letter counts); at the turn's edges it reaches towards the voiced part of the
    audio by a speaking-rate guess. When the gap is too small, it borrows half of each
    neighbour. With no heard token at all, the whole voiced span (or the audio) is shared out.
    """
    spans: list[list[float] | None] = [None if m is None else [m.start_s, m.end_s] for m in matches]
    lo_bound, hi_bound = voiced if voiced else (0.0, duration_s)
    n = len(spans)
    i = 0
    while i < n:
        if spans[i] is not None:
            i += 1
            continue
        j = i
        while j < n and spans[j] is None:
            j += 1
        w = [max(1, int(x)) for x in weights[i:j]]
        need = sum(w) * SECONDS_PER_LETTER
        prev = spans[i - 1] if i > 0 else None
        nxt = spans[j] if j < n else None
        if prev is not None and nxt is not None:
            left, right = prev[1], nxt[0]
        elif nxt is not None:
            right = nxt[0]
            left = max(lo_bound if lo_bound < right else 0.0, right - need)
        elif prev is not None:
            left = prev[1]
            right = min(hi_bound if hi_bound > left else duration_s, left + need)
        else:
            left, right = lo_bound, hi_bound
        floor = (j - i) * MIN_INTERPOLATED_S
        if right - left < floor and prev is not None:
            new_left = max(prev[0] + (prev[1] - prev[0]) / 2.0, right - floor)
            if new_left < left:
                prev[1] = left = new_left
        if right - left < floor and nxt is not None:
            new_right = min(nxt[1] - (nxt[1] - nxt[0]) / 2.0, left + floor)
            if new_right > right:
                nxt[0] = right = new_right
        right = max(left, right)
        total = float(sum(w))
        t = left
        for k in range(i, j):
            step = (right - left) * w[k - i] / total
            spans[k] = [t, t + step, -1.0]  # third slot marks "interpolated"
            t += step
        i = j
    out = []
    for s in spans:
        assert s is not None
        out.append((min(max(0.0, s[0]), duration_s), min(max(0.0, s[1]), duration_s), len(s) == 3))
    return out


def map_words(
    tokens: Sequence[str],
    heard: Sequence[HeardWord],
    *,
    duration_s: float,
    method: str,
    voiced: tuple[float, float] | None = None,
    min_match_ratio: float = 0.34,
    min_heard_fraction: float = 0.5,
    language: str = "en",
    max_wer: float | None = None,
) -> list[Word]:
    """One :class:`Word` per token: heard ones timed by ``heard``, the rest interpolated.

    Raises :class:`AlignmentError` when no token was heard, or when fewer than
    ``min_heard_fraction`` of the tokens that have letters were heard and (with ``max_wer``) the
    recogniser's words also disagree with the text by a word error rate above ``max_wer``: the
    audio probably does not say the text. Below that, missed words are interpolated.
    """
    if not tokens:
        return []
    matches = match_tokens(tokens, heard, min_match_ratio=min_match_ratio, language=language)
    lengths = [len(normalize_token(t, language)) for t in tokens]
    speakable = sum(1 for n in lengths if n)
    n_heard = sum(1 for m in matches if m is not None)
    if n_heard == 0 or n_heard < math.ceil(min_heard_fraction * speakable - 1e-9):
        wer = word_error_rate(tokens, heard, language)
        if n_heard == 0 or max_wer is None or wer > max_wer:
            said = " ".join(h.text.strip() for h in heard)
            raise AlignmentError(
                f"only {n_heard} of {speakable} words were heard, WER {wer:.2f} "
                f"(recogniser heard {said[:120]!r})"
            )
    placed = interpolate(matches, lengths, duration_s, voiced)
    words = []
    for tok, m, (start, end, interp) in zip(tokens, matches, placed):
        words.append(
            Word(
                word=tok,
                start_s=round(start, 4),
                end_s=round(end, 4),
                score=None if interp or m is None or m.score is None else round(m.score, 4),
                method=INTERPOLATED if interp else method,
            )
        )
    return words


def word_error_rate(
    tokens: Sequence[str], heard: Sequence[HeardWord], language: str = "en"
) -> float:
    """Word error rate of the recognised words against the text, both normalised as for
    matching (numbers spelled out, case and punctuation dropped)."""
    from rapidfuzz.distance import Levenshtein

    ref = [w for t in tokens for w in normalize_token(t, language).split() if w]
    hyp = [w for h in heard for w in normalize_token(h.text, language).split() if w]
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def interpolate_all(
    tokens: Sequence[str],
    duration_s: float,
    voiced: tuple[float, float] | None,
    language: str = "en",
) -> list[Word]:
    """Every token interpolated over the voiced span (last resort for short backchannels)."""
    lengths = [len(normalize_token(t, language)) for t in tokens]
    placed = interpolate([None] * len(tokens), lengths, duration_s, voiced)
    return [
        Word(word=t, start_s=round(s, 4), end_s=round(e, 4), score=None, method=INTERPOLATED)
        for t, (s, e, _) in zip(tokens, placed)
    ]
