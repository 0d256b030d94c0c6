"""The mix stage's input boundary: check an aligned dialogue, then decode it once.

``check_dialogue`` names the first contract violation (a turn without audio or words, a bad
speaker, words outside the audio...) so the stage can reject the dialogue as ``bad_input``.
``prepare`` decodes every turn and backchannel clip to float32 at the mix sample rate and
measures the speech level (RMS over the word spans) the backchannel levels are relative to.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from duplexsynth.audio import decode_audio, resample, rms
from duplexsynth.schemas.records import ASSISTANT, SPEAKERS, USER, Dialogue, Word

#: words may end this far past the end of their audio (aligner rounding); they are clamped
WORD_END_TOLERANCE_S = 0.05
_PUNCT_END = re.compile(r"[.,;:!?，。；：！？、…]+[\"')\]”’）」』]*$")


@dataclass(frozen=True)
class Clip:
    """Decoded mono audio at the mix rate with its word times (seconds from the clip start)."""

    audio: np.ndarray
    words: tuple[Word, ...]
    speech_rms: float

    @property
    def num_samples(self) -> int:
        return int(self.audio.shape[0])


@dataclass(frozen=True)
class LexiconEntry:
    """One backchannel (or stop-command) token from ``Dialogue.backchannels``."""

    index: int
    speaker: str
    voice: str
    text: str
    clip: Clip
    is_stop_command: bool


@dataclass(frozen=True)
class PreparedDialogue:
    """An aligned dialogue decoded for mixing."""

    dialogue: Dialogue
    sample_rate: int
    clips: tuple[Clip, ...]  # one per turn, same order as dialogue.turns
    lexicon: tuple[LexiconEntry, ...]


def normalize_token(text: str) -> str:
    """Lower-case, single-spaced, without trailing sentence punctuation (for lexicon matching)."""
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(".!?;: 。！？；：")


def ends_with_punctuation(word: str) -> bool:
    """True when a word ends a phrase in writing (``boil.``, ``first,``)."""
    return bool(_PUNCT_END.search(word))


def _check_words(words, duration_s: float, what: str) -> str | None:
    if not words:
        return f"{what} has no word alignments (run `duplexsynth align` first)"
    prev = -math.inf
    for w in words:
        if not (math.isfinite(w.start_s) and math.isfinite(w.end_s)):
            return f"{what} word {w.word!r} has a non-finite time ({w.start_s}, {w.end_s})"
        if w.start_s < 0 or w.end_s < w.start_s:
            return f"{what} word {w.word!r} has a bad span ({w.start_s}, {w.end_s})"
        if w.start_s > duration_s or w.end_s > duration_s + WORD_END_TOLERANCE_S:
            return (
                f"{what} word {w.word!r} ({w.start_s:.3f}-{w.end_s:.3f} s) lies outside its "
                f"{duration_s:.3f} s of audio"
            )
        if w.start_s < prev - 1e-9:
            return f"{what} words are not sorted by start time at {w.word!r}"
        prev = w.start_s
    return None


def check_dialogue(d: Dialogue) -> str | None:
    """The first reason ``d`` cannot be mixed, or ``None`` when it meets the input contract."""
    if not d.turns:
        return "dialogue has no turns"
    if d.turns[0].speaker != USER:
        return f"the first turn is spoken by {d.turns[0].speaker!r}; dialogues start with the user"
    seen = set()
    for t in d.turns:
        what = f"turn {t.turn_index}"
        if t.turn_index in seen:
            return f"turn index {t.turn_index} appears twice"
        seen.add(t.turn_index)
        if t.speaker not in SPEAKERS:
            return f"{what} has speaker {t.speaker!r}; expected user or assistant"
        if t.audio is None or not t.audio.bytes:
            return f"{what} has no audio (run `duplexsynth synth` first)"
        if not t.sample_rate or t.sample_rate <= 0:
            return f"{what} has a bad sample_rate {t.sample_rate!r}"
        if t.duration_s is None or not t.duration_s > 0:
            return f"{what} has a bad duration_s {t.duration_s!r}"
        bad = _check_words(t.words, float(t.duration_s), what)
        if bad:
            return bad
    for i, b in enumerate(d.backchannels or ()):
        what = f"backchannel {i} ({b.text!r})"
        if b.speaker not in SPEAKERS:
            return f"{what} has speaker {b.speaker!r}; expected user or assistant"
        if b.audio is None or not b.audio.bytes or not b.sample_rate or not b.duration_s:
            return f"{what} has no usable audio"
        if b.words:
            bad = _check_words(b.words, float(b.duration_s), what)
            if bad:
                return bad
    return None


def _mono(data: bytes, sample_rate: int, what: str) -> np.ndarray:
    audio, sr = decode_audio(data)
    if audio.ndim == 2:
        if audio.shape[1] != 1:
            raise ValueError(f"{what} audio has {audio.shape[1]} channels; expected mono")
        audio = audio[:, 0]
    if sr != sample_rate:
        audio = resample(audio, sr, sample_rate)
    return np.ascontiguousarray(audio, dtype=np.float32)


def _clamp_words(words, duration_s: float) -> tuple[Word, ...]:
    return tuple(
        w
        if w.end_s <= duration_s
        else Word(w.word, min(w.start_s, duration_s), duration_s, w.score, w.method)
        for w in words
    )


def speech_rms(audio: np.ndarray, words, sample_rate: int) -> float:
    """RMS over the samples inside the word spans (the whole clip when that is empty)."""
    n = audio.shape[0]
    mask = np.zeros(n, dtype=bool)
    for w in words:
        a = max(0, int(round(w.start_s * sample_rate)))
        b = min(n, int(round(w.end_s * sample_rate)))
        mask[a:b] = True
    return rms(audio[mask] if mask.any() else audio)


def _clip(audio: np.ndarray, words, sample_rate: int) -> Clip:
    words = _clamp_words(words, audio.shape[0] / sample_rate)
    audio.setflags(write=False)
    return Clip(audio=audio, words=words, speech_rms=speech_rms(audio, words, sample_rate))


def mix_sample_rate(d: Dialogue, requested: int | None) -> int:
    """The output rate: ``requested`` or the first turn's rate."""
    return int(requested) if requested else int(d.turns[0].sample_rate)


