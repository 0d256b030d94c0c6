"""Align-test fixtures: one loaded faster-whisper aligner per session, uncached."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def fw_aligner():
    from duplexsynth.align.backends.faster_whisper import FasterWhisperAligner

    aligner = FasterWhisperAligner(cpu_threads=2)
    aligner.load()
    return aligner
