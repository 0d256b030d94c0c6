"""``duplexsynth run`` in a fresh process against loopback TTS servers that fail, hang or echo
the request headers, with credentials in the URL and the key variable (issue 15, 2/3/7)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from _servers import SpeechServer, cli, served_bank, tiny_corpus

KEY = "tts-key-ABCDEF123456"
URL_PASSWORD = "pw-s3cret-99"


def _served_run(tmp_path: Path, url: str, *extra: str, out: Path | None = None):
    corpus = tiny_corpus(tmp_path / "in.jsonl")
    bank = served_bank(tmp_path / "bank.yaml")
    out = out or tmp_path / "out"
    result = cli(
        "run", "--input", str(corpus), "--output", str(out), "--voice-bank", str(bank),
        "--set", f"synth.tts_base_url={url}", "--set", "synth.tts_max_retries=0",
        "--set", "synth.tts_api_key_env=MY_TTS_KEY", *extra,
        env={"MY_TTS_KEY": KEY, "DUPLEXSYNTH_CACHE": str(tmp_path / "cache")},
    )  # fmt: skip
    return result, out


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_echoed_credentials_never_reach_outputs_or_stderr_and_auth_failure_exits_1(
    tmp_path: Path,
):
    with SpeechServer("echo401") as server:
        url = server.url.replace("http://", f"http://alice:{URL_PASSWORD}@")
        result, out = _served_run(tmp_path, url)
    assert result.returncode == 1, result.stderr
    (line,) = _error_lines(result.stderr)
    assert "no dialogue written from 2 input record(s)" in line
    assert "refused the credentials" in line and "OPENAI_API_KEY" in line
    everything = _all_bytes(out) + result.stderr.encode() + result.stdout.encode()
    assert b"Authorization" in everything  # the echoed headers did reach the rejects ...
    for secret in (KEY, URL_PASSWORD):  # ... but not the key, in any file or on stderr
        assert secret.encode() not in everything, secret
    assert "http://***@127.0.0.1" in (out / "config.yaml").read_text()


def test_unreachable_server_fails_in_preflight_before_the_pipeline(tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    result, out = _served_run(tmp_path, f"http://127.0.0.1:{port}/v1")
    assert result.returncode == 2, result.stderr
    (line,) = _error_lines(result.stderr)
    assert f"cannot reach the TTS server at http://127.0.0.1:{port}/v1" in line
    assert "--tts-base-url" in line and "Connection refused" in line
    assert "[run]" not in result.stderr  # the pipeline never started
    assert not (out / "dialogues").exists()


@pytest.mark.parametrize(
    ("mode", "extra", "said"),
    [
        ("fail", (), "tts_error"),
        ("hang", ("--set", "synth.tts_timeout_s=0.5"), "every request timed out"),
    ],
)
def test_every_request_failing_exits_1_with_one_line(tmp_path: Path, mode, extra, said):
    with SpeechServer(mode) as server:
        result, out = _served_run(tmp_path, server.url, *extra)
        assert server.requests >= 2
    assert result.returncode == 1, result.stderr
    (line,) = _error_lines(result.stderr)
    assert "no dialogue written from 2 input record(s): 2 rejected at synth (tts_error)" in line
    assert said in line
    assert (out / "summary.json").exists() and not (out / "_RUNNING").exists()


def test_empty_input_file_warns_and_exits_0(tmp_path: Path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = cli(
        "run", "--input", str(empty), "--output", str(tmp_path / "out"), "--voice-bank", "espeak",
        env={"DUPLEXSYNTH_CACHE": str(tmp_path / "cache")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"warning: input file {empty} is empty" in result.stderr
    assert "warning: the input holds no records" in result.stderr


def test_unreachable_llm_server_fails_in_preflight(tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    result = cli(
        "run", "--input", str(tiny_corpus(tmp_path / "in.jsonl")), "--output", str(out),
        "--llm-base-url", f"http://key:sk-abcdefghijklmnop@127.0.0.1:{port}/v1",
        "--llm-model", "m",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    (line,) = _error_lines(result.stderr)
    assert (
        "cannot reach the LLM server at http://***@127.0.0.1" in line and "--llm-base-url" in line
    )
    assert "abcdefghijklmnop" not in result.stderr and not out.exists()
