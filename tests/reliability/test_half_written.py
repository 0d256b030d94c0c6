"""Half-written and unusable outputs, with real runs (issue 15, 4/7): SIGKILL mid-run, a failing
rerun into a complete OUT, an output under a regular file, in a read-only folder, on a full disk."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
from _servers import (
    SpeechServer,
    cli,
    cli_command,
    in_mount_namespace,
    served_bank,
    start_cli,
    tiny_corpus,
)

ESPEAK = ["--voice-bank", "espeak", "--set", "augment.rir_library_size=2"]


def _run_args(corpus: Path, out: Path) -> list[str]:
    return ["run", "--input", str(corpus), "--output", str(out), *ESPEAK]


def _no_traceback_one_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_sigkill_leaves_a_visibly_unfinished_out_and_a_rerun_completes_it(tmp_path: Path):
    corpus = tiny_corpus(tmp_path / "in.jsonl", n=4)
    out = tmp_path / "out"
    env = {"DUPLEXSYNTH_CACHE": str(tmp_path / "cache")}
    with SpeechServer("slow") as server:
        bank = served_bank(tmp_path / "bank.yaml")
        proc = start_cli(
            "run", "--input", str(corpus), "--output", str(out), "--voice-bank", str(bank),
            "--set", f"synth.tts_base_url={server.url}", env=env,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while server.requests == 0 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            assert proc.poll() is None and server.requests > 0, "the run never reached synth"
            os.killpg(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert (out / "_RUNNING").exists() and (out / "config.yaml").exists()
    assert not (out / "summary.json").exists()
    checked = cli("validate", str(out))
    assert checked.returncode == 1
    assert "_RUNNING" in checked.stdout and "has not finished" in checked.stdout
    # what a kill in the middle of writing shards leaves behind
    stale = out / "dialogues" / ".tmp-0123456789ab"
    stale.mkdir(parents=True)
    (stale / "x.parquet").write_bytes(b"half a file")
    rerun = cli(*_run_args(corpus, out), env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert not (out / "_RUNNING").exists() and not (out / "_FAILED").exists()
    assert not list(out.rglob(".tmp-*"))
    assert json.loads((out / "summary.json").read_text())["dialogues_written"] == 4
    assert cli("validate", str(out)).returncode == 0


def test_failing_rerun_does_not_touch_a_complete_out(tmp_path: Path):
    corpus = tiny_corpus(tmp_path / "in.jsonl")
    out = tmp_path / "out"
    env = {"DUPLEXSYNTH_CACHE": str(tmp_path / "cache")}
    assert cli(*_run_args(corpus, out), env=env).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = cli(*_run_args(tmp_path / "missing.jsonl", out), env=env)
    assert bad.returncode == 2
    assert "missing.jsonl" in _no_traceback_one_error(bad.stderr)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert cli("validate", str(out)).returncode == 0


def test_failed_marker_is_refused_by_validate_and_holds_no_secret(tmp_path: Path):
    """The marker a run that raised leaves (the full-disk test below makes one for real)."""
    from duplexsynth.pipelines import outdir

    out = tmp_path / "out"
    outdir.begin_run(str(out), "test")
    outdir.fail_run(str(out), "RuntimeError: boom with Bearer abcdefghijkl")
    checked = cli("validate", str(out))
    assert checked.returncode == 1 and "_FAILED" in checked.stdout and "boom" in checked.stdout
    assert "abcdefghijkl" not in (out / "_FAILED").read_text()


def test_output_under_a_regular_file_is_one_line(tmp_path: Path):
    corpus = tiny_corpus(tmp_path / "in.jsonl")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli(*_run_args(corpus, blocker / "out"))
    assert result.returncode == 2
    line = _no_traceback_one_error(result.stderr)
    assert str(blocker / "out") in line and "Not a directory" in line


def test_read_only_output_folder_is_one_line(tmp_path: Path):
    corpus = tiny_corpus(tmp_path / "in.jsonl")
    folder = tmp_path / "ro"
    folder.mkdir()
    args = _run_args(corpus, folder / "out")
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            result = cli(*args)
        finally:
            folder.chmod(0o755)
        stderr, code = result.stderr, result.returncode
    else:  # root ignores permissions: mount a read-only tmpfs there instead
        result = in_mount_namespace(f"mount -t tmpfs -o ro tmpfs {folder} && {cli_command(*args)}")
        if result is None:
            pytest.skip("cannot make a read-only folder: no mount namespace for tmpfs here")
        stderr, code = result.stderr, result.returncode
    assert code == 2, stderr
    line = _no_traceback_one_error(stderr)
    assert str(folder / "out") in line
    assert re.search(r"Read-only file system|Permission denied", line)


def test_full_disk_is_one_line_and_the_out_is_refused(tmp_path: Path):
    corpus = tiny_corpus(tmp_path / "in.jsonl")
    disk = tmp_path / "disk"
    disk.mkdir()
    out = disk / "out"
    script = (
        f"mount -t tmpfs -o size=64k tmpfs {disk} && {{ {cli_command(*_run_args(corpus, out))}; "
        f"echo RUN_RC=$?; {cli_command('validate', str(out))}; echo VALIDATE_RC=$?; }}"
    )
    result = in_mount_namespace(script, env={"DUPLEXSYNTH_CACHE": str(tmp_path / "cache")})
    if result is None:
        pytest.skip("cannot make a full filesystem: no mount namespace for a 64 KiB tmpfs here")
    assert "RUN_RC=2" in result.stdout, result.stderr
    line = _no_traceback_one_error(result.stderr)
    assert "No space left on device" in line and str(out) in line
    assert "VALIDATE_RC=1" in result.stdout and re.search(r"_(RUNNING|FAILED)", result.stdout)
