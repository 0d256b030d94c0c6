"""The run marker on object storage: a local S3 server (moto), paths through Beam FileSystems
(issue 15, 4). No folders and no renames there, which is why the marker is a file."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("moto")
pytest.importorskip("boto3")


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    moto = Path(sys.executable).with_name("moto_server")
    if not moto.exists():
        pytest.skip("moto_server is not installed")
    proc = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def bucket(s3_endpoint, monkeypatch):
    import boto3
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="runs")
    FileSystems.set_options(
        PipelineOptions(
            [
                f"--s3_endpoint_url={s3_endpoint}",
                "--s3_access_key_id=testing",
                "--s3_secret_access_key=testing",
                "--s3_region_name=us-east-1",
            ]
        )
    )
    yield client
    FileSystems.set_options(PipelineOptions([]))


def test_marker_lifecycle_and_stale_temp_cleanup_on_s3(bucket):
    from duplexsynth.pipelines import outdir

    root = "s3://runs/out"
    bucket.put_object(Bucket="runs", Key="out/summary.json", Body=b"{}")
    bucket.put_object(Bucket="runs", Key="out/dialogues/.tmp-0123456789ab/x.parquet", Body=b"x")
    bucket.put_object(Bucket="runs", Key="out/rejects/synth/.tmp-ba9876543210/y.parquet", Body=b"y")
    bucket.put_object(Bucket="runs", Key="out/dialogues/part-00000.parquet", Body=b"keep")

    removed = outdir.begin_run(root, "duplexsynth run")
    assert len(removed) == 2
    keys = {o["Key"] for o in bucket.list_objects_v2(Bucket="runs")["Contents"]}
    assert keys == {"out/_RUNNING", "out/dialogues/part-00000.parquet"}
    assert "has not finished" in outdir.incomplete_reason(root)

    outdir.fail_run(root, "OSError: disk gone, Bearer abcdefghijkl")
    reason = outdir.incomplete_reason(root)
    assert "failed" in reason and "disk gone" in reason and "abcdefghijkl" not in reason

    outdir.begin_run(root)
    bucket.put_object(Bucket="runs", Key="out/summary.json", Body=b"{}")
    outdir.finish_run(root)
    assert outdir.incomplete_reason(root) is None
    keys = {o["Key"] for o in bucket.list_objects_v2(Bucket="runs")["Contents"]}
    assert keys == {"out/summary.json", "out/dialogues/part-00000.parquet"}
