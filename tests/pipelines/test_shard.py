"""``run --shard I/N``: disjoint parts whose rows together are exactly one whole run's rows."""

from __future__ import annotations

import io as _io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from objectstore import cli

from duplexsynth.pipelines.counting import parse_shard, shard_of

SAMPLE = Path(__file__).resolve().parents[2] / "duplexsynth" / "data" / "sample"
FAST = ["--voice-bank", "espeak", "--set", "augment.rir_library_size=2", "--limit", "8"]


def _rows(out: Path, folder: str) -> dict[str, bytes]:
    """``{row key: the row serialized on its own}`` of every shard file in ``out/folder``."""
    rows: dict[str, bytes] = {}
    for f in sorted((out / folder).glob("part-*.parquet")):
        table = pq.read_table(f)
        for i in range(table.num_rows):
            one = table.slice(i, 1)
            sink = _io.BytesIO()
            pq.write_table(one, sink)
            row = one.to_pylist()[0]
            key = f"{row.get('stage', '')}|{row['id']}|{row.get('reason', '')}"
            assert key not in rows, f"row {key} twice"
            rows[key] = sink.getvalue()
    return rows


def _all_rows(out: Path) -> dict[str, bytes]:
    rows = _rows(out, "dialogues")
    for stage_dir in sorted((out / "rejects").iterdir()):
        rows.update(_rows(out, f"rejects/{stage_dir.name}"))
    return rows


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("shard")
    base = ["run", "--input", str(SAMPLE), *FAST, "--cache-dir", str(work / "cache")]
    outs = {"whole": work / "whole", "0/2": work / "part0", "1/2": work / "part1"}
    for name, out in outs.items():
        extra = [] if name == "whole" else ["--shard", name]
        res = cli([*base, *extra, "--output", str(out)], cwd=work)
        assert res.returncode == 0, res.stderr[-3000:]
    return outs


def test_parts_together_equal_one_run_row_for_row(runs: dict[str, Path]) -> None:
    whole = _all_rows(runs["whole"])
    part0, part1 = _all_rows(runs["0/2"]), _all_rows(runs["1/2"])
    assert part0 and part1, "a part is empty: the split does not split"
    assert not set(part0) & set(part1), "a row is in both parts"
    assert {**part0, **part1} == whole  # same rows, each byte-identical


def test_part_summaries_add_up_to_the_whole(runs: dict[str, Path]) -> None:
    summaries = {k: json.loads((v / "summary.json").read_text()) for k, v in runs.items()}
    whole = summaries.pop("whole")
    assert [s["shard"] for s in summaries.values()] == ["0/2", "1/2"]
    for key in ("input_records", "dialogues_written"):
        assert sum(s[key] for s in summaries.values()) == whole[key]
    for s in summaries.values():
        assert s["input_records"] == s["dialogues_written"] + sum(s["rejected"].values())
    rejected: dict[str, int] = {}
    for s in summaries.values():
        for reason, n in s["rejected"].items():
            rejected[reason] = rejected.get(reason, 0) + n
    assert rejected == whole["rejected"]


def test_shard_of_is_stable_and_balanced() -> None:
    ids = [f"corpus-{i:06d}" for i in range(4000)]
    counts = [0, 0, 0, 0]
    for d in ids:
        counts[shard_of(d, 4)] += 1
    assert min(counts) > 900  # roughly even
    assert shard_of("sharegpt-000001", 7) == shard_of("sharegpt-000001", 7)


@pytest.mark.parametrize("bad", ["2/2", "-1/3", "1", "a/b", "0/0"])
def test_bad_shard_is_a_clean_error(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--shard"):
        parse_shard(bad)
    res = cli(["run", "--shard", bad, "--output", str(tmp_path / "out")], cwd=tmp_path)
    assert res.returncode == 2 and "--shard" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("name", ["whole", "0/2", "1/2"])
def test_counting_without_metrics_gives_the_same_summary(runs: dict[str, Path], name: str) -> None:
    """A runner that reports no metrics: the launcher counts the input itself and reads the
    rejects and shards back; the counts equal the metrics-based summary.json."""
    from duplexsynth.pipelines.config import build_run_config
    from duplexsynth.pipelines.run import RunSpec, collect_summary

    config = build_run_config({}, {"run": {"input": [str(SAMPLE)], "limit": 8}})
    spec = RunSpec(
        output_root=str(runs[name]),
        config=config,
        shard=None if name == "whole" else parse_shard(name),
    )
    recounted = collect_summary(spec, 0.0, counters=None)
    metrics = json.loads((runs[name] / "summary.json").read_text())
    for key in ("input_records", "dialogues_written", "rejected", "rejected_by_stage"):
        assert recounted[key] == metrics[key], key
    assert {s: v["kept"] for s, v in recounted["per_stage"].items()} == {
        s: v["kept"] for s, v in metrics["per_stage"].items()
    }
    assert recounted["audio_hours"] == metrics["audio_hours"]


def test_stale_temporary_shard_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    from duplexsynth.pipelines.run import remove_stale_temp

    stale = [
        tmp_path / "dialogues" / ".tmp-0123456789ab" / "x.parquet",
        tmp_path / "rejects" / "filter" / ".tmp-ba9876543210" / "y.parquet",
    ]
    kept = [tmp_path / "dialogues" / "part-00000.parquet", tmp_path / "summary.json"]
    for p in stale + kept:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    remove_stale_temp(str(tmp_path))
    assert not any(p.exists() or p.parent.exists() for p in stale)
    assert all(p.exists() for p in kept)
