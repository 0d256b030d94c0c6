"""Exit status of the stage commands: like ``run``, a non-empty input that yields nothing is
exit 1 with one line naming the cause; an empty input is a warning and exit 0."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.pipelines import io

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rewrite"))
from rewrite_helpers import SECRET, dialogue  # noqa: E402


def _sharegpt(i: int, user: str, assistant: str) -> str:
    conv = [{"from": "human", "value": user}, {"from": "gpt", "value": assistant}]
    return json.dumps({"id": f"d{i}", "conversations": conv})


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_filter_that_keeps_nothing_exits_1_naming_stage_reason_and_rejects(tmp_path: Path):
    src = tmp_path / "code.jsonl"
    src.write_text(
        _sharegpt(1, "Fix this, please.", "Here:\n```python\nx = 2\n```\nDone.")
        + "\n"
        + _sharegpt(2, "And this one?", "Try:\n```bash\nls -la /tmp\n```")
        + "\n"
    )
    out = tmp_path / "out"
    res = _invoke("filter", "--input", str(src), "--output", str(out))
    assert res.exit_code == 1, res.output
    (line,) = _error_lines(res.output)
    assert "no dialogue written from 2 input record(s): 2 rejected at filter (code)" in line
    assert str(out / "rejects" / "filter") in line
    # the run itself finished: summary written, no run marker left
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kept"] == 0 and summary["rejected"] == {"code": 2}
    assert not (out / "_RUNNING").exists() and not (out / "_FAILED").exists()


def test_filter_that_keeps_something_exits_0(tmp_path: Path):
    src = tmp_path / "mixed.jsonl"
    src.write_text(
        _sharegpt(1, "Fix this, please.", "Here:\n```python\nx = 2\n```\nDone.")
        + "\n"
        + _sharegpt(2, "How are you today?", "I am fine, thank you for asking.")
        + "\n"
    )
    res = _invoke("filter", "--input", str(src), "--output", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert not _error_lines(res.output)


def test_stage_over_an_empty_input_warns_and_exits_0(tmp_path: Path):
    src = tmp_path / "empty.jsonl"
    src.write_text("")
    res = _invoke("filter", "--input", str(src), "--output", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert "the input holds no records; nothing to do" in res.output


@pytest.fixture
def _llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def test_rewrite_against_a_closed_port_exits_1_naming_the_server(tmp_path: Path, _llm_env):
    """A transform stage: every dialogue is rejected because nothing listens at the LLM URL."""
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rows = [dialogue(i, f"Is {i} + 1 = {i + 1}?", "Yes.").to_row() for i in range(3)]
    io.write_stage_rows(tmp_path / "in", "filter", rows)
    res = _invoke(
        "rewrite", "-i", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
        "--llm-base-url", f"http://127.0.0.1:{port}/v1", "--llm-model", "m",
        "--max-attempts", "1", "--no-cache",
    )  # fmt: skip
    assert res.exit_code == 1, res.output
    (line,) = _error_lines(res.output)
    assert "3 rejected at rewrite (llm_error)" in line
    assert "the server could not be reached" in line and "--llm-base-url" in line
    assert SECRET not in res.output


def test_augment_noise_dir_that_does_not_exist_is_one_line(tmp_path: Path):
    res = _invoke(
        "augment", "-i", str(tmp_path), "-o", str(tmp_path / "o"),
        "--noise-dir", str(tmp_path / "no-such-folder"),
    )  # fmt: skip
    assert res.exit_code == 2
    assert _error_lines(res.output) == [
        f"error: --noise-dir {str(tmp_path / 'no-such-folder')!r} does not exist"
    ]
    (tmp_path / "a-file").write_text("x")
    res = _invoke(
        "augment", "-i", str(tmp_path), "-o", str(tmp_path / "o"),
        "--rir-dir", str(tmp_path / "a-file"),
    )  # fmt: skip
    assert res.exit_code == 2 and "'--rir-dir'" in res.output and "is a file" in res.output
    assert not (tmp_path / "o").exists()
