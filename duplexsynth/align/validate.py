"""Check one utterance's word times and apply the fixes that are trivially safe.

The rules (``Word`` times are seconds within the utterance's audio):

* every token of the spoken text has exactly one word, in order, with ``word`` = the token;
* times are finite, ``start_s <= end_s``, starts never go backwards;
* words lie inside the audio: a word sticking out by at most ``clamp_tolerance_s`` is clamped;
* neighbours do not overlap: an overlap of at most ``overlap_tolerance_s`` is trimmed off the
  earlier word;
* every word lasts at least ``min_word_s`` where there is room: shorter ones are widened into
  the free space after, then before them; a word (or run of words) left with no duration at
  all borrows time from its neighbouring words, down to ``min_word_s`` each, and is spread
  evenly over it (a recogniser often gives a word it barely heard zero length at the start of
  the next one); only when the neighbours have nothing to lend either is it an error.

Anything else raises :class:`WordTimingError`: the caller cuts the dialogue to its clean prefix
or rejects it as ``align_error``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from duplexsynth.align.base import AlignmentError
from duplexsynth.schemas.records import Word

_EPS = 1e-6


class WordTimingError(AlignmentError):
    """Word times that no safe fix can repair."""


@dataclass
class Fixes:
    """How many words each safe fix touched."""

    clamped: int = 0
    trimmed: int = 0
    widened: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Fixes) -> None:
        self.clamped += other.clamped
        self.trimmed += other.trimmed
        self.widened += other.widened

    def as_dict(self) -> dict[str, int]:
        return {"clamped": self.clamped, "trimmed": self.trimmed, "widened": self.widened}

    def __bool__(self) -> bool:
        return bool(self.clamped or self.trimmed or self.widened)


def validate_words(
    words: Sequence[Word],
    tokens: Sequence[str],
    duration_s: float,
    *,
    clamp_tolerance_s: float = 0.25,
    overlap_tolerance_s: float = 0.05,
    min_word_s: float = 0.02,
) -> tuple[list[Word], Fixes]:
    """Return ``(fixed words, fixes)`` or raise :class:`WordTimingError` with the reason."""
    fixes = Fixes()
    if len(words) != len(tokens):
        raise WordTimingError(f"{len(words)} timed words for {len(tokens)} tokens of the text")
    starts: list[float] = []
    ends: list[float] = []
    for k, (w, tok) in enumerate(zip(words, tokens)):
        if w.word != tok:
            raise WordTimingError(f"word {k} is {w.word!r} but the text says {tok!r}")
        s, e = float(w.start_s), float(w.end_s)
        if not (math.isfinite(s) and math.isfinite(e)):
            raise WordTimingError(f"word {k} {tok!r} has non-finite times ({s}, {e})")
        if e < s - _EPS:
            raise WordTimingError(f"word {k} {tok!r} ends before it starts ({s:.3f} > {e:.3f})")
        s2, e2 = _clamp(s, duration_s), _clamp(e, duration_s)
        if max(abs(s2 - s), abs(e2 - e)) > clamp_tolerance_s + _EPS:
            raise WordTimingError(
                f"word {k} {tok!r} at {s:.3f}-{e:.3f}s lies outside the {duration_s:.3f}s audio"
            )
        if (s2, e2) != (s, e):
            fixes.clamped += 1
        starts.append(s2)
        ends.append(max(s2, e2))
    for k in range(1, len(starts)):
        if starts[k] < starts[k - 1] - _EPS:
            raise WordTimingError(
                f"word {k} {tokens[k]!r} starts at {starts[k]:.3f}s, before word {k - 1} "
                f"({starts[k - 1]:.3f}s)"
            )
        overlap = ends[k - 1] - starts[k]
        if overlap > _EPS:
            if overlap > overlap_tolerance_s + _EPS:
                raise WordTimingError(
                    f"words {k - 1} and {k} ({tokens[k - 1]!r}, {tokens[k]!r}) overlap by "
                    f"{overlap * 1000:.0f} ms"
                )
            ends[k - 1] = max(starts[k - 1], starts[k])
            fixes.trimmed += 1
    n = len(starts)
    for k in range(n):
        length = ends[k] - starts[k]
        if length >= min_word_s - _EPS:
            continue
        right_limit = starts[k + 1] if k + 1 < n else duration_s
        left_limit = ends[k - 1] if k > 0 else 0.0
        grow = min_word_s - length
        take_right = max(0.0, min(grow, right_limit - ends[k]))
        ends[k] += take_right
        take_left = max(0.0, min(grow - take_right, starts[k] - left_limit))
        starts[k] -= take_left
        if ends[k] - starts[k] > _EPS:
            fixes.widened += 1
    k = 0
    while k < n:
        if ends[k] - starts[k] > _EPS:
            k += 1
            continue
        j = k
        while j < n and ends[j] - starts[j] <= _EPS:
            j += 1
        fixes.widened += _borrow(starts, ends, k, j, duration_s, min_word_s, tokens)
        k = j
    out = [
        dataclasses.replace(w, start_s=round(s, 4), end_s=round(e, 4))
        for w, s, e in zip(words, starts, ends)
    ]
    return out, fixes


def _borrow(
    starts: list[float],
    ends: list[float],
    i: int,
    j: int,
    duration_s: float,
    min_word_s: float,
    tokens: Sequence[str],
) -> int:
    """Give the zero-length words ``i..j-1`` time taken from words ``i-1`` and ``j``; returns
    how many words were widened, or raises :class:`WordTimingError` when there is none."""
    n = len(starts)
    lo = ends[i - 1] if i > 0 else 0.0
    hi = starts[j] if j < n else duration_s
    need = (j - i) * min_word_s - (hi - lo)
    if need > _EPS and i > 0:
        give = min(
            need / 2.0 if j < n else need, max(0.0, ends[i - 1] - starts[i - 1] - min_word_s)
        )
        ends[i - 1] -= give
        lo -= give
        need -= give
    if need > _EPS and j < n:
        give = min(need, max(0.0, ends[j] - starts[j] - min_word_s))
        starts[j] += give
        hi += give
        need -= give
    if need > _EPS and i > 0:  # the right neighbour had less than half to give
        give = min(need, max(0.0, ends[i - 1] - starts[i - 1] - min_word_s))
        ends[i - 1] -= give
        lo -= give
    if hi - lo <= _EPS * (j - i):
        raise WordTimingError(
            f"word {i} {tokens[i]!r} has no duration at {starts[i]:.3f}s and no room to widen"
        )
    step = (hi - lo) / (j - i)
    for k in range(i, j):
        starts[k], ends[k] = lo + (k - i) * step, lo + (k - i + 1) * step
    return j - i


def _clamp(t: float, duration_s: float) -> float:
    return min(max(0.0, t), duration_s)
