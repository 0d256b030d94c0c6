"""The final write: shards that `datasets` loads with an Audio feature, stereo FLAC that decodes."""

from __future__ import annotations

import io as _io
import json
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from _writetools import SR, make_dialogue, write_augmented

from duplexsynth.audio import decode_audio, encode_flac
from duplexsynth.dataset.shards import dialogue_files
from duplexsynth.pipelines import io
from duplexsynth.pipelines.config import WriteConfig
from duplexsynth.pipelines.stage import MAIN, REJECTS
from duplexsynth.pipelines.transforms.write import WriteDialogues, WriteTransform
from duplexsynth.pipelines.write import final_schema, finalize_rows, write_dialogue_rows
from duplexsynth.schemas.arrow import REJECT_SCHEMA
from duplexsynth.schemas.records import AudioRef


@pytest.fixture(scope="module")
def augmented_root(tmp_path_factory, say) -> Path:
    root = tmp_path_factory.mktemp("aug")
    write_augmented(root, say, count=3)
    return root


def _beam_write(input_root: Path, out: Path, config: WriteConfig) -> None:
    with beam.Pipeline() as p:
        rows = p | io.ReadStageInput(str(input_root), "write")
        result = rows | WriteTransform(config, seed=5)
        _ = result[MAIN] | WriteDialogues(str(out), config)
        _ = result[REJECTS] | io.WriteShards(
            str(out / "rejects" / "write"), REJECT_SCHEMA, sort_key=io.reject_sort_key
        )


