"""Scale-out I/O against real servers: a local S3 server (moto) and a Beam worker pool.

* a whole ``duplexsynth run`` reads its corpus from s3://, writes OUT and the cache to s3://,
  checks N = kept + rejected there and leaves nothing on local disk (no ``s3:`` folder);
* a rerun with the cache on s3:// makes no new TTS/LLM entries and writes the same bytes;
* the PortableRunner with an EXTERNAL worker pool writes the same bytes as the DirectRunner,
  locally and on s3://;
* credentials given after ``--`` never appear in outputs or logs.
"""

from __future__ import annotations

import io as _io
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from objectstore import SECRET_KEY, cli, files_under, moto_server, new_bucket, worker_pool

SAMPLE = Path(__file__).resolve().parents[2] / "duplexsynth" / "data" / "sample"
CORPUS = ("sharegpt.jsonl", "ultrachat.jsonl.gz")
#: small and fast: espeak voices, 2 simulated rooms, 5 records (one is rejected by the filter)
FAST = ["--voice-bank", "espeak", "--set", "augment.rir_library_size=2", "--limit", "5"]


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def local_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name in CORPUS:
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def _upload_corpus(bucket) -> str:
    for name in CORPUS:
        bucket.put(f"corpus/{name}", (SAMPLE / name).read_bytes())
    return f"{bucket.url}/corpus/"


def _no_local_s3_folder(*roots: Path) -> None:
    for root in roots:
        for p in root.rglob("*"):
            assert not p.name.startswith("s3:"), f"a local {p} appeared"


def _rows_by_id(data: dict[str, bytes], folder: str) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for name, blob in sorted(data.items()):
        if name.startswith(folder + "/") and name.endswith(".parquet"):
            for row in pq.read_table(_io.BytesIO(blob)).to_pylist():
                rows[str(row.get("id")) + "|" + str(row.get("reason", ""))] = row
    return rows


def _s3_files(bucket, prefix: str) -> dict[str, bytes]:
    return {k[len(prefix) :]: bucket.get(k) for k in bucket.keys(prefix)}


def _shards(files: dict[str, bytes]) -> dict[str, bytes]:
    """The Parquet shards of an OUT (dialogues and rejects): what must be byte-identical."""
    return {k: v for k, v in files.items() if k.endswith(".parquet")}


