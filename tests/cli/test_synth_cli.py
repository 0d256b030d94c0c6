"""`duplexsynth synth` end to end on a small rewritten input (espeak bank: fast, real speech)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "synth"))
from _synthtools import rewritten  # noqa: E402

from duplexsynth.audio import decode_audio  # noqa: E402
from duplexsynth.cli.main import main  # noqa: E402
from duplexsynth.pipelines import io  # noqa: E402

QUESTIONS = (
    "What is a good way to start running?",
    "Can you recommend a book about space?",
    "How do I keep basil alive indoors?",
    "Why is the sky blue?",
    "What should I pack for a weekend trip?",
    "How long should I boil an egg?",
    "Is it better to walk or cycle to work?",
    "What is a fun fact about octopuses?",
)


@pytest.fixture(scope="module")
def rewritten_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rewritten")
    rows = []
    for i, q in enumerate(QUESTIONS):
        lines = (
            ("user", q),
            ("assistant", f"Good question. Here is a short answer number {i + 1}."),
        )
        rows.append(rewritten(f"dlg-{i:04d}", lines, i).to_row())
    broken = rewritten("dlg-broken", (("user", "Hello?"), ("assistant", "Hi.")), 99).to_row()
    broken["turns"][1]["spoken_text"] = None  # never rewritten: must become a bad_input reject
    rows.append(broken)
    io.write_stage_rows(root, "rewrite", rows)
    return root


def _run(args: list[str]):
    result = CliRunner().invoke(main, ["synth", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_cli_synthesizes_distinct_user_voices_and_the_assistant(
    rewritten_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    _run(
        [
            "-i",
            str(rewritten_root),
            "-o",
            str(out),
            "--seed",
            "3",
            "--voice-bank",
            "espeak",
            "--cache-dir",
            str(cache),
        ]
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stage"] == "synth" and summary["input_records"] == 9
    assert summary["kept"] == 8 and summary["rejected"] == {"bad_input": 1}
    assert summary["assistant_voice"] == "espeak-us-m3" and summary["audio_hours"] > 0
    rows = io.read_folder_rows(out / "synthesized")
    users = {r["user_voice"] for r in rows}
    assert len(users) >= 3 and "espeak-us-m3" not in users
    assert {r["assistant_voice"] for r in rows} == {"espeak-us-m3"}
    for r in rows:
        for t in r["turns"]:
            audio, sr = decode_audio(t["audio"]["bytes"])
            assert sr == 24000 and len(audio) / sr == pytest.approx(t["duration_s"], abs=1e-4)
            assert len(t["tts_words"]) == len(t["spoken_text"].split())
        assert {b["speaker"] for b in r["backchannels"]} == {"user", "assistant"}
        assert json.loads(r["params"])["synth"]["user_voice"] == r["user_voice"]
    rejects = io.read_folder_rows(out / "rejects" / "synth")
    assert [(x["record_id"], x["reason"]) for x in rejects] == [(None, "bad_input")]
    assert "turn 1" in rejects[0]["detail"]
    # a rerun into another folder (cache warm) and one without the cache give the same bytes
    _run(
        [
            "-i",
            str(rewritten_root),
            "-o",
            str(tmp_path / "again"),
            "--seed",
            "3",
            "--voice-bank",
            "espeak",
            "--cache-dir",
            str(cache),
        ]
    )
    _run(
        [
            "-i",
            str(rewritten_root),
            "-o",
            str(tmp_path / "cold"),
            "--seed",
            "3",
            "--voice-bank",
            "espeak",
            "--no-cache",
        ]
    )
    first = (out / "synthesized" / "part-00000.parquet").read_bytes()
    assert (tmp_path / "again" / "synthesized" / "part-00000.parquet").read_bytes() == first
    assert (tmp_path / "cold" / "synthesized" / "part-00000.parquet").read_bytes() == first


def test_cli_config_file_and_flags(rewritten_root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        "synth:\n  voice_bank: espeak\n  sample_rate_hz: 16000\n  backchannels: ['Yeah.']\n  stop_commands: ['Hold on.']\n"
    )
    out = tmp_path / "out"
    _run(
        [
            "-i",
            str(rewritten_root),
            "-o",
            str(out),
            "--limit",
            "2",
            "--config",
            str(cfg),
            "--sample-rate",
            "22050",
            "--no-cache",
        ]
    )
    rows = io.read_folder_rows(out / "synthesized")
    assert len(rows) == 2
    assert {t["sample_rate"] for r in rows for t in r["turns"]} == {22050}  # the flag wins
    assert sorted(b["text"] for b in rows[0]["backchannels"]) == ["Hold on.", "Yeah.", "Yeah."]


def test_cli_errors_are_one_line_with_what_to_do(rewritten_root: Path, tmp_path: Path) -> None:
    bank = tmp_path / "bank.yaml"
    bank.write_text(
        "assistant: a\nvoices:\n  - {id: a, backend: espeak, role: assistant}\n"
        "  - {id: u, backend: openai, params: {voice: alloy}}\n"
    )
    result = CliRunner().invoke(
        main,
        ["synth", "-i", str(rewritten_root), "-o", str(tmp_path / "o"), "--voice-bank", str(bank)],
    )
    assert result.exit_code == 2 and "--tts-base-url" in result.output
    result = CliRunner().invoke(
        main,
        ["synth", "-i", str(rewritten_root), "-o", str(tmp_path / "o"), "--voice-bank", "nope"],
    )
    assert result.exit_code == 2 and "default, espeak" in result.output
    result = CliRunner().invoke(
        main,
        [
            "synth",
            "-i",
            str(tmp_path / "empty"),
            "-o",
            str(tmp_path / "o"),
            "--voice-bank",
            "espeak",
        ],
    )
    assert result.exit_code == 2 and "duplexsynth rewrite" in result.output