@pytest.fixture(scope="module")
def written(augmented_root: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("final")
    _beam_write(augmented_root, out, WriteConfig())
    return out


def test_datasets_loads_an_audio_feature_and_soundfile_decodes_it(written: Path) -> None:
    import datasets

    files = dialogue_files(written)
    ds = datasets.load_dataset("parquet", data_files=files, split="train")
    assert isinstance(ds.features["audio"], datasets.Audio)
    assert ds.features["audio"].sampling_rate == SR
    assert isinstance(ds.features["clean_audio"], datasets.Audio)
    for col in ("audio", "clean_audio"):  # decoding inside datasets needs torchcodec
        ds = ds.cast_column(col, datasets.Audio(decode=False))
    assert sorted(ds["id"]) == ["dlg-0000", "dlg-0001", "dlg-0002"]
    for row in ds:
        assert row["audio"]["path"] == f"{row['id']}.flac"
        audio, sr = sf.read(_io.BytesIO(row["audio"]["bytes"]), dtype="float32")
        assert sr == SR == row["sample_rate"]
        assert audio.ndim == 2 and audio.shape[1] == 2
        assert abs(audio.shape[0] / sr - row["duration_s"]) < 1e-3
        # channel 0 (assistant) carries the assistant's words
        w = next(w for w in row["words"] if w["speaker"] == "assistant")
        seg = audio[int(w["start_s"] * sr) : int(w["end_s"] * sr), 0]
        assert np.abs(seg).max() > 0.01
        assert row["turns"] and "audio" not in row["turns"][0]
        params = json.loads(row["params"])
        assert params["write"]["sample_rate"] == SR and params["write"]["seed"] == 5
        assert params["augment"]["channels"]["user"]["noise"]["applied"] is True
        assert row["labels"]["num_frames"] > 0 and row["events"]


def test_turn_audio_and_lexicon_dropped_unless_asked(written: Path, tmp_path: Path, say) -> None:
    schema = pq.read_schema(dialogue_files(written)[0])
    assert "backchannels" not in schema.names
    assert "audio" not in [f.name for f in schema.field("turns").type.value_type]
    assert b"huggingface" in schema.metadata
    kept, rejects = finalize_rows(
        [make_dialogue(say, 0).to_row()], WriteConfig(keep_turn_audio=True)
    )
    assert not rejects
    write_dialogue_rows(tmp_path, kept, WriteConfig(keep_turn_audio=True))
    rows = io.read_folder_rows(tmp_path / "dialogues")
    assert rows[0]["backchannels"][0]["text"] == "okay"
    turn_audio, sr = sf.read(_io.BytesIO(rows[0]["turns"][0]["audio"]["bytes"]))
    assert sr == SR and turn_audio.ndim == 1 and len(turn_audio) > SR // 2


def test_resamples_to_the_configured_rate(say, tmp_path: Path) -> None:
    cfg = WriteConfig(sample_rate_hz=16000)
    kept, _ = finalize_rows([make_dialogue(say, 1).to_row()], cfg)
    write_dialogue_rows(tmp_path, kept, cfg)
    row = io.read_folder_rows(tmp_path / "dialogues")[0]
    audio, sr = sf.read(_io.BytesIO(row["audio"]["bytes"]))
    assert sr == 16000 == row["sample_rate"] and audio.shape[1] == 2
    assert abs(len(audio) / sr - row["duration_s"]) < 1e-3
    meta = json.loads(final_schema(cfg).metadata[b"huggingface"])
    assert meta["info"]["features"]["audio"]["sampling_rate"] == 16000
    assert json.loads(row["params"])["write"]["source_sample_rate"] == SR


def test_bad_rows_become_rejects_naming_the_dialogue(say) -> None:
    good = make_dialogue(say, 0)
    mono = good.replace(id="mono", audio=AudioRef(encode_flac(np.zeros(SR, np.float32), SR)))
    short = good.replace(id="short", duration_s=good.duration_s + 1.0)
    nomix = good.replace(id="nomix", audio=None)
    kept, rejects = finalize_rows([r.to_row() for r in (good, mono, short, nomix)])
    assert [r["id"] for r in kept] == [good.id]
    by_id = {r["id"]: r for r in rejects}
    assert set(by_id) == {"mono", "short", "nomix"}
    assert all(r["stage"] == "write" and r["reason"] == "bad_input" for r in rejects)
    assert "1 channel" in by_id["mono"]["detail"] and "mono" in by_id["mono"]["detail"]
    assert "duration_s" in by_id["short"]["detail"]
    assert "mix stage" in by_id["nomix"]["detail"]


def test_shard_size_and_small_row_groups(augmented_root: Path, tmp_path: Path) -> None:
    cfg = WriteConfig(target_shard_mb=0.05, row_group_rows=1)
    _beam_write(augmented_root, tmp_path, cfg)
    files = dialogue_files(tmp_path)
    assert len(files) == 3  # each row is well over 50 kB
    for f in files:
        meta = pq.ParquetFile(f).metadata
        assert meta.num_rows == 1 and meta.num_row_groups == 1


def test_write_is_byte_identical_across_runs(augmented_root: Path, written: Path, tmp_path) -> None:
    _beam_write(augmented_root, tmp_path, WriteConfig())
    a = [Path(f).read_bytes() for f in dialogue_files(written)]
    b = [Path(f).read_bytes() for f in dialogue_files(tmp_path)]
    assert a == b


def test_write_config_validation() -> None:
    with pytest.raises(ValueError, match="bogus"):
        WriteConfig.from_dict({"bogus": 1})
    with pytest.raises(ValueError, match="sample_rate"):
        WriteConfig.from_dict({"sample_rate_hz": 12})
    assert WriteConfig.from_dict(WriteConfig().to_dict()) == WriteConfig()


# ----------------------------------------------------------- the fabricator is itself checked
def test_fabricated_dialogue_is_consistent(say) -> None:
    d = make_dialogue(say, 1)
    audio, sr = decode_audio(d.audio.bytes, always_2d=True)
    assert sr == SR and audio.shape[1] == 2
    assert abs(audio.shape[0] / SR - d.duration_s) < 1e-6
    # the user's words sit in user speech, the assistant's in assistant speech
    clean, _ = decode_audio(d.clean_audio.bytes, always_2d=True)
    for w in d.words:
        seg = clean[int(w.start_s * SR) : int(w.end_s * SR), w.channel]
        assert np.abs(seg).max() > 0.01, w
    # the overlap is real: the user starts before the assistant's first turn ends
    t1, t3 = d.turns[1], d.turns[3]
    assert t3.start_s < t1.end_s
    assert json.loads(d.to_row()["params"])["augment"]["channels"]["user"]["noise"]["applied"]
