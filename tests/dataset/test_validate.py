"""`duplexsynth validate`: good shards pass; each corruption fails naming the dialogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from _writetools import SR, augmented_rows
from click.testing import CliRunner

from duplexsynth.audio import decode_audio, encode_flac
from duplexsynth.cli.main import main
from duplexsynth.dataset.shards import dialogue_files
from duplexsynth.dataset.validate import validate_output
from duplexsynth.pipelines.config import WriteConfig
from duplexsynth.pipelines.write import finalize_rows, write_dialogue_rows


@pytest.fixture(scope="module")
def final_rows(say) -> list[dict]:
    kept, rejects = finalize_rows(augmented_rows(say, 3))
    assert not rejects
    return kept


def _write(root: Path, rows: list[dict], **cfg) -> Path:
    write_dialogue_rows(root, rows, WriteConfig(**cfg))
    return root


def _validate(root: Path):
    return CliRunner().invoke(main, ["validate", str(root)])


def test_good_output_passes(final_rows, tmp_path) -> None:
    res = _validate(_write(tmp_path, final_rows))
    assert res.exit_code == 0, res.output
    assert res.output.startswith("OK: 3 dialogues")


def test_wrong_channel_count_fails_with_id(final_rows, tmp_path) -> None:
    rows = [dict(r) for r in final_rows]
    audio, _ = decode_audio(rows[1]["audio"]["bytes"], always_2d=True)
    rows[1]["audio"] = {"bytes": encode_flac(audio[:, 0], SR), "path": rows[1]["audio"]["path"]}
    res = _validate(_write(tmp_path, rows))
    assert res.exit_code == 1
    assert f"{rows[1]['id']}: [audio] audio has 1 channel(s), expected 2" in res.output
    assert rows[0]["id"] + ":" not in res.output  # the good ones are not blamed


def test_word_outside_speech_fails_with_id(final_rows, tmp_path) -> None:
    rows = [dict(r) for r in final_rows]
    row = rows[2]
    w = next(w for w in row["words"] if w["channel"] == 0 and w["end_s"] - w["start_s"] > 0.2)
    a, b = int((w["start_s"] - 0.1) * SR), int((w["end_s"] + 0.1) * SR)
    for col in ("audio", "clean_audio"):  # silence the assistant where that word is said
        audio, _ = decode_audio(row[col]["bytes"], always_2d=True)
        audio[a:b, 0] = 0.0
        row[col] = {"bytes": encode_flac(audio, SR), "path": row[col]["path"]}
    res = _validate(_write(tmp_path, rows))
    assert res.exit_code == 1
    line = next(line for line in res.output.splitlines() if "[speech]" in line)
    assert line.startswith(f"{row['id']}: [speech]") and repr(w["word"]) in line


def test_word_time_shift_breaks_turn_and_speech_checks(final_rows, tmp_path) -> None:
    rows = [dict(r) for r in final_rows]
    row = rows[0]
    words = [dict(w) for w in row["words"]]
    w = words[0]  # the user's first word, moved into the trailing silence
    w["start_s"], w["end_s"] = row["duration_s"] - 0.3, row["duration_s"] - 0.1
    row["words"] = words
    result = validate_output(_write(tmp_path, rows))
    checks = {(p.id, p.check) for p in result.problems}
    assert (row["id"], "speech") in checks and (row["id"], "turns") in checks


def test_duplicate_id_fails(final_rows, tmp_path) -> None:
    rows = [dict(r) for r in final_rows] + [dict(final_rows[0])]
    _write(tmp_path, rows, target_shard_mb=0.01)  # one row per shard
    assert len(dialogue_files(tmp_path)) == 4
    res = _validate(tmp_path)
    assert res.exit_code == 1
    assert f"{final_rows[0]['id']}: [id] duplicate id" in res.output


def test_schema_version_and_missing_field_fail(final_rows, tmp_path) -> None:
    path = _write(tmp_path, final_rows[:1])
    f = dialogue_files(path)[0]
    table = pq.read_table(f)
    meta = dict(table.schema.metadata)
    meta[b"duplexsynth.schema_version"] = b"0.1"
    table = table.drop_columns(["words"]).replace_schema_metadata(meta)
    pq.write_table(table, f)
    res = _validate(path)
    assert res.exit_code == 1
    assert "schema version '0.1'" in res.output and "missing field 'words'" in res.output


def test_not_an_output_root_is_a_clean_error(tmp_path) -> None:
    res = _validate(tmp_path)
    assert res.exit_code == 2 and "no dialogues/part-*.parquet" in res.output


def test_noise_floor_threshold() -> None:
    from duplexsynth.dataset.validate import frame_rms, speech_threshold

    rng = np.random.default_rng(0)
    noise = 0.003 * rng.standard_normal(SR * 2).astype(np.float32)
    speechy = noise.copy()
    speechy[SR // 2 : SR] += 0.2 * np.sin(np.arange(SR // 2) * 0.05).astype(np.float32)
    rms = frame_rms(speechy, SR)
    thr = speech_threshold(rms)
    assert rms[:20].max() < thr < rms[30:45].min()
