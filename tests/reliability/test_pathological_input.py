"""Pathological input through the real ``duplexsynth filter`` CLI: every row ends as a reject
with a machine-readable reason and a detail that says what was measured (issue 15, 1/6/10)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.heuristics import screen_text
from duplexsynth.pipelines import io


def _sharegpt(i: int, *turns: str) -> str:
    roles = ["human", "gpt"] * len(turns)
    conv = [{"from": r, "value": t} for r, t in zip(roles, turns)]
    return json.dumps({"id": f"d{i}", "conversations": conv})


def _filter(tmp_path: Path, src: Path, exit_code: int = 0) -> tuple[dict, dict[str, dict]]:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["filter", "--input", str(src), "--output", str(out)], catch_exceptions=False
    )
    assert result.exit_code == exit_code, result.output
    summary = json.loads((out / "summary.json").read_text())
    rejects = {
        r["record_id"] or r["source_file"]: r
        for r in io.read_folder_rows(out / "rejects" / "filter")
    }
    return summary, rejects


def test_giant_token_and_giant_turn_are_too_long_with_the_measurement(tmp_path: Path):
    src = tmp_path / "in.jsonl"
    lines = [
        _sharegpt(1, "Tell me a word.", "x" * 500_000),
        _sharegpt(2, "Say " + "blah " * 1000, "ok fine then."),
        _sharegpt(3, "Hello there, how are you?", "I am fine, thank you for asking."),
    ]
    src.write_text("\n".join(lines) + "\n")
    summary, rejects = _filter(tmp_path, src)
    assert rejects["d1"]["reason"] == "too_long"
    assert "500000 characters" in rejects["d1"]["detail"]
    assert rejects["d2"]["reason"] == "too_long"
    assert "5004 characters > 4000" in rejects["d2"]["detail"]
    assert "d3" not in rejects


def test_longest_token_is_measured_but_cjk_text_is_not_one_token():
    config = FilterConfig(language="any")
    found = screen_text("a fine " + "y" * 61 + " turn", config)
    assert found is not None and found.rule == "too_long token of 61 characters > 60"
    assert (
        screen_text("你好" * 60, config) is None
        or "token" not in screen_text("你好" * 60, config).rule
    )


def test_json_nested_ten_thousand_deep_is_malformed_not_a_stage_error(tmp_path: Path):
    deep = "[" * 10_000 + "]" * 10_000
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "deep", "conversations": '
        + deep
        + "}\n"
        + _sharegpt(2, "Hi there.", "Hello to you.")
        + "\n"
    )
    summary, rejects = _filter(tmp_path, src)
    (row,) = [r for r in rejects.values()]
    assert row["reason"] == "malformed"
    assert "nested too deeply" in row["detail"]
    whole = tmp_path / "deep.json"
    whole.write_text(deep)
    (tmp_path / "out2").mkdir()
    summary, rejects = _filter(tmp_path / "out2", whole, exit_code=1)  # nothing kept: exit 1
    (row,) = [r for r in rejects.values()]
    assert row["reason"] == "malformed" and "nested too deeply" in row["detail"]


def test_latex_math_is_math_not_code():
    config = FilterConfig()
    for text in (r"\int_0^1 x^2 dx = \frac{1}{3}", r"So $\int_0^1 x^2 dx$ is a third."):
        found = screen_text(text, config)
        assert found is not None and found.reason == "math", (text, found)
    found = screen_text("then call my_func again", config)
    assert found is not None and found.reason == "code"


def test_stages_after_the_filter_guard_their_own_input_size():
    """A giant turn read with --from (skipping the filter) is bad_input, not a TTS request."""
    from duplexsynth.rewrite.config import RewriteConfig
    from duplexsynth.rewrite.process import rewrite_dialogue
    from duplexsynth.schemas.records import Dialogue, Reject, Turn
    from duplexsynth.synth.processor import validate_dialogue

    giant = "x" * 500_000
    d = Dialogue(
        id="g", source_file="in.jsonl", source_index=0, record_id=None, format="sharegpt",
        turns=(Turn(0, "user", "Hello there."), Turn(1, "assistant", giant)),
    )  # fmt: skip
    out = rewrite_dialogue(d, RewriteConfig(), seed=1)
    assert isinstance(out, Reject) and out.reason == "bad_input"
    assert "500000 characters > 20000" in out.detail
    spoken = d.replace(turns=tuple(t.replace(spoken_text=t.source_text) for t in d.turns))
    try:
        validate_dialogue(spoken)
    except ValueError as exc:
        assert "500000 characters" in str(exc)
    else:
        raise AssertionError("synth accepted a 500,000-character turn")
    token = d.replace(turns=(Turn(0, "user", "Hi.", spoken_text="Hi."),
                             Turn(1, "assistant", "y" * 300, spoken_text="y" * 300)))  # fmt: skip
    try:
        validate_dialogue(token)
    except ValueError as exc:
        assert "token of 300 characters" in str(exc)
    else:
        raise AssertionError("synth accepted a 300-character token")
