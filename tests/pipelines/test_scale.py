"""Scale-out behaviour: same bytes for any worker count, shard writing that streams."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import tracemalloc
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pytest
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.pipelines import io, shards
from duplexsynth.pipelines.stage import DialogueStage, local_workers, make_reject, pipeline_options
from duplexsynth.schemas.arrow import REJECT_SCHEMA, stage_schema
from duplexsynth.schemas.records import Dialogue, Reject, Turn

TOPICS = ("tea", "bicycles", "tomatoes", "jazz", "maps", "owls", "kites")
ASKS = (
    "Hi, can you tell me something about {t}?",
    "I just got curious about {t}, where should I start?",
    "My sister keeps talking about {t}. What is the fuss?",
    "Quick question on {t} before dinner tonight.",
    "Is {t} a good hobby for someone who works nights?",
    "Why do old people love {t} so much?",
    "Explain {t} to me like I am twelve, please.",
)
ANSWERS = (
    "Sure. People have enjoyed {t} for centuries, and each region does it differently.",
    "Start with a cheap beginner set and a library book about {t}.",
    "The fuss is mostly about patience, and {t} rewards patient people.",
    "Of course, ask away, I know a fair amount about {t}.",
    "It can be, since {t} fits into odd hours and short breaks.",
    "It reminds them of their youth, and {t} was everywhere back then.",
    "Think of {t} as a puzzle that changes a little every time you try it.",
)
FOLLOWS = (
    "How much money do I need?",
    "What is the most common mistake?",
    "Can kids join in?",
    "Does the weather matter?",
    "How long until I get good?",
    "Where do people meet to share it?",
    "What would you try first?",
)


def _chat(i: int) -> dict:
    """A ShareGPT record of 4 turns; every record says different things."""
    t = TOPICS[i % len(TOPICS)]
    turns = [
        ("human", ASKS[i % 7].format(t=t)),
        ("gpt", ANSWERS[(i * 3) % 7].format(t=t)),
        ("human", FOLLOWS[(i * 5) % 7]),
        ("gpt", f"For {t}, a notebook, {i + 2} spare evenings and a friend are plenty to begin."),
    ]
    return {"id": f"chat-{i}", "conversations": [{"from": f, "value": v} for f, v in turns]}


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob("part-*.parquet"))
    }


@pytest.mark.slow
def test_output_bytes_do_not_depend_on_the_worker_count(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DUPLEXSYNTH_CACHE", str(tmp_path / "cache"))
    corpus = tmp_path / "chat.jsonl"
    records = [_chat(i) for i in range(7)]
    records.append({"id": "code", "conversations": [
        {"from": "human", "value": "Write code."},
        {"from": "gpt", "value": "```python\nprint('hi')\n```"},
    ]})  # fmt: skip
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
    digests = []
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}"
        res = CliRunner().invoke(
            main,
            [
                "run", "--input", str(corpus), "--output", str(out), "--voice-bank", "espeak",
                "--set", "augment.rir_library_size=2", "--target-shard-mb", "0.5",
                "--workers", str(workers),
            ],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        summary = json.loads((out / "summary.json").read_text())
        assert summary["dialogues_written"] == 7 and summary["input_records"] == 8
        rejects = {s: _digest(out / "rejects" / s) for s in summary["stages_run"]}
        digests.append((_digest(out / "dialogues"), rejects))
    assert len(digests[0][0]) > 1, "a small shard target must cut several shards"
    assert digests[0] == digests[1]


def test_a_default_local_run_uses_every_core(monkeypatch) -> None:
    cores = len(os.sched_getaffinity(0))
    assert local_workers([], 0) == cores
    assert local_workers([], 3) == 3
    assert local_workers(["--direct_num_workers=5"], 0) == 5
    assert local_workers(["--runner=PortableRunner"], 0) == 1
    opts = pipeline_options([], 4).get_all_options()
    assert opts["direct_num_workers"] == 4 and opts["direct_running_mode"] == "multi_processing"
    assert pipeline_options([], 1).get_all_options()["direct_running_mode"] == "in_memory"


ROW_BYTES = 1_000_000
N_ROWS = 48
SCHEMA = pa.schema([("id", pa.string()), ("audio", pa.binary())])


def _big_row(i: int) -> dict:
    """A row carrying 1 MB of incompressible bytes (like a dialogue's audio)."""
    seed = hashlib.sha256(str(i).encode()).digest()
    blob = (seed * (ROW_BYTES // len(seed) + 1))[:ROW_BYTES]
    blob = bytes(b ^ (k * 131 % 251) for k, b in enumerate(blob[:4096])) + blob[4096:]
    return {"id": f"row-{(i * 37) % N_ROWS:03d}", "audio": blob}


def test_shard_writing_streams_instead_of_collecting_rows(tmp_path: Path, monkeypatch) -> None:
    """48 MB of rows written through WriteShards into ONE shard: the peak of Python memory
    stays far below the data size, so no step (runner, buffers, sort, merge, shard) holds them
    all. Small limits (4 MB buffers, 4-row groups, a merge of 4 files at once, so 12 temporary
    files take merge rounds) make the bound small next to the data."""
    monkeypatch.setattr(shards, "MAX_MERGE_FILES", 4)
    monkeypatch.setattr(shards, "MAX_KEY_FILES", 4)
    monkeypatch.setattr(shards, "TEMP_GROUP_BYTES", 1)
    out = tmp_path / "out"
    tracemalloc.start()
    try:
        with beam.Pipeline(options=pipeline_options([], 1)) as p:
            _ = (
                p
                | beam.Create(list(range(N_ROWS)))
                | beam.Map(_big_row)
                | io.WriteShards(
                    str(out), SCHEMA, target_shard_mb=1000, row_group_rows=4, buffer_mb=4
                )
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    files = io.part_files(out)
    assert len(files) == 1
    ids = [r["id"] for r in io.iter_rows(files[0])]
    assert ids == sorted(ids) and len(ids) == N_ROWS
    assert peak < 0.5 * N_ROWS * ROW_BYTES, f"peak {peak / 1e6:.0f} MB: rows were collected"


class _SlowProcessor:
    """Waits a little (like a server round trip) on the window's threads (else it fails),
    rejects ids ending in 3, raises on ids ending in 5."""

    def __call__(self, dialogue: Dialogue) -> Dialogue | Reject:
        time.sleep(0.05)
        if not threading.current_thread().name.startswith("duplexsynth-synth"):
            raise RuntimeError("not run on the window's threads")
        if dialogue.id.endswith("5"):
            raise RuntimeError("engine exploded")
        if dialogue.id.endswith("3"):
            return make_reject(dialogue, "synth", "tts_error", "server said no")
        return dialogue


def test_dialogue_window_emits_every_row_once_with_rejects_tagged(tmp_path: Path) -> None:
    """A window of 3 dialogues in flight: every row comes out once, rejects and failures go
    to the dead letters alone (also the ones still in flight when the bundle ends)."""
    rows = [
        Dialogue(
            id=f"d-{i:02d}", source_file="x.jsonl", source_index=i, record_id=None,
            format="sharegpt", turns=(Turn(0, "user", f"hello {i}"),),
        ).to_row()
        for i in range(17)
    ]  # fmt: skip
    rows.append({"id": "broken", "turns": "not a list"})
    out = tmp_path / "out"
    with beam.Pipeline(options=pipeline_options([], 1)) as p:
        result = p | beam.Create(rows) | DialogueStage("synth", _SlowProcessor(), concurrency=3)
        _ = result["main"] | "Main" >> io.WriteShards(str(out / "main"), stage_schema("filter"))
        _ = result["rejects"] | "Rej" >> io.WriteShards(
            str(out / "rej"), REJECT_SCHEMA, sort_key=io.reject_sort_key
        )
    kept = [r["id"] for r in io.read_folder_rows(out / "main")]
    rejected = {r["id"] or "": r["reason"] for r in io.read_folder_rows(out / "rej")}
    assert kept == [f"d-{i:02d}" for i in range(17) if i % 10 not in (3, 5)]
    assert rejected == {
        "d-03": "tts_error", "d-13": "tts_error", "d-05": "stage_error", "d-15": "stage_error",
        "broken": "bad_input",
    }  # fmt: skip