def prepare(d: Dialogue, sample_rate: int, stop_command_texts: tuple[str, ...]) -> PreparedDialogue:
    """Decode every turn and lexicon clip of a checked dialogue at ``sample_rate``."""
    clips = []
    for t in d.turns:
        audio = _mono(t.audio.bytes, sample_rate, f"turn {t.turn_index}")
        clips.append(_clip(audio, t.words, sample_rate))
    stops = {normalize_token(s) for s in stop_command_texts}
    lexicon = []
    for i, b in enumerate(d.backchannels or ()):
        audio = _mono(b.audio.bytes, sample_rate, f"backchannel {i}")
        words = b.words or (Word(b.text, 0.0, audio.shape[0] / sample_rate, method="whole_clip"),)
        lexicon.append(
            LexiconEntry(
                index=i,
                speaker=b.speaker,
                voice=b.voice,
                text=b.text,
                clip=_clip(audio, words, sample_rate),
                is_stop_command=normalize_token(b.text) in stops,
            )
        )
    return PreparedDialogue(d, sample_rate, tuple(clips), tuple(lexicon))


#: sound quieter than this (dB under the clip's speech RMS) is silence for ``audible_end_s``
AUDIBLE_DB = 35.0


def audible_end_s(clip: Clip, k: int, sample_rate: int) -> float:
    """When word ``k``'s sound really stops (s from the clip start): the first 10 ms frame
    after its aligned end, and before the next word, whose RMS is ``AUDIBLE_DB`` under the
    clip's speech RMS. Engines' word ends differ in how much decay they include."""
    w = clip.words[k]
    a = int(round(w.end_s * sample_rate))
    nxt = clip.words[k + 1].start_s if k + 1 < len(clip.words) else clip.num_samples / sample_rate
    b = min(clip.num_samples, int(round(nxt * sample_rate)))
    hop = max(1, sample_rate // 100)
    n = (b - a) // hop
    if n <= 0 or clip.speech_rms <= 0:
        return w.end_s
    seg = clip.audio[a : a + n * hop].astype(np.float64).reshape(n, hop)
    rms = np.sqrt(np.mean(seg * seg, axis=1))
    quiet = np.flatnonzero(rms < clip.speech_rms * 10 ** (-AUDIBLE_DB / 20))
    first = int(quiet[0]) if quiet.size else n
    return (a + first * hop) / sample_rate


def audible_start_s(clip: Clip, k: int, sample_rate: int) -> float:
    """When word ``k``'s sound really starts: the end of the last quiet 10 ms frame (see
    :func:`audible_end_s`) between the previous word's end (or the clip start) and its aligned
    start."""
    w = clip.words[k]
    b = int(round(w.start_s * sample_rate))
    prev = clip.words[k - 1].end_s if k > 0 else 0.0
    a = max(0, int(round(prev * sample_rate)))
    hop = max(1, sample_rate // 100)
    n = (b - a) // hop
    if n <= 0 or clip.speech_rms <= 0:
        return w.start_s
    seg = clip.audio[b - n * hop : b].astype(np.float64).reshape(n, hop)
    rms = np.sqrt(np.mean(seg * seg, axis=1))
    quiet = np.flatnonzero(rms < clip.speech_rms * 10 ** (-AUDIBLE_DB / 20))
    last = int(quiet[-1]) if quiet.size else -1
    return (b - (n - last - 1) * hop) / sample_rate


def other(speaker: str) -> str:
    return ASSISTANT if speaker == USER else USER
