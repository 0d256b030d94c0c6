"""The TTS backend base class owns the preamble of ``synthesize``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from duplexsynth.synth.backends.base import TTSBackend, TTSError, TTSResult


class _Echo(TTSBackend):
    name = "echo"
    param_keys = frozenset({"rate"})

    def __init__(self) -> None:
        self.loads = 0
        self.heard: list[tuple[str, str, list[str]]] = []

    def load(self) -> None:
        self.loads += 1

    def version(self) -> str:
        return "echo 1"

    def speak(
        self, text: str, spoken_text: str, spoken_tokens: list[str], params: dict[str, Any]
    ) -> TTSResult:
        self.heard.append((text, spoken_text, spoken_tokens))
        return TTSResult(np.zeros(160 * len(spoken_tokens), np.float32), 16000)


def test_synthesize_checks_loads_spells_then_speaks() -> None:
    b = _Echo()
    result = b.synthesize("It costs $5 in 1990.", {"rate": 1})
    assert b.loads == 1
    text, spoken, tokens = b.heard[0]
    assert text == "It costs $5 in 1990."
    assert tokens == ["It", "costs", "five dollars", "in", "nineteen ninety."]
    assert spoken == " ".join(tokens)
    assert result.duration_s == pytest.approx(0.05)


def test_synthesize_refuses_unknown_params_and_empty_text() -> None:
    b = _Echo()
    with pytest.raises(ValueError, match="'pitch'"):
        b.synthesize("hello", {"pitch": 3})
    with pytest.raises(TTSError, match="nothing to say"):
        b.synthesize("   ", {})
    assert b.heard == []
