"""Inputs: files, globs, folders, stems and ids, raw records, damaged files, limits, hf: sources."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _filtertools import CLEAN_A, CLEAN_Q, chat, write_jsonl

from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.readers import ParseError, decode_raw
from duplexsynth.filter.sources import (
    count_records,
    file_stem,
    iter_raw_records,
    parse_hf_spec,
    plan_limit,
    resolve_sources,
)


def records(source, limit=None):
    return list(iter_raw_records(source, limit))


def test_stems_and_kinds(tmp_path: Path):
    a = write_jsonl(tmp_path / "My Data.v2.jsonl.gz", [chat("q", "a")], gz=True)
    b = write_jsonl(tmp_path / "b.json", [])
    pq.write_table(pa.table({"question": ["q"], "response": ["a"]}), tmp_path / "c.parquet")
    srcs = resolve_sources([str(a), str(b), str(tmp_path / "c.parquet")])
    assert [(s.kind, s.stem, s.source_file) for s in srcs] == [
        ("jsonl", "My_Data_v2", "My Data.v2.jsonl.gz"),
        ("json", "b", "b.json"),
        ("parquet", "c", "c.parquet"),
    ]
    assert file_stem("x/train-00000-of-00002.parquet") == "train-00000-of-00002"


def test_globs_folders_order_and_duplicates(tmp_path: Path):
    for name in ("b.jsonl", "a.jsonl", "sub/c.jsonl", "notes.txt"):
        write_jsonl(tmp_path / name, [chat("q", "a")])
    srcs = resolve_sources([str(tmp_path / "*.jsonl"), str(tmp_path)])
    assert [s.source_file for s in srcs] == ["a.jsonl", "b.jsonl", "c.jsonl"]


def test_colliding_stems_get_a_path_hash(tmp_path: Path):
    one = write_jsonl(tmp_path / "x" / "train.jsonl", [chat("q", "a")])
    two = write_jsonl(tmp_path / "y" / "train.jsonl", [chat("q", "a")])
    three = write_jsonl(tmp_path / "x" / "train.json", [chat("q", "a")])
    other = write_jsonl(tmp_path / "other.jsonl", [chat("q", "a")])
    srcs = resolve_sources([str(one), str(two), str(three), str(other)])
    stems = [s.stem for s in srcs]
    assert len(set(stems)) == 4
    assert all(s.startswith("train-") and len(s) == len("train-") + 6 for s in stems[:3])
    assert stems[3] == "other"
    # the hash depends on the path only, not on the order the inputs were given
    again = resolve_sources([str(two), str(one)])
    assert {s.location: s.stem for s in again} == {s.location: s.stem for s in srcs[:2]}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: str(p / "missing.jsonl"), "does not exist"),
        (lambda p: str(p / "*.jsonl"), "matches no files"),
        (lambda p: str((p / "x.csv").write_text("a,b") and p / "x.csv"), "unsupported file type"),
        (lambda p: str(p), "holds no .json"),
        (lambda p: "hf:", "expected hf:NAME"),
        (lambda p: "hf:org/name?splt=train", "unknown option"),
    ],
)
def test_bad_inputs_are_value_errors_naming_the_input(tmp_path: Path, make, message):
    with pytest.raises(ValueError, match=message):
        resolve_sources([make(tmp_path)])


def test_jsonl_lines_blank_lines_and_broken_lines(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(
        json.dumps(chat("q", "a")).encode() + b"\n\n   \n" + b'{"broken": \n' + b'{"x": "\xff"}\n'
    )
    (src,) = resolve_sources([str(path)])
    raws = records(src)
    assert [(r["id"], r["source_index"]) for r in raws] == [
        ("c-000000", 0),
        ("c-000003", 3),
        ("c-000004", 4),
    ]
    assert isinstance(decode_raw(raws[0]), dict)
    for r in raws[1:]:
        with pytest.raises(ParseError):
            decode_raw(r)


def test_truncated_gzip_yields_what_was_read_plus_one_error_record(tmp_path: Path):
    data = gzip.compress(
        b"".join(json.dumps(chat(f"q{i}", "a")).encode() + b"\n" for i in range(50))
    )
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    (src,) = resolve_sources([str(path)])
    raws = records(src)
    assert "error" in raws[-1] and "unreadable from line" in raws[-1]["error"]
    assert all("line" in r for r in raws[:-1])
    assert raws[-1]["source_index"] == len(raws) - 1


def test_json_array_object_and_jsonl_in_disguise(tmp_path: Path):
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([chat("q1", "a"), chat("q2", "a"), 5]))
    obj = tmp_path / "obj.json"
    obj.write_text(json.dumps(chat("q", "a")))
    lines = write_jsonl(tmp_path / "lines.json", [chat("q", "a"), chat("r", "b")])
    bad = tmp_path / "bad.json"
    bad.write_text('[{"a": 1},')
    by = {s.source_file: records(s) for s in resolve_sources([str(tmp_path)])}
    assert [r["source_index"] for r in by["arr.json"]] == [0, 1, 2]
    assert by["arr.json"][2]["record"] == 5
    assert len(by["obj.json"]) == 1 and "record" in by["obj.json"][0]
    assert [("line" in r) for r in by["lines.json"]] == [True, True]
    assert lines.exists()
    assert len(by["bad.json"]) == 1 and "invalid JSON file" in by["bad.json"][0]["error"]


def test_parquet_rows(tmp_path: Path):
    path = tmp_path / "orca.parquet"
    rows = [{"id": f"o{i}", "question": f"q{i}", "response": "a"} for i in range(5)]
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=2)
    (src,) = resolve_sources([str(path)])
    raws = records(src)
    assert [r["record"]["id"] for r in raws] == ["o0", "o1", "o2", "o3", "o4"]
    assert count_records(src) == 5 and count_records(src, 3) == 3
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(b"PAR1 not really")
    (dsrc,) = resolve_sources([str(damaged)])
    assert len(records(dsrc)) == 1 and "unreadable Parquet" in records(dsrc)[0]["error"]


def test_plan_limit_takes_the_first_records_in_input_order(tmp_path: Path):
    a = write_jsonl(tmp_path / "a.jsonl", [chat(f"q{i}", "a") for i in range(3)])
    b = write_jsonl(tmp_path / "b.jsonl", ["{broken", chat("q", "a"), chat("q", "b")])
    srcs = resolve_sources([str(b), str(a)])
    plan = plan_limit(srcs, 4)
    assert [(s.source_file, n) for s, n in plan] == [("b.jsonl", 3), ("a.jsonl", 1)]
    assert [(s.source_file, n) for s, n in plan_limit(srcs, 2)] == [("b.jsonl", 2)]
    assert [n for _, n in plan_limit(srcs, None)] == [None, None]
    ids = [r["id"] for s, n in plan for r in iter_raw_records(s, n)]
    assert ids == ["b-000000", "b-000001", "b-000002", "a-000000"]


def test_hf_spec_options_and_stems(tmp_path: Path):
    cfg = FilterConfig(hf_split="validation", hf_streaming=False)
    src = parse_hf_spec("hf:tatsu-lab/alpaca", cfg)
    assert (src.kind, src.location, src.split, src.stem) == (
        "hf",
        "tatsu-lab/alpaca",
        "validation",
        "tatsu-lab_alpaca-validation",
    )
    assert src.source_file == "hf:tatsu-lab/alpaca:validation"
    src = parse_hf_spec("hf:org/data?split=test&config=en&streaming=true&revision=v1", cfg)
    assert (src.split, src.config, src.streaming, src.revision) == ("test", "en", True, "v1")
    assert src.stem == "org_data-en-test"


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory) -> Path:
    """A local dataset folder that ``datasets.load_dataset`` reads without network."""
    root = tmp_path_factory.mktemp("hfdata")
    write_jsonl(
        root / "data" / "train.jsonl",
        [{"instruction": CLEAN_Q, "input": "", "output": CLEAN_A, "id": i} for i in range(3)],
    )
    write_jsonl(root / "data" / "test.jsonl", [{"instruction": "Q", "input": "", "output": "A"}])
    return root


@pytest.mark.parametrize("streaming", [False, True])
def test_hf_local_data_folder(hf_folder: Path, tmp_path: Path, streaming: bool):
    cfg = FilterConfig(hf_streaming=streaming, hf_cache_dir=str(tmp_path / "cache"))
    (src,) = resolve_sources([f"hf:{hf_folder}"], cfg)
    raws = records(src)
    assert [r["id"] for r in raws] == [f"{hf_folder.name}-train-{i:06d}" for i in range(3)]
    assert raws[0]["record"]["instruction"] == CLEAN_Q
    assert raws[0]["source_file"] == f"hf:{hf_folder}:train"
    (test_src,) = resolve_sources([f"hf:{hf_folder}?split=test"], cfg)
    assert count_records(test_src) == 1


def test_hf_saved_to_disk_dataset_dict(tmp_path: Path):
    import datasets

    dd = datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list([{"question": "q", "response": "a"}] * 2),
            "dev": datasets.Dataset.from_list([{"question": "d", "response": "a"}]),
        }
    )
    dd.save_to_disk(str(tmp_path / "saved"))
    (src,) = resolve_sources([f"hf:{tmp_path / 'saved'}?split=dev"])
    assert [r["record"]["question"] for r in records(src)] == ["d"]
    (missing,) = resolve_sources([f"hf:{tmp_path / 'saved'}?split=nope"])
    with pytest.raises(ValueError, match="split 'nope' not in"):
        records(missing)
