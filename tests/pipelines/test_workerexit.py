"""Worker processes end quickly, still running the other exit handlers and keeping a failure's
exit status; any other process is left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from duplexsynth.pipelines import workerexit

# a process that calls itself Beam's SDK worker main (as `python -m ...sdk_worker_main` does)
SCRIPT = """
import atexit, importlib.machinery, sys
sys.modules["__main__"].__spec__ = importlib.machinery.ModuleSpec({name!r}, None)
atexit.register(lambda: open({marker!r}, "w").write("other handler ran"))
class Held:  # freed only when the interpreter tears its objects down
    def __del__(self, _open=open, _path={marker!r} + ".teardown"):
        _open(_path, "w").write("freed")
held = Held()
from duplexsynth.pipelines.workerexit import end_workers_quickly
print("active" if end_workers_quickly() else "inactive", flush=True)
end_workers_quickly()  # twice: registered once
if {fail!r}:
    raise RuntimeError("the harness failed")
"""


def _run(tmp_path: Path, name: str, fail: bool) -> tuple[subprocess.CompletedProcess, Path]:
    marker = tmp_path / f"marker-{name}-{fail}"
    code = SCRIPT.format(name=name, marker=str(marker), fail=fail)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return proc, marker


@pytest.mark.parametrize("fail", [False, True])
def test_an_sdk_worker_exits_quickly_with_its_status_and_other_handlers(
    tmp_path: Path, fail: bool
) -> None:
    proc, marker = _run(tmp_path, workerexit.SDK_WORKER_MAIN, fail)
    assert proc.stdout.strip() == "active"
    assert proc.returncode == (1 if fail else 0), proc.stderr
    assert marker.read_text() == "other handler ran"
    assert not Path(f"{marker}.teardown").exists(), "the interpreter was torn down"
    assert ("the harness failed" in proc.stderr) == fail


def test_other_processes_are_left_alone(tmp_path: Path) -> None:
    assert not workerexit.in_sdk_worker()  # this test process
    proc, marker = _run(tmp_path, "some.other.main", fail=False)
    assert proc.stdout.strip() == "inactive" and proc.returncode == 0
    assert marker.read_text() == "other handler ran"
    assert Path(f"{marker}.teardown").read_text() == "freed"
