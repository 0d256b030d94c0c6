"""Refine recogniser word spans with the audio's own pauses.

Whisper's word timestamps (20 ms steps, from cross-attention) tile the audio: a word often
starts in the silence before it, ends in the silence after it, or runs on into the next word
when the pause between them is misplaced. Two steps, both bounded:

1. :func:`snap_to_pauses`: where a pause (a run of at least ``min_pause_s`` of frames quieter
   than ``silence_db`` below the loudest frame) lies near the boundary of two neighbouring
   words, and strictly inside their joint span, the boundary moves onto it: the first word ends
   where the pause starts, the next begins where it ends.
2. :func:`trim_to_sound`: each span shrinks to its first and last sounding frame.

Connected speech without pauses is left as the recogniser timed it. TTS timings are not touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from duplexsynth.audio import db_to_gain, frame_rms
from duplexsynth.schemas.records import Word

FRAME_S = 0.005


def sound_mask(
    audio: np.ndarray, sample_rate: int, silence_db: float = -40.0, frame_s: float = FRAME_S
) -> np.ndarray:
    """Per ``frame_s`` frame: True where the RMS is within ``silence_db`` of the loudest frame."""
    arr = np.asarray(audio, dtype=np.float64)
    hop = max(1, int(round(frame_s * sample_rate)))
    n = int(np.ceil(len(arr) / hop))
    if n == 0:
        return np.zeros(0, dtype=bool)
    level = frame_rms(arr, hop, pad=True)
    peak = float(level.max())
    if peak <= 0.0:
        return np.zeros(n, dtype=bool)
    return level >= peak * db_to_gain(silence_db)


def trim_to_sound(
    words: Sequence[Word],
    audio: np.ndarray,
    sample_rate: int,
    silence_db: float = -40.0,
    frame_s: float = FRAME_S,
) -> list[Word]:
    """Each word's span shrunk to the sound inside it (unchanged when it holds no sound)."""
    mask = sound_mask(audio, sample_rate, silence_db, frame_s)
    n = len(mask)
    out = []
    for w in words:
        a = max(0, min(n, int(np.floor(w.start_s / frame_s))))
        b = max(0, min(n, int(np.ceil(w.end_s / frame_s))))
        loud = np.nonzero(mask[a:b])[0]
        if not len(loud):
            out.append(w)
            continue
        start = max(w.start_s, (a + loud[0]) * frame_s)
        end = min(w.end_s, (a + loud[-1] + 1) * frame_s)
        if end <= start:
            out.append(w)
            continue
        out.append(dataclasses.replace(w, start_s=round(start, 4), end_s=round(end, 4)))
    return out


def pauses(mask: np.ndarray, min_frames: int) -> list[tuple[int, int]]:
    """``(first, last + 1)`` frame of every silent run at least ``min_frames`` long."""
    runs = []
    n = len(mask)
    k = 0
    while k < n:
        if mask[k]:
            k += 1
            continue
        j = k
        while j < n and not mask[j]:
            j += 1
        if j - k >= min_frames:
            runs.append((k, j))
        k = j
    return runs


def snap_to_pauses(
    words: Sequence[Word],
    audio: np.ndarray,
    sample_rate: int,
    silence_db: float = -40.0,
    min_pause_s: float = 0.08,
    search_s: float = 0.25,
    frame_s: float = FRAME_S,
) -> list[Word]:
    """Move each boundary between neighbouring words onto the nearest pause (see module doc)."""
    if len(words) < 2:
        return list(words)
    mask = sound_mask(audio, sample_rate, silence_db, frame_s)
    runs = [
        (a * frame_s, b * frame_s)
        for a, b in pauses(mask, max(1, int(round(min_pause_s / frame_s))))
    ]
    if not runs:
        return list(words)
    spans = [[w.start_s, w.end_s] for w in words]
    for k in range(len(words) - 1):
        left, right = spans[k], spans[k + 1]
        lo, hi = min(left[1], right[0]), max(left[1], right[0])
        best = None
        for a, b in runs:
            if a <= left[0] or b >= right[1]:
                continue  # both words must keep some of their span
            distance = max(0.0, a - hi, lo - b)
            if distance > search_s:
                continue
            key = (distance, -(b - a))
            if best is None or key < best[0]:
                best = (key, a, b)
        if best is not None:
            _, a, b = best
            left[1] = max(left[0], a)
            right[0] = min(right[1], b)
    return [
        Word(word=w.word, start_s=round(s, 4), end_s=round(e, 4), score=w.score, method=w.method)
        for w, (s, e) in zip(words, spans)
    ]
