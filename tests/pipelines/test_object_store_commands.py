"""The commands around a run on object storage, against a real local S3 server (moto):

* ``report`` and ``preview`` on an ``s3://`` OUT write the card, plots, PNG and WAV there and
  nothing locally, with the bytes the same commands write into a local copy of OUT;
* ``report``/``preview``/``export`` refuse an unfinished OUT on ``s3://`` (``_RUNNING``);
* ``augment --noise-dir s3://... --rir-dir s3://...`` gives the audio of local folders;
* ``--config`` and ``--timing`` files (and a ``--reference`` timing file) on ``s3://``.

Each command runs in a child process from an empty folder, the way a user starts it.
"""

from __future__ import annotations

import io as _io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from _writetools import augmented_rows
from objectstore import cli, files_under, moto_server, new_bucket

from duplexsynth.pipelines import io
from duplexsynth.pipelines.write import finalize_rows, write_dialogue_rows
from duplexsynth.schemas.records import Reject

SAMPLE = Path(__file__).resolve().parents[2] / "duplexsynth" / "data" / "sample"
MADE = ("README.md", "report/", "preview/")  # what report and preview add to OUT


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def local_out(say, tmp_path_factory) -> Path:
    """A finished OUT (final shards and rejects of two stages), written locally."""
    root = tmp_path_factory.mktemp("out")
    kept, _ = finalize_rows(augmented_rows(say, 2))
    write_dialogue_rows(root, kept)
    io.write_rejects(root, "filter", [Reject("c.jsonl", 4, None, "filter", "code", "x").to_row()])
    io.write_rejects(
        root, "synth", [Reject("c.jsonl", 5, None, "synth", "tts_error", "y").to_row()]
    )
    return root


def _upload(bucket, root: Path, prefix: str) -> None:
    for name, blob in files_under(root).items():
        bucket.put(f"{prefix}/{name}", blob)


def _empty_cwd(tmp_path: Path) -> Path:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return cwd


def _nothing_local(cwd: Path) -> None:
    assert list(cwd.iterdir()) == [], "the command wrote local files"


# --------------------------------------------------------------------------- report, preview
def test_report_and_preview_write_on_s3_the_bytes_of_a_local_copy(
    s3_endpoint: str, local_out: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3_endpoint)
    _upload(bucket, local_out, "run")
    out = f"{bucket.url}/run"
    cwd = _empty_cwd(tmp_path)
    for args in (["report", out], ["preview", out, "dlg-0001"]):
        res = cli([*args, "--", *bucket.beam_args], cwd=cwd)
        assert res.returncode == 0, res.stderr[-3000:]
        assert f"{out}/" in res.stdout  # the printed paths are the URLs written
    _nothing_local(cwd)

    copy = tmp_path / "copy"  # the same OUT, reported on locally
    for name, blob in files_under(local_out).items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes(blob)
    for args in (["report", str(copy)], ["preview", str(copy), "dlg-0001"]):
        res = cli(args, cwd=cwd)
        assert res.returncode == 0, res.stderr[-3000:]
    local = {k: v for k, v in files_under(copy).items() if k.startswith(MADE)}
    remote = {k[len("run/") :]: bucket.get(k) for k in bucket.keys("run/")}
    remote = {k: v for k, v in remote.items() if k.startswith(MADE)}
    assert "README.md" in local and "report/stats.json" in local
    assert {"preview/dlg-0001.png", "preview/dlg-0001.wav"} <= set(local)
    assert len([k for k in local if k.startswith("report/") and k.endswith(".png")]) == 5
    assert sorted(remote) == sorted(local)
    for key, blob in local.items():
        assert remote[key] == blob, f"{key} differs between s3:// and a local copy"
    stats = json.loads(remote["report/stats.json"])  # rejects were read from s3:// too
    assert stats["dialogues"] == 2
    assert stats["rejects"] == {"filter": {"code": 1}, "synth": {"tts_error": 1}}


def test_report_preview_export_refuse_an_unfinished_out_on_s3(
    s3_endpoint: str, local_out: Path, tmp_path: Path
) -> None:
    bucket = new_bucket(s3_endpoint)
    bucket.put(
        "half/dialogues/part-00000.parquet",
        (local_out / "dialogues/part-00000.parquet").read_bytes(),
    )
    bucket.put("half/_RUNNING", json.dumps({"started": "2024-01-01T00:00:00Z"}).encode())
    half = f"{bucket.url}/half"
    cwd = _empty_cwd(tmp_path)
    for args in (["report", half], ["preview", half, "dlg-0000"], ["export", "moshi", half, "m"]):
        res = cli([*args, "--", *bucket.beam_args], cwd=cwd)
        assert res.returncode == 2, (args, res.stdout, res.stderr[-2000:])
        assert f"{half}/_RUNNING" in res.stderr and "rerun into this folder" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert bucket.keys("half/") == ["half/_RUNNING", "half/dialogues/part-00000.parquet"]
    _nothing_local(cwd)


# ------------------------------------------------------------------------------ augment flags
def _mixed_rows(say, count: int) -> list[dict]:
    """Rows as the mix stage writes them: the fabricated dialogues before augmentation."""
    rows = []
    for row in augmented_rows(say, count):
        params = json.loads(row["params"]) if isinstance(row["params"], str) else row["params"]
        params.pop("augment", None)
        rows.append(
            {**row, "audio": row["clean_audio"], "clean_audio": None, "params": json.dumps(params)}
        )
    return rows


def _without_paths(value):
    """``value`` with every ``path`` key dropped (where a noise file or RIR was read from)."""
    if isinstance(value, dict):
        return {k: _without_paths(v) for k, v in value.items() if k != "path"}
    if isinstance(value, list):
        return [_without_paths(v) for v in value]
    return value


