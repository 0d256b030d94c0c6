"""RewriteTransform in a Beam pipeline: rules path and the batched, threaded LLM path."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to
from fake_llm import FakeLLM
from rewrite_helpers import dialogue, llm_config

from duplexsynth.pipelines.transforms.rewrite import RewriteTransform
from duplexsynth.rewrite import RewriteConfig


def _rows():
    rows = [dialogue(i, f"Question {i}: is it 5 km?", f"Yes, {i} km.").to_row() for i in range(6)]
    rows.append(dialogue(6, "Describe the zebra.", "Stripes.").to_row())  # invalid for the LLM
    rows.append(dialogue(7, "Sum ∑ it.", "No.").to_row())  # unspeakable
    rows.append({"id": "broken", "source_file": "t.jsonl", "source_index": 8, "turns": [{}]})
    return rows


def _spoken(row):
    return (row["id"], row["rewrite_method"], row["turns"][0]["spoken_text"])


def test_rules_transform_splits_main_and_rejects() -> None:
    with BeamTestPipeline() as p:
        out = (
            p
            | beam.Create(_rows())
            | RewriteTransform(RewriteConfig(cache_dir=None, fillers=False), 1)
        )
        assert_that(
            out["main"] | "Spoken" >> beam.Map(_spoken),
            equal_to(
                [
                    (f"dlg-{i:04d}", "rules", f"Question {w}: is it five kilometers?")
                    for i, w in enumerate(["zero", "one", "two", "three", "four", "five"])
                ]
                + [("dlg-0006", "rules", "Describe the zebra.")]
            ),
            label="main",
        )
        assert_that(
            out["rejects"] | "Reasons" >> beam.Map(lambda r: (r["id"], r["reason"])),
            equal_to([("dlg-0007", "rewrite_error"), ("broken", "bad_input")]),
            label="rejects",
        )


def test_llm_transform_runs_batches_concurrently(tmp_path: Path) -> None:
    with FakeLLM() as fake:
        fake.delay_all_s = 0.1
        cfg = llm_config(fake.base_url, tmp_path / "cache", concurrency=4, batch_size=8)
        with BeamTestPipeline() as p:
            out = p | beam.Create(_rows()) | RewriteTransform(cfg, 1)
            assert_that(
                out["main"] | "Methods" >> beam.Map(lambda r: (r["id"], r["rewrite_method"])),
                equal_to([(f"dlg-{i:04d}", "llm") for i in range(6)]),
                label="main",
            )
            assert_that(
                out["rejects"] | "Reasons" >> beam.Map(lambda r: (r["id"], r["reason"])),
                equal_to(
                    [
                        ("dlg-0006", "llm_invalid"),
                        ("dlg-0007", "llm_invalid"),
                        ("broken", "bad_input"),
                    ]
                ),
                label="rejects",
            )
        assert fake.count == 6 + 2 + 2
        assert fake.max_in_flight >= 2  # requests overlapped instead of running one by one
