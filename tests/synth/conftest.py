"""Fixtures for the synth tests: engines loaded once per session, a shared cache folder."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def espeak_backend():
    from duplexsynth.synth.backends.espeak import EspeakBackend

    backend = EspeakBackend()
    backend.load()
    return backend


@pytest.fixture(scope="session")
def piper_backend():
    from duplexsynth.synth.backends.piper import PiperBackend

    backend = PiperBackend()
    backend.load()
    return backend


@pytest.fixture(scope="session")
def kokoro_backend():
    from duplexsynth.synth.backends.kokoro import KokoroBackend

    # the patched model lands in the default cache dir, built once and reused by later sessions
    backend = KokoroBackend(threads=1)
    backend.load()
    return backend
