"""Helpers for the synth tests: dialogues at the rewrite stage's output, fake engines."""

from __future__ import annotations

from typing import Any

import numpy as np

from duplexsynth.schemas.records import Dialogue, Turn
from duplexsynth.synth.backends.base import TTSBackend, TTSResult

LINES = (
    ("user", "Hi, could you tell me how to make a cup of tea?"),
    ("assistant", "Sure. Boil some water, pour it over a tea bag, and wait three minutes."),
    ("user", "Should I add milk?"),
    ("assistant", "That is up to you. Many people like a splash of milk."),
)


def rewritten(did: str = "dlg-0001", lines=LINES, index: int = 0) -> Dialogue:
    """A dialogue as the rewrite stage leaves it (spoken_text filled)."""
    turns = tuple(Turn(i, spk, text, spoken_text=text) for i, (spk, text) in enumerate(lines))
    return Dialogue(
        id=did,
        source_file="sample.jsonl",
        source_index=index,
        record_id=None,
        format="sharegpt",
        turns=turns,
        rewrite_method="rules",
    )


def tone(seconds: float, sr: int = 22050, amp: float = 0.3, freq: float = 220.0) -> np.ndarray:
    """A speech-like test signal: a tone with a 4 Hz syllable envelope."""
    t = np.arange(int(seconds * sr)) / sr
    env = 0.5 + 0.5 * np.abs(np.sin(2 * np.pi * 2.0 * t))
    return (amp * env * np.sin(2 * np.pi * freq * t)).astype(np.float32)


class FakeBackend(TTSBackend):
    """A scripted engine: ``behaviour(text)`` returns a TTSResult or raises. Counts its calls."""

    name = "espeak"  # stands in for a backend name the bank uses
    param_keys = frozenset({"voice", "variant", "rate", "pitch", "range", "wordgap"})

    def __init__(self, behaviour=None) -> None:
        self.behaviour = behaviour or (lambda text: plausible(text))
        self.calls: list[str] = []
        self.loaded = 0

    def load(self) -> None:
        self.loaded += 1

    def version(self) -> str:
        return "fake 1"

    def synthesize(self, text: str, params: dict[str, Any]) -> TTSResult:
        self.calls.append(text)
        return self.behaviour(text)


def plausible(text: str, sr: int = 22050) -> TTSResult:
    """About 3 words per second of tone, with even word timings."""
    words = text.split()
    dur = 0.35 * max(1, len(words)) + 0.2
    audio = tone(dur, sr)
    step = (dur - 0.1) / max(1, len(words))
    timings = tuple((w, 0.05 + i * step, 0.05 + (i + 1) * step - 0.02) for i, w in enumerate(words))
    return TTSResult(audio=audio, sample_rate=sr, words=timings)