def test_augment_command_takes_noise_and_rir_folders_on_s3(s3_endpoint: str, say, tmp_path):
    """Same audio and sampled parameters as with local folders (only recorded paths differ)."""
    import numpy as np
    import soundfile as sf

    from duplexsynth import fs

    bucket = new_bucket(s3_endpoint)
    rng = np.random.default_rng(11)
    files = {
        "noise/street/a.wav": (0.2 * rng.standard_normal(16000 * 3), 16000),
        "noise/hum.flac": (0.1 * np.sin(np.arange(24000 * 2) * 0.05), 24000),
        "rir/room1.wav": (rng.standard_normal(4800) * np.exp(-np.arange(4800) / 600), 24000),
        "rir/room2.wav": (rng.standard_normal(7200) * np.exp(-np.arange(7200) / 900), 24000),
    }
    for rel, (audio, sr) in files.items():
        path = tmp_path / "local" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, audio.astype("float32"), sr)
        bucket.put(rel, path.read_bytes())
    io.write_stage_rows(tmp_path / "in", "mix", _mixed_rows(say, 2))
    _upload(bucket, tmp_path / "in", "in")
    knobs = ["--seed", "9", "--noise-p", "1", "--reverb-p", "1", "--chain-p", "0"]
    knobs += ["--echo-p", "1", "--gain-p", "0"]
    local = cli(
        ["augment", "-i", str(tmp_path / "in"), "-o", str(tmp_path / "aug"), *knobs]
        + ["--noise-dir", str(tmp_path / "local/noise"), "--rir-dir", str(tmp_path / "local/rir")]
        + ["--cache-dir", str(tmp_path / "cache")],
        cwd=tmp_path,
    )
    assert local.returncode == 0, local.stderr[-3000:]
    cwd = _empty_cwd(tmp_path)
    remote = cli(
        ["augment", "-i", f"{bucket.url}/in", "-o", f"{bucket.url}/aug", *knobs]
        + ["--noise-dir", f"{bucket.url}/noise", "--rir-dir", f"{bucket.url}/rir"]
        + ["--cache-dir", f"{bucket.url}/cache", "--", *bucket.beam_args],
        cwd=cwd,
    )
    assert remote.returncode == 0, remote.stderr[-3000:]
    _nothing_local(cwd)
    fs.set_options(bucket.beam_args)
    got = {r["id"]: r for r in io.read_folder_rows(f"{bucket.url}/aug/augmented")}
    want = {r["id"]: r for r in io.read_folder_rows(tmp_path / "aug" / "augmented")}
    assert sorted(got) == sorted(want) and len(got) == 2
    for did, row in got.items():
        params = json.loads(row["params"])
        user = params["augment"]["channels"]["user"]
        assert user["noise"]["source"] == "file" and user["reverb"]["applied"]
        assert user["noise"]["file"]["path"].startswith(f"{bucket.url}/noise/")
        assert user["reverb"]["rir"]["library"] == "measured"
        assert user["reverb"]["rir"]["path"].startswith(f"{bucket.url}/rir/")
        assert row["audio"] == want[did]["audio"]
        assert _without_paths(params) == _without_paths(json.loads(want[did]["params"]))
    # a prefix with nothing under it: one line naming the flag, before anything is written
    res = cli(
        ["augment", "-i", f"{bucket.url}/in", "-o", f"{bucket.url}/aug2"]
        + ["--noise-dir", f"{bucket.url}/no-noise", "--", *bucket.beam_args],
        cwd=cwd,
    )
    assert res.returncode == 2
    assert res.stderr.strip() == (
        f"error: --noise-dir '{bucket.url}/no-noise': there is no object under that prefix"
    )
    assert not bucket.keys("aug2/")


# ---------------------------------------------------------------------- config, timing files
def test_config_and_timing_files_on_s3(s3_endpoint: str, tmp_path: Path) -> None:
    from duplexsynth import fs
    from duplexsynth.mix.fit import load_timing, reference_summary

    bucket = new_bucket(s3_endpoint)
    bucket.put("corpus/sharegpt.jsonl", (SAMPLE / "sharegpt.jsonl").read_bytes())
    bucket.put("conf/filter.yaml", b"filter:\n  max_words_per_turn: 77\n  dedup: false\n")
    cwd = _empty_cwd(tmp_path)
    res = cli(
        ["filter", "--input", f"{bucket.url}/corpus/sharegpt.jsonl", "--limit", "3"]
        + ["--config", f"{bucket.url}/conf/filter.yaml", "--output", f"{bucket.url}/f77"]
        + ["--", *bucket.beam_args],
        cwd=cwd,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    _nothing_local(cwd)
    config = json.loads(bucket.get("f77/summary.json"))["filter_config"]
    assert config["max_words_per_turn"] == 77 and config["dedup"] is False
    kept = pq.read_table(_io.BytesIO(bucket.get("f77/filtered/part-00000.parquet")))
    assert kept.num_rows > 0

    timing = b"mix:\n  gap_mean_s: 0.31\nmeasured:\n  per_minute: {gap_s: 4.5}\n"
    bucket.put("conf/timing.yaml", timing)
    (tmp_path / "timing.yaml").write_bytes(timing)
    fs.set_options(bucket.beam_args)
    assert load_timing(f"{bucket.url}/conf/timing.yaml") == load_timing(tmp_path / "timing.yaml")
    # `report --reference` takes the same file as the figures to compare with
    assert reference_summary(f"{bucket.url}/conf/timing.yaml") == {"per_minute": {"gap_s": 4.5}}
    with pytest.raises(ValueError, match="does not exist"):
        load_timing(f"{bucket.url}/conf/none.yaml")
