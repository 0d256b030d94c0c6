"""`duplexsynth mix` and `duplexsynth stats` end to end on real Piper speech, and MixTransform."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that
from click.testing import CliRunner

from duplexsynth.audio import decode_audio, encode_flac, resample
from duplexsynth.cli.main import main
from duplexsynth.mix.config import MixConfig
from duplexsynth.pipelines import io
from duplexsynth.pipelines.transforms.mix import MixTransform
from duplexsynth.schemas.records import AudioRef, Backchannel, Dialogue, Turn, Word

SR = 24000
TEXTS = (
    "What should I pack for a weekend hike?",
    "Bring water, a warm layer and a rain jacket. Pack some snacks, a small first aid kit, "
    "and a map of the trail, and tell a friend where you are going.",
    "Good idea, thank you.",
    "Have a great hike and stay safe.",
)


def _clip(say, text: str) -> tuple[bytes, float, tuple[Word, ...]]:
    audio, sr, words = say(text)
    flac = encode_flac(resample(audio, sr, SR), SR)
    n = decode_audio(flac)[0].shape[0]
    return flac, n / SR, tuple(Word(w, s, e) for w, s, e in words)


def _dialogue(say, i: int) -> Dialogue:
    turns = []
    for k, text in enumerate(TEXTS):
        flac, dur, words = _clip(say, text)
        speaker = "user" if k % 2 == 0 else "assistant"
        turns.append(
            Turn(k, speaker, text, text, "piper:joe", AudioRef(flac), SR, dur, words=words)
        )
    lexicon = []
    for speaker, text in (("user", "yeah"), ("user", "hold on"), ("assistant", "right")):
        flac, dur, words = _clip(say, text)
        lexicon.append(Backchannel(speaker, "piper:joe", text, AudioRef(flac), SR, dur, words))
    return Dialogue(
        id=f"hike-{i:02d}",
        source_file="hike.jsonl",
        source_index=i,
        record_id=None,
        format="alpaca",
        turns=tuple(turns),
        backchannels=tuple(lexicon),
    )


@pytest.fixture(scope="module")
def aligned_root(tmp_path_factory, say) -> Path:
    root = tmp_path_factory.mktemp("aligned")
    rows = [_dialogue(say, i).to_row() for i in range(3)]
    rows.append(
        {
            "id": "no-audio",
            "source_file": "hike.jsonl",
            "source_index": 9,
            "turns": [{"turn_index": 0, "speaker": "user", "source_text": "hi"}],
        }
    )
    io.write_stage_rows(root, "align", rows)
    return root


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def mixed_root(aligned_root: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mixed")
    r = _invoke(
        "mix",
        "--input",
        str(aligned_root),
        "--output",
        str(out),
        "--seed",
        "5",
        "--interruption-prob",
        "1",
    )
    assert r.exit_code == 0, r.output
    return out


def test_mix_command_writes_rows_rejects_summary_and_is_deterministic(
    aligned_root: Path, mixed_root: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    r = _invoke(
        "mix",
        "--input",
        str(aligned_root),
        "--output",
        str(again),
        "--seed",
        "5",
        "--interruption-prob",
        "1",
    )
    assert r.exit_code == 0, r.output
    summary = json.loads((mixed_root / "summary.json").read_text())
    assert summary["stage"] == "mix" and summary["input_records"] == 4
    assert summary["kept"] == 3 and summary["rejected"] == {"bad_input": 1}
    assert summary["preset"] == "natural"
    shards = lambda root: [p.read_bytes() for p in sorted((root / "mixed").glob("part-*.parquet"))]  # noqa: E731
    assert shards(mixed_root) == shards(again)
    rows = io.read_folder_rows(mixed_root / "mixed")
    d = Dialogue.from_row(rows[0])
    assert d.audio is not None and decode_audio(d.audio.bytes)[0].shape[1] == 2
    assert d.params["mix"]["config"]["interruption_prob"] == 1.0
    assert any(t.interrupted for t in d.turns)
    assert d.labels.num_frames > 0 and d.events
    rejects = io.read_folder_rows(mixed_root / "rejects" / "mix")
    assert rejects[0]["id"] == "no-audio" and "no audio" in rejects[0]["detail"]


def test_flags_override_the_config_file(aligned_root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text("mix:\n  preset: lively\n  backchannel_rate_per_min: 30\n  fade_ms: 40\n")
    out = tmp_path / "o"
    r = _invoke(
        "mix",
        "-i",
        str(aligned_root),
        "-o",
        str(out),
        "--config",
        str(cfg),
        "--preset",
        "omniflatten",
        "--backchannels",
        "--limit",
        "2",
    )
    assert r.exit_code == 0, r.output
    rows = io.read_folder_rows(out / "mixed")
    assert len(rows) == 2
    conf = Dialogue.from_row(rows[0]).params["mix"]["config"]
    assert conf["preset"] == "omniflatten"  # the flag beats the file's preset
    assert conf["reply_overlap_prob"] == 0.0  # ... and brings the preset's knobs
    assert conf["fade_ms"] == 40 and conf["backchannel_rate_per_min"] == 30  # file knobs
    assert conf["backchannels"] is True  # flag over the preset


def test_bad_config_is_a_clean_error(aligned_root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("mix:\n  interruption_probability: 0.3\n")
    r = CliRunner().invoke(
        main, ["mix", "-i", str(aligned_root), "-o", str(tmp_path / "x"), "--config", str(cfg)]
    )
    assert r.exit_code == 2
    assert "interruption_probability" in r.output


def test_stats_command_prints_figures_beside_the_reference(
    mixed_root: Path, tmp_path: Path
) -> None:
    out = mixed_root
    r = _invoke("stats", str(out))
    assert r.exit_code == 0, r.output
    assert "mixed" in r.output and "gap s" in r.output and "51.1" in r.output
    r = _invoke("stats", str(out), "--json")
    data = json.loads(r.output)
    assert data["dialogues"] == 3 and data["per_minute"]["ipu_s"] > 30
    assert data["reference"]["fisher_per_minute"]["overlap_s"] == 3.3
    r2 = _invoke("stats", "--folder", str(out / "mixed"), "--json", "--limit", "1")
    assert json.loads(r2.output)["dialogues"] == 1
    bad = CliRunner().invoke(main, ["stats", str(tmp_path / "nothing")])
    assert bad.exit_code == 2 and "duplexsynth mix" in bad.output


def test_mix_transform_with_assert_that(say) -> None:
    rows = [_dialogue(say, 0).to_row()]

    def check(out):
        assert len(out) == 1
        d = Dialogue.from_row(out[0])
        assert d.sample_rate == SR and d.words and d.params["mix"]["seed"] == 3

    with beam.Pipeline() as p:
        result = p | beam.Create(rows) | MixTransform(MixConfig(), 3)
        assert_that(result["main"], check, label="main")
        assert_that(
            result["rejects"],
            lambda r: len(r) == 0 or (_ for _ in ()).throw(AssertionError(r)),
            label="rejects",
        )


def test_mix_timing_file_under_config_and_flags(aligned_root: Path, tmp_path: Path) -> None:
    """--timing gives the mix knobs' defaults; the config file and the flags still win."""
    timing = tmp_path / "timing.yaml"
    timing.write_text(
        "version: 1\nmix:\n  preset: natural\n  reply_gap_mode_s: 0.9\n  reply_gap_max_s: 2.0\n"
        "  pause_rate_per_min: 5.0\n  interruption_prob: 0.0\n"
    )
    cfg = tmp_path / "run.yaml"
    cfg.write_text("mix:\n  pause_rate_per_min: 7.0\n")
    out = tmp_path / "o"
    r = _invoke(
        "mix", "-i", str(aligned_root), "-o", str(out), "--timing", str(timing),
        "--config", str(cfg), "--interruption-prob", "0.5", "--limit", "1",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    conf = Dialogue.from_row(io.read_folder_rows(out / "mixed")[0]).params["mix"]["config"]
    assert conf["reply_gap_mode_s"] == 0.9  # from the timing file
    assert conf["pause_rate_per_min"] == 7.0  # the config file over the timing file
    assert conf["interruption_prob"] == 0.5  # the flag over both
    bad = CliRunner().invoke(
        main, ["mix", "-i", str(aligned_root), "-o", str(out), "--timing", str(tmp_path / "no")]
    )
    assert bad.exit_code == 2 and "does not exist" in bad.output


def test_stats_measures_audio_or_words(mixed_root: Path) -> None:
    """Both measures see the same dialogues; the audio one is the default."""
    audio = json.loads(_invoke("stats", str(mixed_root), "--json").output)
    words = json.loads(_invoke("stats", str(mixed_root), "--json", "--measure", "words").output)
    assert audio["measure"] == "audio" and words["measure"] == "words"
    assert audio["dialogues"] == words["dialogues"] == 3
    # the VAD's runs cover the words' spans up to the TTS's own slack
    assert abs(audio["per_minute"]["ipu_s"] / words["per_minute"]["ipu_s"] - 1) < 0.15


def test_run_timing_file_reaches_the_mix_stage(aligned_root: Path, tmp_path: Path) -> None:
    timing = tmp_path / "timing.yaml"
    timing.write_text("version: 1\nmix:\n  user_gap_mode_s: 0.7\n  user_gap_max_s: 1.5\n")
    out = tmp_path / "run"
    r = _invoke(
        "run", "--from", "mix", "--input", str(aligned_root), "--output", str(out),
        "--timing", str(timing), "--set", "mix.user_gap_max_s=1.8", "--limit", "1",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    row = io.read_folder_rows(out / "dialogues")[0]
    conf = Dialogue.from_row(row).params["mix"]["config"]
    assert conf["user_gap_mode_s"] == 0.7 and conf["user_gap_max_s"] == 1.8  # --set wins
