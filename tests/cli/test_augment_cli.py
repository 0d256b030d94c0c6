"""``duplexsynth augment`` end to end on mixed rows built from real speech."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from duplexsynth.audio import decode_audio, encode_flac, resample
from duplexsynth.cli.main import main
from duplexsynth.pipelines import io
from duplexsynth.schemas.records import AudioRef, Dialogue, TimelineWord, Turn

SR = 24000


def _mixed(say, i: int) -> Dialogue:
    texts = [("user", "Can you hear me alright?"), ("assistant", "Yes, loud and clear, thanks.")]
    parts, t = [], 0.2
    for k, (spk, text) in enumerate(texts):
        audio, sr, words = say(text)
        a = resample(audio, sr, SR)
        parts.append((k, spk, text, a, words, t))
        t += a.size / SR + 0.3
    stereo = np.zeros((int(t * SR), 2), np.float32)
    turns, timeline = [], []
    for k, spk, text, a, words, start in parts:
        ch = 0 if spk == "assistant" else 1
        s0 = int(round(start * SR))
        stereo[s0 : s0 + a.size, ch] = a
        end = start + a.size / SR
        turns.append(
            Turn(k, spk, text, spoken_text=text, start_s=start, end_s=end, channel=ch, kind="turn")
        )
        timeline += [TimelineWord(w, start + ws, start + we, ch, spk, k) for w, ws, we in words]
    return Dialogue(
        id=f"cli-{i:03d}",
        source_file="c.jsonl",
        source_index=i,
        record_id=None,
        format="alpaca",
        turns=tuple(turns),
        audio=AudioRef(encode_flac(stereo, SR)),
        sample_rate=SR,
        duration_s=stereo.shape[0] / SR,
        words=tuple(timeline),
    )


@pytest.fixture(scope="module")
def mixed_root(say, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mixed")
    rows = [_mixed(say, i).to_row() for i in range(3)]
    rows[2] = {**rows[2], "audio": None}  # a row without mixed audio: rejected, not fatal
    io.write_stage_rows(root, "mix", rows)
    return root


def _invoke(args: list[str]):
    result = CliRunner().invoke(main, ["augment", *args], catch_exceptions=False)
    return result


def test_cli_augments_writes_summary_and_is_reproducible(mixed_root: Path, tmp_path: Path) -> None:
    common = [
        "--input", str(mixed_root), "--seed", "5", "--cache-dir", str(tmp_path / "cache"),
        "--rir-library-size", "2", "--noise-p", "1", "--echo-p", "1", "--reverb-p", "1",
        "--snr-db", "10", "20", "--noise-level-mode", "snr",
    ]  # fmt: skip
    r1 = _invoke([*common, "--output", str(tmp_path / "a")])
    assert r1.exit_code == 0, r1.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["stage"] == "augment" and summary["input_records"] == 3
    assert summary["kept"] == 2 and summary["rejected"] == {"bad_input": 1}
    rows = io.read_folder_rows(tmp_path / "a" / "augmented")
    for row in rows:
        d = Dialogue.from_row(row)
        rec = d.params["augment"]["channels"]["user"]
        assert rec["noise"]["applied"] and rec["echo"]["applied"] and rec["reverb"]["applied"]
        assert 10 <= rec["noise"]["level_db"] <= 20
        clean, _ = decode_audio(d.clean_audio.bytes)
        aug, _ = decode_audio(d.audio.bytes)
        assert np.array_equal(clean[:, 0], aug[:, 0]) and not np.array_equal(clean[:, 1], aug[:, 1])
    r2 = _invoke([*common, "--output", str(tmp_path / "b")])
    assert r2.exit_code == 0, r2.output
    parts_a = sorted((tmp_path / "a" / "augmented").glob("part-*.parquet"))
    parts_b = sorted((tmp_path / "b" / "augmented").glob("part-*.parquet"))
    assert [p.read_bytes() for p in parts_a] == [p.read_bytes() for p in parts_b]


def test_cli_config_file_and_flag_override(mixed_root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "aug.yaml"
    cfg.write_text(
        "augment:\n  noise_p: 1.0\n  noise_level_mode: dbfs\n  noise_dbfs_range: [-40, -40]\n"
        "  gain: false\n  echo: false\n  reverb: false\n  chain: false\n  keep_clean: true\n"
    )
    out = tmp_path / "o"
    r = _invoke(
        ["--input", str(mixed_root), "--output", str(out), "--config", str(cfg), "--no-keep-clean"]
    )
    assert r.exit_code == 0, r.output
    rows = io.read_folder_rows(out / "augmented")
    assert len(rows) == 2 and all(row["clean_audio"] is None for row in rows)
    rec = json.loads(rows[0]["params"])["augment"]["channels"]["user"]
    assert rec["noise"]["level_mode"] == "dbfs" and rec["noise"]["level_db"] == -40.0
    assert not rec["gain"]["applied"] and not rec["echo"]["applied"]


def test_cli_bad_config_is_a_clean_error(mixed_root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("augment:\n  noise_pp: 1.0\n")
    r = _invoke(["--input", str(mixed_root), "--output", str(tmp_path / "x"), "--config", str(cfg)])
    assert r.exit_code == 2 and "noise_pp" in r.output
    r = _invoke(["--input", str(tmp_path / "nothing"), "--output", str(tmp_path / "y")])
    assert r.exit_code == 2 and "duplexsynth mix" in r.output
