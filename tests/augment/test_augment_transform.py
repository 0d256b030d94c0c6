"""AugmentTransform under Beam: augmented rows out, bad rows to the rejects output."""

from __future__ import annotations

import apache_beam as beam
from _augtools import build_mixed, only
from apache_beam.testing.test_pipeline import TestPipeline as BeamPipeline
from apache_beam.testing.util import assert_that, equal_to

from duplexsynth.pipelines.transforms.augment import AugmentTransform

SHORT = (("user", "Are you there?"), ("assistant", "Yes, I am here."))


def test_transform_augments_and_rejects(say) -> None:
    # short rows: beam.Create pickles (and compresses) every element into the pipeline proto
    ds = [build_mixed(say, f"tr-{i:04d}", lines=SHORT) for i in range(3)]
    rows = [d.to_row() for d in ds[:2]]
    rows.append(ds[2].replace(id="no-audio", audio=None).to_row())
    cfg = only(noise=True, echo=True, echo_reverb=False)
    expected_clean = {r["id"]: r["audio"]["bytes"] for r in rows[:2]}

    def summarize(row):
        import json

        params = json.loads(row["params"])["augment"]["channels"]["user"]
        return (
            row["id"],
            row["clean_audio"]["bytes"] == expected_clean[row["id"]],
            row["audio"]["bytes"] != expected_clean[row["id"]],
            params["noise"]["applied"] and params["echo"]["applied"],
        )

    with BeamPipeline() as p:
        out = p | beam.Create(rows) | AugmentTransform(cfg, seed=8)
        assert_that(
            out["main"] | beam.Map(summarize),
            equal_to([(r["id"], True, True, True) for r in rows[:2]]),
            label="main",
        )
        assert_that(
            out["rejects"] | beam.Map(lambda r: (r["id"], r["stage"], r["reason"])),
            equal_to([("no-audio", "augment", "bad_input")]),
            label="rejects",
        )
