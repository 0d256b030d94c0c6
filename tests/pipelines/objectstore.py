"""Real servers for the scale-out tests: a local S3 server (moto's standalone server) and a Beam
worker pool, each started on a free loopback port and stopped at teardown.

Also a small CLI runner that starts ``duplexsynth`` in a child process, the way a user (or a
cluster launcher) would, so that nothing from the test process leaks into the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from _clitools import run_cli

REPO = Path(__file__).resolve().parents[2]
ACCESS_KEY = "duplexsynth-test-key"
SECRET_KEY = "duplexsynth-test-secret-0123456789"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout_s:.0f}s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def moto_server() -> Iterator[str]:
    """A real S3 API on ``http://127.0.0.1:PORT`` (moto's server), killed on exit."""
    exe = shutil.which("moto_server", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("moto[server] is not installed (pip install 'moto[server]')")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, proc, "moto_server")
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@contextmanager
def worker_pool() -> Iterator[int]:
    """A Beam worker pool (``worker_pool_main``) for ``--environment_type=EXTERNAL``."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main"]
        + [f"--service_port={port}"],
        # the pool starts its SDK workers as plain `python`: the one of this environment
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, proc, "worker_pool_main")
        yield port
    finally:
        _stop(proc)


@dataclass
class Bucket:
    """One fresh bucket on the local S3 server, with the Beam options that reach it."""

    endpoint: str
    name: str

    @property
    def url(self) -> str:
        return f"s3://{self.name}"

    @property
    def beam_args(self) -> list[str]:
        return [
            f"--s3_endpoint_url={self.endpoint}",
            f"--s3_access_key_id={ACCESS_KEY}",
            f"--s3_secret_access_key={SECRET_KEY}",
            f"--s3_region_name={REGION}",
        ]

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def keys(self, prefix: str = "") -> list[str]:
        out: list[str] = []
        for page in (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        ):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return sorted(out)

    def get(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, data: bytes) -> None:
        self.client().put_object(Bucket=self.name, Key=key, Body=data)


def new_bucket(endpoint: str) -> Bucket:
    bucket = Bucket(endpoint, f"ds-{uuid.uuid4().hex[:12]}")
    bucket.client().create_bucket(Bucket=bucket.name)
    return bucket


def cli(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout_s: float = 300):
    """``duplexsynth ARGS`` in a child process (cwd ``cwd``); returns the CompletedProcess."""
    return run_cli(args, cwd=cwd, env=env, timeout_s=timeout_s)


def files_under(root: Path) -> dict[str, bytes]:
    """``{relative path: bytes}`` of every file under ``root``."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
