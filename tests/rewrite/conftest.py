"""Fixtures of the rewrite tests: the loopback OpenAI-compatible server and a secret API key
in the environment (tests check it never reaches outputs, logs or the cache)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_llm import FakeLLM
from rewrite_helpers import SECRET


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return SECRET


@pytest.fixture()
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server
