"""`duplexsynth align` end to end on fabricated synthesized rows of real Piper speech."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duplexsynth.audio import encode_flac
from duplexsynth.cli.main import main
from duplexsynth.pipelines import io
from duplexsynth.schemas.records import AudioRef, Dialogue, Turn, Word

TEXTS = ("Is it going to rain later?", "No, the sky should stay clear all day.")


def _turn(say, i: int, text: str, with_tts: bool) -> Turn:
    audio, sr, words = say(text)
    return Turn(
        turn_index=i,
        speaker="user" if i % 2 == 0 else "assistant",
        source_text=text,
        spoken_text=text,
        voice="joe",
        audio=AudioRef(encode_flac(audio, sr)),
        sample_rate=sr,
        duration_s=len(audio) / sr,
        tts_words=tuple(Word(w, s, e) for w, s, e in words) if with_tts else None,
    )


@pytest.fixture()
def synthesized(say, tmp_path: Path) -> Path:
    rows = []
    for n in range(3):
        turns = tuple(
            _turn(say, i, t, with_tts=not (n == 2 and i == 0)) for i, t in enumerate(TEXTS)
        )
        rows.append(
            Dialogue(
                id=f"dlg-{n:04d}",
                source_file="c.jsonl",
                source_index=n,
                record_id=None,
                format="alpaca",
                turns=turns,
            ).to_row()
        )
    rows.append({"id": "broken", "source_file": "c.jsonl", "source_index": 9, "turns": None})
    io.write_stage_rows(tmp_path / "in", "synth", rows)
    return tmp_path / "in"


def _run(args: list[str]):
    return CliRunner().invoke(main, ["align", *args], catch_exceptions=False)


def test_align_cli_writes_words_rejects_and_summary(synthesized: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cfg = tmp_path / "align.yaml"
    cfg.write_text("align:\n  fallback: none\n  min_word_s: 0.03\n")
    res = _run(["--input", str(synthesized), "--output", str(out), "--seed", "5",
                "--config", str(cfg)])  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stage"] == "align" and summary["input_records"] == 4
    assert summary["kept"] == 2
    assert summary["rejected"] == {"align_error": 1, "bad_input": 1}
    assert summary["backend"] == "tts" and summary["asr_model"] is None
    rows = io.read_folder_rows(out / "aligned")
    assert [r["id"] for r in rows] == ["dlg-0000", "dlg-0001"]
    for r in rows:
        assert r["align_method"] == "tts"
        for t, text in zip(r["turns"], TEXTS):
            assert [w["word"] for w in t["words"]] == text.split()
            assert all(w["end_s"] - w["start_s"] >= 0.03 - 1e-9 for w in t["words"])
        params = json.loads(r["params"])["align"]
        assert params["seed"] == 5 and params["config"]["min_word_s"] == 0.03
    rejects = {r["id"]: r for r in io.read_folder_rows(out / "rejects" / "align")}
    assert "turn 0 (user)" in rejects["dlg-0002"]["detail"]
    # a rerun gives the same bytes
    again = tmp_path / "again"
    assert (
        _run(
            ["-i", str(synthesized), "-o", str(again), "--seed", "5", "--config", str(cfg)]
        ).exit_code
        == 0
    )
    a = sorted((out / "aligned").glob("part-*.parquet"))
    b = sorted((again / "aligned").glob("part-*.parquet"))
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


@pytest.mark.slow
def test_align_cli_faster_whisper_fallback(synthesized: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DUPLEXSYNTH_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "fw"
    cfg = tmp_path / "align.yaml"
    cfg.write_text("align:\n  fallback: none\n")
    # the flag given on the command line overrides the file
    res = _run(["-i", str(synthesized), "-o", str(out), "--fallback", "faster-whisper",
                "--config", str(cfg)])  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input_records"] == 4 and summary["kept"] == 3
    assert summary["asr_model"] == "bundled:tiny.en"
    rows = {r["id"]: r for r in io.read_folder_rows(out / "aligned")}
    assert rows["dlg-0002"]["align_method"] == "faster_whisper+tts"
    methods = {w["method"] for w in rows["dlg-0002"]["turns"][0]["words"]}
    assert methods <= {"faster_whisper", "interpolated"}
    assert any((tmp_path / "cache" / "align").rglob("*.json"))


def test_align_cli_bad_model_fails_cleanly(synthesized: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main,
        [
            "align",
            "-i",
            str(synthesized),
            "-o",
            str(tmp_path / "x"),
            "--backend",
            "faster-whisper",
            "--whisper-model",
            str(tmp_path / "missing"),
        ],  # fmt: skip
    )
    assert res.exit_code == 2
    assert "error: cannot load faster-whisper model" in res.output


def test_align_cli_missing_input_names_the_previous_stage(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["align", "-i", str(tmp_path), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "duplexsynth synth" in res.output


def test_align_help_lists_the_backends() -> None:
    res = CliRunner().invoke(main, ["align", "--help"])
    assert res.exit_code == 0
    for text in ("--backend", "whisper-timestamped", "--fallback", "--whisper-model", "--vad"):
        assert text in res.output
