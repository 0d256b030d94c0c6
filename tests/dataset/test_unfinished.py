"""`export`, `report` and `preview` refuse an OUT whose run has not finished (``_RUNNING``: still
running or killed; ``_FAILED``), with one line naming the marker and what to do; they write
nothing there. Once the run finishes, the same commands work."""

from __future__ import annotations

from pathlib import Path

import pytest
from _writetools import augmented_rows
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.pipelines import outdir
from duplexsynth.pipelines.write import finalize_rows, write_dialogue_rows


@pytest.fixture(scope="module")
def rows(say) -> list[dict]:
    kept, _ = finalize_rows(augmented_rows(say, 1))
    return kept


def _commands(out: Path, dest: Path) -> list[list[str]]:
    return [
        ["report", str(out)],
        ["preview", str(out), "dlg-0000"],
        ["export", "moshi", str(out), str(dest / "moshi")],
        ["export", "lhotse", str(out), str(dest / "lhotse")],
    ]


@pytest.mark.parametrize("marker", ["running", "failed"])
def test_unfinished_out_is_refused_in_one_line(rows, tmp_path: Path, marker: str) -> None:
    out, dest = tmp_path / "out", tmp_path / "dest"
    outdir.begin_run(str(out), "duplexsynth run")  # what a run does before writing anything
    write_dialogue_rows(out, rows)
    if marker == "failed":
        outdir.fail_run(str(out), "RuntimeError: the disk went away")
    name = outdir.RUNNING if marker == "running" else outdir.FAILED
    for args in _commands(out, dest):
        res = CliRunner().invoke(main, args, catch_exceptions=False)
        assert res.exit_code == 2, (args, res.output)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1, (args, res.output)
        assert lines[0].startswith("error: cannot ") and "unfinished run" in lines[0]
        assert str(out / name) in lines[0] and "rerun into this folder" in lines[0]
        if marker == "failed":
            assert "the disk went away" in lines[0]
    # nothing was written by the refused commands
    assert not (out / "README.md").exists() and not (out / "report").exists()
    assert not (out / "preview").exists() and not dest.exists()

    # the run completes (the marker goes): the same commands now work
    if marker == "failed":
        outdir.begin_run(str(out), "duplexsynth run")
        write_dialogue_rows(out, rows)
    outdir.finish_run(str(out))
    for args in _commands(out, dest):
        res = CliRunner().invoke(main, args, catch_exceptions=False)
        assert res.exit_code == 0, (args, res.output)
    assert (out / "README.md").is_file() and (out / "preview" / "dlg-0000.wav").is_file()
    assert (dest / "moshi" / "dataset.jsonl").is_file()
