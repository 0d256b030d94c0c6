"""``duplexsynth filter``: the stage contract on the sample corpus, limits, reruns, runners, config."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.filter import dedup_dialogues, filter_dialogue, sample_corpus_dir
from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.readers import ParseError, parse_raw
from duplexsynth.filter.sources import iter_raw_records, resolve_sources
from duplexsynth.pipelines import io
from duplexsynth.schemas.arrow import REJECT_SCHEMA, stage_schema
from duplexsynth.schemas.records import Dialogue, Reject

PORTABLE = ["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"]


def run_cli(*args: str, exit_code: int = 0) -> dict:
    result = CliRunner().invoke(main, ["filter", *args], catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    out = Path(args[args.index("--output") + 1])
    return json.loads((out / "summary.json").read_text())


def expected(config: FilterConfig | None = None) -> tuple[list[str], dict[str, int]]:
    """Kept ids and reject counts of the sample computed by the library alone (no Beam)."""
    config = config or FilterConfig()
    kept, reasons = [], []
    for source in resolve_sources([str(sample_corpus_dir())], config):
        for raw in iter_raw_records(source):
            try:
                out = filter_dialogue(parse_raw(raw, config), config)
            except ParseError:
                reasons.append("malformed")
                continue
            if isinstance(out, Reject):
                reasons.append(out.reason)
            else:
                kept.append(out)
    result = dedup_dialogues(kept, config)
    reasons += [r.reason for r in result.rejects]
    counts = {r: reasons.count(r) for r in sorted(set(reasons))}
    return sorted(d.id for d in result.kept), counts


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("filter") / "out"
    run_cli("--output", str(out), "--seed", "3")
    return out


def test_sample_run_follows_the_stage_contract(sample_out: Path):
    summary = json.loads((sample_out / "summary.json").read_text())
    kept_ids, counts = expected()
    assert summary["stage"] == "filter"
    assert summary["input_records"] == summary["kept"] + sum(summary["rejected"].values())
    assert summary["kept"] == len(kept_ids) and summary["rejected"] == counts
    assert summary["filter_config"] == FilterConfig().to_dict()
    rows = io.read_folder_rows(sample_out / "filtered")
    assert [r["id"] for r in rows] == kept_ids  # sorted by id
    files = io.part_files(sample_out / "filtered")
    assert pq.read_schema(files[0]).names == stage_schema("filter").names
    for row in rows:
        d = Dialogue.from_row(row)
        assert d.turns[0].speaker == "user" and d.turns[-1].speaker == "assistant"
        assert "filter" in d.params and d.params["filter"]["config"] == FilterConfig().digest()
    rejects = io.read_folder_rows(sample_out / "rejects" / "filter")
    assert len(rejects) == sum(counts.values())
    assert all(r["stage"] == "filter" and r["detail"] and r["source_file"] for r in rejects)
    assert set(rejects[0]) == set(REJECT_SCHEMA.names)


def test_limit_takes_the_first_records_in_input_order(tmp_path: Path):
    summary = run_cli("--output", str(tmp_path / "o"), "--limit", "7")
    assert summary["input_records"] == 7
    ids = {r["id"] for r in io.read_folder_rows(tmp_path / "o" / "filtered")}
    ids |= {r["id"] for r in io.read_folder_rows(tmp_path / "o" / "rejects" / "filter")}
    assert ids == {f"alpaca-{i:06d}" for i in range(7)}


def test_rerun_gives_byte_identical_shards(sample_out: Path, tmp_path: Path):
    again = tmp_path / "again"
    run_cli("--output", str(again), "--seed", "3")
    for sub in ("filtered", "rejects/filter"):
        a = [Path(p).read_bytes() for p in io.part_files(sample_out / sub)]
        b = [Path(p).read_bytes() for p in io.part_files(again / sub)]
        assert a == b and a, sub


def test_portable_runner(sample_out: Path, tmp_path: Path):
    summary = run_cli("--output", str(tmp_path / "p"), "--", *PORTABLE)
    direct = json.loads((sample_out / "summary.json").read_text())
    assert (summary["kept"], summary["rejected"]) == (direct["kept"], direct["rejected"])
    a = [r["id"] for r in io.read_folder_rows(tmp_path / "p" / "filtered")]
    assert a == [r["id"] for r in io.read_folder_rows(sample_out / "filtered")]


def test_config_file_with_flags_that_win(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("filter:\n  max_words_per_turn: 12\n  dedup: false\n  language: fr\n")
    # at 12 words per turn no sample dialogue passes: the command writes nothing and exits 1
    summary = run_cli(
        "--output", str(tmp_path / "o"), "--config", str(cfg), "--language", "any", exit_code=1
    )
    want_ids, want_counts = expected(
        FilterConfig(max_words_per_turn=12, dedup=False, language="any")
    )
    assert summary["rejected"] == want_counts
    assert "duplicate" not in summary["rejected"] and "language" not in summary["rejected"]
    assert summary["rejected"]["too_long"] > 1
    assert summary["filter_config"]["language"] == "any"


def test_several_inputs_including_a_local_hf_dataset(tmp_path: Path):
    data = tmp_path / "hfdata" / "data"
    data.mkdir(parents=True)
    (data / "train.jsonl").write_text(
        json.dumps(
            {
                "question": "Why is the sky blue?",
                "response": "Sunlight scatters off air, and blue light scatters the most.",
            }
        )
        + "\n"
    )
    mine = tmp_path / "mine.jsonl"
    mine.write_text(
        json.dumps(
            {"data": ["Is tea healthy?", "In moderation it is a fine drink for most people."]}
        )
        + "\n{oops\n"
    )
    summary = run_cli(
        "-i", str(mine), "-i", f"hf:{tmp_path / 'hfdata'}", "--output", str(tmp_path / "o"),
        "--hf-streaming", "--hf-cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert summary["input_records"] == 3 and summary["rejected"] == {"malformed": 1}
    assert summary["sources"] == ["mine.jsonl", f"hf:{tmp_path / 'hfdata'}:train"]
    rows = io.read_folder_rows(tmp_path / "o" / "filtered")
    assert [(r["id"], r["format"]) for r in rows] == [
        ("hfdata-train-000000", "openorca"),
        ("mine-000000", "ultrachat"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-i", "/no/such/file.jsonl"], "does not exist"),
        (["--config", "CFG"], "unknown filter option(s): max_words"),
        (["-i", "hf:x?bad=1"], "unknown option(s) bad"),
    ],
)
def test_user_errors_exit_2_with_a_message(tmp_path: Path, args, message):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("filter:\n  max_words: 12\n")
    args = [str(cfg) if a == "CFG" else a for a in args]
    result = CliRunner().invoke(main, ["filter", "--output", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_help_explains_the_options():
    result = CliRunner().invoke(main, ["filter", "--help"])
    assert result.exit_code == 0
    for needle in ("--max-words", "--language", "--no-dedup", "hf:NAME", "bundled sample"):
        assert needle in result.output
