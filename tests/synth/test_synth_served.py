"""A served TTS engine is kept busy: many dialogues' requests in flight, capped per worker.

Runs the synth stage under Beam against :class:`~duplexsynth.synth.slot_server.SlotServer`, a
real loopback HTTP server with K slots that answers with WAV audio.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import apache_beam as beam
from _synthtools import rewritten
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline

from duplexsynth.pipelines.transforms.synth import SynthTransform
from duplexsynth.synth import SynthConfig
from duplexsynth.synth.slot_server import SlotServer

BANK = (
    "version: 1\nassistant: srv-a\nvoices:\n"
    "  - {id: srv-a, backend: openai, params: {voice: alloy}, role: assistant}\n"
    "  - {id: srv-u, backend: openai, params: {voice: echo}}\n"
)


PLANTS = ("garden", "roses", "zucchini")


def _dialogues(n: int) -> list[dict]:
    """``n`` dialogues of 3 user + 3 assistant turns; one user text is shared by all."""
    out = []
    for i in range(n):
        lines = (
            ("user", f"Hello there, I have question number {i} about my {PLANTS[i % 3]}."),
            ("assistant", f"Of course, tell me about question {i} and your plants."),
            ("user", f"The tomatoes in bed {i} have yellow leaves this week."),
            ("assistant", f"Yellow leaves in bed {i} often mean too much water."),
            ("user", "Thanks, that helps a lot."),  # the same text in every dialogue
            ("assistant", f"You are welcome, and good luck with bed {i}."),
        )
        out.append(rewritten(f"dlg-{i:03d}", lines, index=i).to_row())
    return out


def _run(rows, url: str, tmp_path, name: str, concurrency: int) -> tuple[list, list]:
    bank = tmp_path / "bank.yaml"
    bank.write_text(BANK)
    config = SynthConfig(
        voice_bank=str(bank),
        cache_dir=str(tmp_path / f"cache-{name}"),
        tts_base_url=url,
        tts_concurrency=concurrency,
        tts_max_retries=0,
        backchannels=(),
        stop_commands=(),
    )
    sink = tmp_path / f"out-{name}"
    with BeamTestPipeline() as p:
        out = p | beam.Create(rows) | SynthTransform(config, seed=3)
        _ = out["main"] | "Kept" >> beam.Map(_dump, str(sink / "kept"))
        _ = out["rejects"] | "Rejected" >> beam.Map(_dump, str(sink / "rejected"))
    return _load(sink / "kept"), _load(sink / "rejected")


def _dump(row: dict, folder: str) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / f"{row['id']}.pkl").write_bytes(pickle.dumps(row))


def _load(folder: Path) -> list[dict]:
    return [pickle.loads(f.read_bytes()) for f in sorted(folder.glob("*.pkl"))]


def test_requests_from_many_dialogues_overlap_up_to_the_limit(tmp_path) -> None:
    rows = _dialogues(10)
    with SlotServer(slots=4, latency_s=0.15) as server:
        kept, rejected = _run(rows, server.url, tmp_path, "a", concurrency=4)
    assert not rejected and len(kept) == 10
    # the shared text is requested once, though several dialogues in flight need it together
    assert server.requests == 10 * 5 + 1
    # one dialogue sends at most 3 texts per voice at once: reaching 4 needs several dialogues
    assert server.max_in_flight == 4
    assert server.max_open <= 4, "the client must never exceed tts_concurrency requests"


def test_output_is_the_same_with_or_without_concurrency_and_failures_stay_alone(tmp_path) -> None:
    rows = _dialogues(5)  # dlg-002 alone mentions zucchini: the server fails its first turn
    with SlotServer(slots=4, latency_s=0.05, fail_texts=("zucchini",)) as server:
        serial, rej_serial = _run(rows, server.url, tmp_path, "serial", concurrency=1)
        assert server.max_open == 1
        parallel, rej_parallel = _run(rows, server.url, tmp_path, "parallel", concurrency=4)
    by_id = {r["id"]: r for r in serial}
    assert sorted(by_id) == sorted(r["id"] for r in parallel)
    for r in parallel:
        assert r == by_id[r["id"]]
    for rej in (rej_serial, rej_parallel):
        assert [(r["id"], r["reason"]) for r in rej] == [("dlg-002", "tts_error")]
    assert len(parallel) == 4
