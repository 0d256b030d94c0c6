"""Renaming the ``synth.sample_rate`` key to ``sample_rate_hz`` kept the TTS cache keys: a cache
filled before the rename (or from a config that still says ``sample_rate``) is hit by a rerun."""

from __future__ import annotations

from pathlib import Path

import pytest
from _synthtools import FakeBackend

from duplexsynth.config import DeprecatedKeyWarning
from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.engine import Synthesizer, Utterance
from duplexsynth.synth.voices import load_voice_bank

#: Synthesizer.cache_key(espeak-us-m3, "Hello there.") at 16 kHz with the fake engine ("fake 1"),
#: as computed by the code before the rename (commit 65e6d3f): a user's cache stays valid
KEY_BEFORE_THE_RENAME = "703c0b94b21061bf27ea7ec63cffcce9590f36a0a3fa5aeacb95314c059a9447"
TEXT = "Hello there."


def _synthesizer(config: SynthConfig, engine: FakeBackend | None = None) -> Synthesizer:
    return Synthesizer(
        config, load_voice_bank("espeak"), backends={"espeak": engine or FakeBackend()}
    )


def test_the_key_is_the_one_from_before_the_rename() -> None:
    new = _synthesizer(SynthConfig(sample_rate_hz=16000, cache=False))
    with pytest.warns(DeprecatedKeyWarning):
        old = _synthesizer(SynthConfig.from_dict({"sample_rate": 16000, "cache": False}))
    voice = new.bank.get("espeak-us-m3")
    assert new.cache_key(voice, TEXT) == old.cache_key(voice, TEXT) == KEY_BEFORE_THE_RENAME
    # the rate is still part of the key
    other = _synthesizer(SynthConfig(sample_rate_hz=22050, cache=False))
    assert other.cache_key(voice, TEXT) != KEY_BEFORE_THE_RENAME


def test_a_rerun_with_the_new_key_hits_the_cache_of_the_old_one(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    first_engine, second_engine = FakeBackend(), FakeBackend()
    with pytest.warns(DeprecatedKeyWarning):
        old_config = SynthConfig.from_dict({"sample_rate": 16000, "cache_dir": cache})
    first = _synthesizer(old_config, first_engine)
    voice = first.bank.get("espeak-us-m3")
    made = first.render(voice, TEXT)
    assert isinstance(made, Utterance) and made.sample_rate == 16000
    assert first_engine.calls == [TEXT]

    again = _synthesizer(SynthConfig(sample_rate_hz=16000, cache_dir=cache), second_engine)
    assert again.render(voice, TEXT) == made
    assert second_engine.calls == []  # served from the cache
