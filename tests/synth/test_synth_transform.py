"""SynthTransform under Beam's testing harness: main rows and rejects."""

from __future__ import annotations

import apache_beam as beam
from _synthtools import FakeBackend, rewritten
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from duplexsynth.pipelines.transforms.synth import SynthTransform
from duplexsynth.synth import SynthConfig


def test_transform_outputs_rows_and_rejects(tmp_path) -> None:
    config = SynthConfig(voice_bank="espeak", cache_dir=str(tmp_path))
    transform = SynthTransform(config, seed=1)
    transform.processor._backends = {"espeak": FakeBackend()}  # no engine needed for the plumbing
    good = [rewritten(f"dlg-{i}", index=i).to_row() for i in range(3)]
    bad = rewritten("dlg-bad", index=9).to_row()
    bad["turns"][0]["spoken_text"] = ""
    with BeamTestPipeline() as p:
        out = p | beam.Create([*good, bad]) | transform
        assert_that(
            out["main"]
            | "Ids" >> beam.Map(lambda r: (r["id"], r["assistant_voice"], len(r["turns"]))),
            equal_to([(f"dlg-{i}", "espeak-us-m3", 4) for i in range(3)]),
            label="main",
        )
        assert_that(
            out["rejects"] | "Reasons" >> beam.Map(lambda r: (r["id"], r["stage"], r["reason"])),
            equal_to([("dlg-bad", "synth", "bad_input")]),
            label="rejects",
        )