@pytest.fixture(scope="module")
def local_reference(local_corpus: Path, tmp_path_factory) -> dict[str, bytes]:
    """OUT of a plain local DirectRunner run: the bytes every other run must reproduce."""
    work = tmp_path_factory.mktemp("local")
    res = cli(
        ["run", "--input", str(local_corpus), *FAST, "--output", str(work / "out")]
        + ["--cache-dir", str(work / "cache")],
        cwd=work,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return files_under(work / "out")


@pytest.fixture(scope="module")
def s3_run(s3_endpoint: str, tmp_path_factory):
    """A whole run with corpus, OUT and cache on the local S3 server; cwd is an empty folder."""
    bucket = new_bucket(s3_endpoint)
    corpus = _upload_corpus(bucket)
    cwd = tmp_path_factory.mktemp("cwd")
    args = ["run", "--input", corpus, *FAST, "--output", f"{bucket.url}/out"]
    args += ["--cache-dir", f"{bucket.url}/cache", "--", *bucket.beam_args]
    res = cli(args, cwd=cwd)
    assert res.returncode == 0, res.stderr[-3000:]
    return bucket, args, cwd, res


def test_run_reads_and_writes_only_object_storage(s3_run, local_reference) -> None:
    bucket, _, cwd, res = s3_run
    out = _s3_files(bucket, "out/")
    assert {"summary.json", "config.yaml", "dialogues/part-00000.parquet"} <= set(out)
    assert "rejects/filter/part-00000.parquet" in out
    assert not [k for k in out if ".tmp-" in k], "temporary shard files were left behind"
    summary = json.loads(out["summary.json"])
    assert summary["input_records"] == 5
    assert summary["input_records"] == summary["dialogues_written"] + sum(
        summary["rejected"].values()
    )
    written = pq.read_table(_io.BytesIO(out["dialogues/part-00000.parquet"]))
    assert written.num_rows == summary["dialogues_written"] > 0
    assert summary["output"] == f"{bucket.url}/out/dialogues"
    # the cache is on the bucket too, and nothing was written where the command ran
    assert bucket.keys("cache/"), "no cache entries on object storage"
    assert list(cwd.iterdir()) == []
    _no_local_s3_folder(cwd, Path.cwd())
    # same bytes as a local run of the same corpus
    assert _shards(out) == _shards(local_reference)


def test_secrets_never_reach_outputs_or_logs(s3_run) -> None:
    bucket, _, _, res = s3_run
    assert SECRET_KEY not in res.stdout + res.stderr
    for key in bucket.keys("out/"):
        assert SECRET_KEY.encode() not in bucket.get(key), key


def test_rerun_with_cache_on_s3_makes_no_new_tts_calls(s3_run) -> None:
    bucket, args, cwd, _ = s3_run
    client = bucket.client()

    def cache_state() -> dict[str, str]:
        return {
            k: client.head_object(Bucket=bucket.name, Key=k)["ETag"]
            + str(client.head_object(Bucket=bucket.name, Key=k)["LastModified"])
            for k in bucket.keys("cache/")
        }

    before = cache_state()
    shards_before = _shards(_s3_files(bucket, "out/"))
    res = cli(args, cwd=cwd)
    assert res.returncode == 0, res.stderr[-3000:]
    assert cache_state() == before, "the rerun wrote cache entries again (repeated TTS/LLM work)"
    assert _shards(_s3_files(bucket, "out/")) == shards_before


def test_input_that_does_not_exist_on_s3_is_a_clean_error(s3_endpoint: str, tmp_path) -> None:
    bucket = new_bucket(s3_endpoint)
    res = cli(
        ["run", "--input", f"{bucket.url}/nothing/", "--output", f"{bucket.url}/out"]
        + ["--", *bucket.beam_args],
        cwd=tmp_path,
    )
    assert res.returncode == 2
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- worker pool
def test_worker_pool_writes_the_same_bytes_locally_and_on_s3(
    s3_endpoint: str, local_corpus: Path, local_reference, tmp_path
) -> None:
    with worker_pool() as port:
        portable = ["--runner=PortableRunner", "--job_endpoint=embed"]
        portable += ["--environment_type=EXTERNAL", f"--environment_config=localhost:{port}"]
        res = cli(
            ["run", "--input", str(local_corpus), *FAST, "--output", str(tmp_path / "out")]
            + ["--cache-dir", str(tmp_path / "cache"), "--", *portable],
            cwd=tmp_path,
        )
        assert res.returncode == 0, res.stderr[-3000:]
        local = files_under(tmp_path / "out")
        assert _shards(local) == _shards(local_reference)
        summary = json.loads(local["summary.json"])
        assert summary["input_records"] == 5
        assert summary["input_records"] == summary["dialogues_written"] + sum(
            summary["rejected"].values()
        )

        bucket = new_bucket(s3_endpoint)
        corpus = _upload_corpus(bucket)
        cwd = tmp_path / "cwd"
        cwd.mkdir()
        res = cli(
            ["run", "--input", corpus, *FAST, "--output", f"{bucket.url}/out"]
            + ["--cache-dir", f"{bucket.url}/cache", "--", *portable, *bucket.beam_args],
            cwd=cwd,
        )
        assert res.returncode == 0, res.stderr[-3000:]
    out = _s3_files(bucket, "out/")
    assert _shards(out) == _shards(local_reference)
    assert json.loads(out["summary.json"])["dialogues_written"] == summary["dialogues_written"]
    assert list(cwd.iterdir()) == []
    _no_local_s3_folder(tmp_path)


# ---------------------------------------------------------------------------------- resume
def test_sigkill_mid_run_then_rerun_finishes_identically_without_redoing_tts(
    s3_endpoint: str, local_reference, tmp_path
) -> None:
    """SIGKILL a real CLI run once it has synthesized something; the same command then
    finishes with the same shards, and no TTS entry made before the kill is made again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from objectstore import REPO

    bucket = new_bucket(s3_endpoint)
    corpus = _upload_corpus(bucket)
    args = ["run", "--input", corpus, *FAST, "--output", f"{bucket.url}/out"]
    args += ["--cache-dir", f"{bucket.url}/cache", "--", *bucket.beam_args]
    proc = subprocess.Popen(
        [sys.executable, "-m", "duplexsynth.cli", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    try:
        while len(bucket.keys("cache/synth/")) < 4 and time.monotonic() < deadline:
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.2)
        assert bucket.keys("cache/synth/"), "no TTS entry appeared within 180 s"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    client = bucket.client()

    def stamp(key: str) -> tuple[str, str]:
        head = client.head_object(Bucket=bucket.name, Key=key)
        return head["ETag"], str(head["LastModified"])

    # an entry is its audio (.flac) plus its metadata (.json, written last): a kill between the
    # two leaves an incomplete entry, which is rightly made again; complete ones must not be
    keys = bucket.keys("cache/synth/")
    complete = [k for k in keys if k.endswith(".flac") and k[: -len(".flac")] + ".json" in keys]
    assert complete, "no complete TTS entry before the kill"
    before = {k: stamp(k) for k in complete}
    before.update(
        {k[: -len(".flac")] + ".json": stamp(k[: -len(".flac")] + ".json") for k in complete}
    )
    time.sleep(1.1)  # LastModified has one-second resolution: a rewrite would change it
    res = cli(args, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert {k: stamp(k) for k in before} == before, "TTS made before the kill was redone"
    out = _s3_files(bucket, "out/")
    assert _shards(out) == _shards(local_reference)
    assert not [k for k in out if ".tmp-" in k]
    summary = json.loads(out["summary.json"])
    assert summary["input_records"] == summary["dialogues_written"] + sum(
        summary["rejected"].values()
    )


# ----------------------------------------------------------------------------- noise folders
def test_noise_folder_on_s3_indexes_and_reads_like_a_local_one(s3_endpoint: str, tmp_path) -> None:
    import numpy as np
    import soundfile as sf

    from duplexsynth import fs
    from duplexsynth.augment.sources import read_mono, scan_audio_dirs

    bucket = new_bucket(s3_endpoint)
    local = tmp_path / "noise"
    rng = np.random.default_rng(3)
    for rel, sr, seconds in [("music/a.wav", 16000, 1.5), ("noise/b.flac", 24000, 0.8)]:
        path = local / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, (0.1 * rng.standard_normal(int(sr * seconds))).astype("float32"), sr)
        bucket.put(f"noise/{rel}", path.read_bytes())
    (local / "README.txt").write_text("not audio")
    bucket.put("noise/README.txt", b"not audio")
    fs.set_options(bucket.beam_args)
    remote_index = scan_audio_dirs([f"{bucket.url}/noise"], what="noise dir")
    local_index = scan_audio_dirs([str(local)], what="noise dir")

    def shape(index):
        return [(f.rel_path, f.sample_rate, f.frames, f.channels) for f in index.files]

    assert shape(remote_index) == shape(local_index) and len(remote_index) == 2
    assert len(remote_index.skipped["not audio"]) == 1
    for r, loc in zip(remote_index.files, local_index.files):
        assert r.path.startswith("s3://")
        np.testing.assert_array_equal(
            read_mono(r, 24000, start=100, frames=2000), read_mono(loc, 24000, 100, 2000)
        )
    with pytest.raises(ValueError, match="does not exist"):
        scan_audio_dirs([f"{bucket.url}/nothing"], what="noise dir")


# ------------------------------------------------------------------ stage commands, exports
def test_stage_command_on_s3_and_export_reading_s3_out(s3_run, tmp_path) -> None:
    """`duplexsynth filter` reads and writes s3:// too; the exporters read an OUT on s3://."""
    from duplexsynth import fs
    from duplexsynth.dataset.export.moshi import export_moshi

    bucket, _, _, _ = s3_run
    res = cli(
        ["filter", "--input", f"{bucket.url}/corpus/", "--limit", "6"]
        + ["--output", f"{bucket.url}/filtered", "--", *bucket.beam_args],
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    summary = json.loads(bucket.get("filtered/summary.json"))
    assert summary["input_records"] == 6
    assert summary["input_records"] == summary["kept"] + sum(summary["rejected"].values())
    kept = pq.read_table(_io.BytesIO(bucket.get("filtered/filtered/part-00000.parquet")))
    assert kept.num_rows == summary["kept"] > 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "the stage wrote local files"

    fs.set_options(bucket.beam_args)
    written = json.loads(bucket.get("out/summary.json"))["dialogues_written"]
    done = export_moshi(f"{bucket.url}/out", tmp_path / "moshi", progress_every_s=1e9)
    assert done.written == written
    assert len(list((tmp_path / "moshi").rglob("*.wav"))) == written


def test_default_voices_with_cache_on_s3_leave_no_local_s3_folder(s3_run, tmp_path) -> None:
    """The default voice bank builds a local model file (Kokoro's timed model); with the cache on
    s3:// it goes to the local home cache, never to a local folder named ``s3:``."""
    bucket, _, _, _ = s3_run
    res = cli(
        ["run", "--input", f"{bucket.url}/corpus/sharegpt.jsonl", "--limit", "2"]
        + ["--set", "augment.rir_library_size=2", "--output", f"{bucket.url}/out-default"]
        + ["--cache-dir", f"{bucket.url}/cache-default", "--", *bucket.beam_args],
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads(bucket.get("out-default/summary.json"))["dialogues_written"] > 0
    assert bucket.keys("cache-default/synth/")
    assert list(tmp_path.iterdir()) == []
    _no_local_s3_folder(tmp_path)


def test_validate_and_export_commands_take_an_s3_out(s3_run, tmp_path) -> None:
    """The product commands read OUT on object storage with Beam's options after `--`."""
    bucket, _, _, _ = s3_run
    out = f"{bucket.url}/out"
    res = cli(["validate", out, "--", *bucket.beam_args], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr[-3000:]
    assert res.stdout.startswith("OK"), res.stdout
    written = json.loads(bucket.get("out/summary.json"))["dialogues_written"]
    dest = tmp_path / "moshi"
    res = cli(["export", "moshi", out, str(dest), "--", *bucket.beam_args], cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert len(list(dest.rglob("*.wav"))) == written
    missing = cli(["validate", f"{bucket.url}/nothing-here", "--", *bucket.beam_args], cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_voice_prompt_audio_on_s3_reads_like_a_local_file(s3_endpoint: str, tmp_path) -> None:
    """A CosyVoice voice's prompt clip may live on object storage beside the data."""
    import numpy as np
    import soundfile as sf

    from duplexsynth import fs
    from duplexsynth.synth.backends.cosyvoice import CosyVoiceBackend
    from duplexsynth.synth.backends.cosyvoice_files import load_prompt_audio
    from duplexsynth.synth.voices import parse_voice_bank

    t = np.arange(22050 * 3) / 22050
    local = tmp_path / "prompt.wav"
    sf.write(local, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 22050)
    bucket = new_bucket(s3_endpoint)
    bucket.put("voices/prompt.wav", local.read_bytes())
    url = f"{bucket.url}/voices/prompt.wav"
    fs.set_options(bucket.beam_args)
    CosyVoiceBackend.check_prompt(url)  # readable, >= 16 kHz, 1-30 s
    np.testing.assert_array_equal(
        np.asarray(load_prompt_audio(url, 16000)), np.asarray(load_prompt_audio(str(local), 16000))
    )
    bank = parse_voice_bank(
        {
            "assistant": "a",
            "voices": [
                {"id": "a", "backend": "cosyvoice", "role": "assistant", "prompt_wav": url,
                 "prompt_text": "Hello there."},
                {"id": "u", "backend": "espeak", "params": {"voice": "en-us"}},
            ],
        }
    )  # fmt: skip
    assert bank.voices[0].prompt_wav == url  # a URL is not made bank-relative
