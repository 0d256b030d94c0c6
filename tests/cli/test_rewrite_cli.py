"""``duplexsynth rewrite`` end to end: rules, and the LLM path against a loopback server."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.pipelines import io

# the loopback OpenAI-compatible server and dialogue helpers live with the rewrite tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rewrite"))
from fake_llm import FakeLLM  # noqa: E402
from rewrite_helpers import SECRET, dialogue  # noqa: E402


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("DUPLEXSYNTH_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("DUPLEXSYNTH_LLM_MODEL", raising=False)


def _invoke(*args: str):
    return CliRunner().invoke(main, ["rewrite", *args], catch_exceptions=False)


def _parts(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob("part-*.parquet"))]


def _all_output_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_rules_end_to_end_and_byte_identical_rerun(tmp_path: Path) -> None:
    rows = [
        dialogue(0, "What's 15% of $200?", "It's **$30**.").to_row(),
        dialogue(1, "When is it?", "On 2024-03-15 at 3:30 PM.").to_row(),
        dialogue(2, "List colors.", "- Red\n- Green\n- Blue").to_row(),
        dialogue(3, "Sum ∑ it.", "No.").to_row(),  # the rules cannot speak it
        {"id": "dlg-0004", "source_file": "tiny.jsonl", "source_index": 4, "turns": [{}]},
    ]
    io.write_stage_rows(tmp_path / "in", "filter", rows)
    result = _invoke("-i", str(tmp_path / "in"), "-o", str(tmp_path / "a"), "--seed", "3")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["stage"] == "rewrite" and summary["rewrite_method"] == "rules"
    assert summary["input_records"] == 5 == summary["kept"] + sum(summary["rejected"].values())
    assert summary["rejected"] == {"bad_input": 1, "rewrite_error": 1}
    out = {r["id"]: r for r in io.read_folder_rows(tmp_path / "a" / "rewritten")}
    assert out["dlg-0000"]["turns"][1]["spoken_text"] == "It's thirty dollars."
    assert out["dlg-0001"]["turns"][1]["spoken_text"] == (
        "On March fifteenth, twenty twenty-four at three thirty p m."
    )
    assert out["dlg-0002"]["turns"][1]["spoken_text"] == "Red, green and blue."
    assert all(r["rewrite_method"] == "rules" and r["rewrite_seed"] == 3 for r in out.values())
    rejects = {r["id"]: r for r in io.read_folder_rows(tmp_path / "a" / "rejects" / "rewrite")}
    assert "'∑'" in rejects["dlg-0003"]["detail"]

    again = _invoke("-i", str(tmp_path / "in"), "-o", str(tmp_path / "b"), "--seed", "3")
    assert again.exit_code == 0
    assert _parts(tmp_path / "a" / "rewritten") == _parts(tmp_path / "b" / "rewritten")
    assert _parts(tmp_path / "a" / "rejects" / "rewrite") == _parts(
        tmp_path / "b" / "rejects" / "rewrite"
    )


def test_llm_end_to_end_rejects_retries_and_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rows = [
        dialogue(0, "Is 2 + 2 really 4?", "Yes, 2 + 2 = 4."),
        dialogue(1, "Name 3 colors.", "Red, green and blue."),
        dialogue(2, "Where does the heron nest?", "Near water."),  # fixed by the retry
        dialogue(3, "How heavy is a walrus?", "Up to 1,500 kg."),  # 429 + Retry-After first
        dialogue(4, "Describe a zebra.", "Stripes."),  # not JSON, twice
        dialogue(5, "How tall is a giraffe?", "About 5 m."),  # one turn missing, twice
        dialogue(6, "Is it done?", "Almost."),
        dialogue(7, "Is the falcon fast?", "Very."),  # 500 every time
        dialogue(8, "Is the tortoise slow?", "Very."),  # answers after the timeout
    ]
    io.write_stage_rows(tmp_path / "in", "filter", [d.to_row() for d in rows])
    config = tmp_path / "rewrite.yaml"
    config.write_text(
        "rewrite:\n  temperature: 0.3\n  backoff_base_s: 0.01\n  backoff_max_s: 0.05\n"
    )
    with FakeLLM(slow_s=1.0) as fake:
        common = [
            "-i", str(tmp_path / "in"),
            "--llm-base-url", fake.base_url,
            "--llm-model", "fake-model",
            "--cache-dir", str(tmp_path / "cache"),
            "--timeout-s", "0.3",
            "--max-attempts", "2",
            "--concurrency", "4",
            "--temperature", "0.2",
            "--config", str(config),
        ]  # fmt: skip
        first = _invoke(*common, "-o", str(tmp_path / "a"))
        assert first.exit_code == 0, first.output
        sent_first = fake.count
        summary = json.loads((tmp_path / "a" / "summary.json").read_text())
        assert summary["input_records"] == 9 == summary["kept"] + sum(summary["rejected"].values())
        assert summary["kept"] == 5
        assert summary["rejected"] == {"llm_error": 2, "llm_invalid": 2}
        assert summary["rewrite_method"] == "llm" and summary["llm_model"] == "fake-model"
        # 5 good (heron twice, walrus twice) + 2 invalid x 2 + falcon 2 + tortoise 2
        assert sent_first == 5 + 2 + 2 * 2 + 2 + 2
        assert {r["body"]["temperature"] for r in fake.requests} == {0.2}  # flag beats file

        out = {r["id"]: r for r in io.read_folder_rows(tmp_path / "a" / "rewritten")}
        assert out["dlg-0000"]["turns"][1]["spoken_text"] == "Sure. Yes, two plus two equals four."
        assert out["dlg-0003"]["turns"][1]["spoken_text"] == (
            "Sure. Up to one thousand five hundred kilograms."
        )
        assert all(r["rewrite_model"] == "fake-model" for r in out.values())
        assert all(r["rewrite_temperature"] == 0.2 for r in out.values())
        assert json.loads(out["dlg-0002"]["params"])["rewrite"]["repaired"] is True
        rejects = {r["id"]: r for r in io.read_folder_rows(tmp_path / "a" / "rejects" / "rewrite")}
        assert rejects["dlg-0004"]["reason"] == "llm_invalid"
        assert "expected 2 turns, got 1" in rejects["dlg-0005"]["detail"]
        assert "(500)" in rejects["dlg-0007"]["detail"]
        assert "timed out after 0.3 s" in rejects["dlg-0008"]["detail"]

        # rerun: answers and verdicts come from the cache; only transport failures are retried
        second = _invoke(*common, "-o", str(tmp_path / "b"))
        assert second.exit_code == 0
        assert fake.count == sent_first + 2 + 2
        assert _parts(tmp_path / "a" / "rewritten") == _parts(tmp_path / "b" / "rewritten")
        # the first seven dialogues alone: zero requests
        third = _invoke(*common, "-o", str(tmp_path / "c"), "--limit", "7")
        assert third.exit_code == 0
        assert fake.count == sent_first + 4
        assert json.loads((tmp_path / "c" / "summary.json").read_text())["kept"] == 5

    assert fake.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    for text in (first.output, second.output, third.output, caplog.text):
        assert SECRET not in text
    for root in ("a", "b", "c", "cache"):
        assert SECRET.encode() not in _all_output_bytes(tmp_path / root)


def test_user_errors_exit_cleanly(tmp_path: Path) -> None:
    io.write_stage_rows(tmp_path / "in", "filter", [dialogue(0, "Hi.", "Hello.").to_row()])
    r = _invoke(
        "-i", str(tmp_path / "in"), "-o", str(tmp_path / "o"), "--llm-base-url", "http://x/v1"
    )
    assert r.exit_code == 2 and "no llm_model is set" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("rewrite:\n  temprature: 1\n")
    r = _invoke("-i", str(tmp_path / "in"), "-o", str(tmp_path / "o"), "--config", str(bad))
    assert r.exit_code == 2 and "temprature" in r.output
    r = _invoke("-i", str(tmp_path / "nothing"), "-o", str(tmp_path / "o"))
    assert r.exit_code == 2 and "duplexsynth filter" in r.output


def test_help_explains_backends() -> None:
    r = CliRunner().invoke(main, ["rewrite", "--help"])
    assert r.exit_code == 0
    for needle in ("vLLM", "Ollama", "OpenAI", "--llm-base-url", "OPENAI_API_KEY", "rules"):
        assert needle in r.output


@pytest.mark.slow
def test_llm_path_survives_the_portable_runner(tmp_path: Path) -> None:
    rows = [dialogue(i, f"Is {i} + 1 = {i + 1}?", "Yes.").to_row() for i in range(5)]
    rows.append(dialogue(5, "Describe a zebra.", "Stripes.").to_row())
    io.write_stage_rows(tmp_path / "in", "filter", rows)
    with FakeLLM() as fake:
        result = _invoke(
            "-i", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
            "--llm-base-url", fake.base_url, "--llm-model", "fake-model",
            "--cache-dir", str(tmp_path / "cache"),
            "--", "--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert fake.count == 5 + 2
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (summary["kept"], summary["rejected"]) == (5, {"llm_invalid": 1})
    rows_out = io.read_folder_rows(tmp_path / "out" / "rewritten")
    assert rows_out[1]["turns"][0]["spoken_text"] == "Is one plus one equals two?"
