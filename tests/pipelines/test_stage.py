"""The generic stage runner: shards, rejects, dead letters, summary invariant, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duplexsynth.pipelines import io
from duplexsynth.pipelines.stage import DialogueStage, StageRun, make_reject, run_stage
from duplexsynth.schemas.records import Dialogue, Turn


def _dialogue(i: int, text: str = "hello there") -> Dialogue:
    return Dialogue(
        id=f"t-{i:04d}",
        source_file="t.jsonl",
        source_index=i,
        record_id=None,
        format="alpaca",
        turns=(Turn(0, "user", text), Turn(1, "assistant", "fine thanks")),
    )


class _Upper:
    """Rejects texts containing 'bad', raises on 'boom', upper-cases the rest."""

    def __call__(self, d: Dialogue):
        if "boom" in d.turns[0].source_text:
            raise RuntimeError("engine exploded")
        if "bad" in d.turns[0].source_text:
            return make_reject(d, "rewrite", "llm_invalid", "bad text")
        turns = tuple(t.replace(spoken_text=t.source_text.upper()) for t in d.turns)
        return d.replace(turns=turns, rewrite_method="rules")


@pytest.fixture()
def filtered_root(tmp_path: Path) -> Path:
    rows = [_dialogue(i).to_row() for i in range(20)]
    rows[3] = _dialogue(3, "bad one").to_row()
    rows[7] = _dialogue(7, "boom").to_row()
    rows[9] = {
        "id": "broken",
        "source_file": "t.jsonl",
        "source_index": 9,
        "turns": [{"speaker": "user"}],
    }
    io.write_stage_rows(tmp_path / "in", "filter", rows)
    return tmp_path / "in"


def _run(filtered_root: Path, out: Path, beam_args=(), limit=None) -> dict:
    spec = StageRun(
        stage="rewrite",
        output_root=str(out),
        source=io.ReadStageInput(str(filtered_root), "rewrite", limit),
        build=lambda rows: rows | DialogueStage("rewrite", _Upper()),
        beam_args=list(beam_args),
    )
    return run_stage(spec)


def test_stage_writes_rows_rejects_and_summary(filtered_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = _run(filtered_root, out)
    assert summary["input_records"] == 20
    assert summary["kept"] == 17
    assert summary["rejected"] == {"bad_input": 1, "llm_invalid": 1, "stage_error": 1}
    assert json.loads((out / "summary.json").read_text())["kept"] == 17
    rows = io.read_folder_rows(out / "rewritten")
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert rows[0]["turns"][0]["spoken_text"] == "HELLO THERE"
    rejects = io.read_folder_rows(out / "rejects" / "rewrite")
    by_reason = {r["reason"]: r for r in rejects}
    assert "engine exploded" in by_reason["stage_error"]["detail"]
    assert by_reason["stage_error"]["source_index"] == 7


def test_limit_and_byte_identical_reruns(filtered_root: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _run(filtered_root, a)
    _run(filtered_root, b)
    pa_ = sorted((a / "rewritten").glob("part-*.parquet"))
    pb_ = sorted((b / "rewritten").glob("part-*.parquet"))
    assert [p.read_bytes() for p in pa_] == [p.read_bytes() for p in pb_]
    s = _run(filtered_root, tmp_path / "c", limit=5)
    assert s["input_records"] == 5


def test_missing_input_names_the_command_to_run(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="duplexsynth filter"):
        io.ReadStageInput(str(tmp_path), "rewrite")


def test_portable_runner_loopback(filtered_root: Path, tmp_path: Path) -> None:
    summary = _run(
        filtered_root,
        tmp_path / "p",
        beam_args=[
            "--runner=PortableRunner",
            "--job_endpoint=embed",
            "--environment_type=LOOPBACK",
        ],
    )
    assert summary["kept"] == 17


def test_finalize_merges_sorted_temp_files_into_ordered_shards(tmp_path: Path) -> None:
    from duplexsynth.schemas.arrow import stage_schema

    schema = stage_schema("filter")
    rows = [_dialogue(i).to_row() for i in range(60)]
    tmp = str(tmp_path / "tmp")
    temps = [
        io.write_sorted_temp(tmp, rows[k::3], schema, io.row_sort_key, row_group_rows=4)
        for k in range(3)
    ]
    written = io.finalize_shards(
        temps, str(tmp_path / "out"), schema, io.row_sort_key, target_shard_mb=0.002
    )
    assert len(written) > 1, "a tiny target must cut several shards"
    ids = [r["id"] for r in io.read_folder_rows(tmp_path / "out")]
    assert ids == sorted(r["id"] for r in rows)
