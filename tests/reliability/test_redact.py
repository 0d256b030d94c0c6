"""The one redaction layer (issue 15, 2): what it removes and what it leaves alone."""

from __future__ import annotations

import json
import logging

import pytest

from duplexsynth.redact import RedactingFilter, redact, redact_value, register_key_env
from duplexsynth.schemas.records import Dialogue, Reject, Turn


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("speech server http://alice:pw-123456@host:8000/v1 failed", "pw-123456"),
        ("{'Authorization': 'Bearer abcdefgh12345'}", "abcdefgh12345"),
        ('"authorization": "Basic dXNlcjpwYXNzd29yZA=="', "dXNlcjpwYXNzd29yZA=="),
        ("sent with bearer abcdefgh12345 today", "abcdefgh12345"),
        ("GET /v1?api_key=zyx98765&x=1", "zyx98765"),
        ("key sk-proj-abcdefghijklmnop leaked", "abcdefghijklmnop"),
        ("hf_abcdefghijklmnopqrst", "abcdefghijklmnopqrst"),
    ],
)
def test_credentials_are_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and "***" in out


def test_configured_key_variables_are_masked_wherever_they_appear(monkeypatch) -> None:
    monkeypatch.setenv("CUSTOM_TTS_CRED", "opaque-value-42")
    register_key_env("CUSTOM_TTS_CRED")
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "another-opaque-99")
    assert redact("echo opaque-value-42 and another-opaque-99") == "echo *** and ***"


def test_ordinary_text_is_left_alone() -> None:
    for text in (
        "a basic understanding of the bearer of news",
        "turn 3: too_long 5000 characters > 4000",
        "email me at bob@example.com about the token economy",
        "http://127.0.0.1:8000/v1",
    ):
        assert redact(text) == text


def test_records_logs_and_nested_values_go_through_it(caplog) -> None:
    url = "http://u:pw-abcdef99@h/v1"
    r = Reject("f", 0, None, "synth", "tts_error", f"server {url} failed", "x")
    assert "pw-abcdef99" not in r.detail
    d = Dialogue(
        id="x", source_file="f", source_index=0, record_id=None, format="sharegpt",
        turns=(Turn(0, "user", "hi"),), params={"synth": {"version": f"openai-speech {url}"}},
    )  # fmt: skip
    assert "pw-abcdef99" not in d.to_row()["params"]
    assert json.loads(d.to_row()["params"])["synth"]["version"] == "openai-speech http://***@h/v1"
    assert redact_value({"a": [url, 3], "b": (url,)}) == {
        "a": ["http://***@h/v1", 3],
        "b": ("http://***@h/v1",),
    }
    record = logging.LogRecord("t", logging.WARNING, "p", 1, "failed: %s", (url,), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "failed: http://***@h/v1"
