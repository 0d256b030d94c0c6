"""The Beam side: ReadCorpus (one element per record) and FilterTransform (main + rejects)."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pytest
from _filtertools import CLEAN_A, CLEAN_Q, chat, dialogue, write_jsonl
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from duplexsynth.filter import FilterProcessor, sample_corpus_dir
from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.readers import ParseError, parse_raw, parse_raw_light
from duplexsynth.filter.sources import iter_raw_records, resolve_sources
from duplexsynth.pipelines.transforms.filter import FilterTransform, ReadCorpus, filter_row
from duplexsynth.schemas.arrow import conform_row, stage_schema
from duplexsynth.schemas.records import Reject


def test_filter_row_equals_to_row_on_the_filter_schema():
    d = dialogue(CLEAN_Q, CLEAN_A, record_id="r", system_prompt="S").with_params("filter", {"a": 1})
    schema = stage_schema("filter")
    assert filter_row(d) == conform_row(d.to_row(), schema)
    assert set(filter_row(d)) == set(schema.names)
    kept = filter_row(d, 1, {"filter": {"b": 2}})
    assert len(kept["turns"]) == 1 and kept["params"] == '{"filter": {"b": 2}}'


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    write_jsonl(
        tmp_path / "a.jsonl",
        [
            chat(CLEAN_Q, CLEAN_A, id=1),
            "{not json",
            chat(CLEAN_Q, "See https://example.com/x for that."),
            chat(
                "How do I keep my bike chain quiet?", "Clean it and add a drop of oil to each link."
            ),
        ],
    )
    write_jsonl(
        tmp_path / "b.jsonl",
        [
            {"instruction": CLEAN_Q.upper(), "input": "", "output": CLEAN_A},  # exact duplicate
            {"prompt": "x", "completion": "y"},
        ],
    )
    return tmp_path


def _ids(rows):
    return sorted(r["id"] for r in rows)


def test_transform_main_and_rejects(corpus: Path):
    cfg = FilterConfig()
    with BeamTestPipeline() as p:
        raws = p | ReadCorpus([str(corpus)], cfg)
        out = raws | FilterTransform(cfg, seed=1)
        assert_that(raws | "CountRaw" >> beam.combiners.Count.Globally(), equal_to([6]), "n")
        assert_that(
            out["main"] | "MainIds" >> beam.Map(lambda r: r["id"]),
            equal_to(["a-000000", "a-000003"]),
            "main",
        )
        assert_that(
            out["rejects"] | "Reasons" >> beam.Map(lambda r: (r["id"], r["reason"], r["stage"])),
            equal_to(
                [
                    ("a-000001", "malformed", "filter"),
                    ("a-000002", "url", "filter"),
                    ("b-000000", "duplicate", "filter"),
                    ("b-000001", "malformed", "filter"),
                ]
            ),
            "rejects",
        )
        assert_that(
            out["rejects"]
            | beam.Filter(lambda r: r["reason"] == "duplicate")
            | "DupDetail" >> beam.Map(lambda r: r["detail"]),
            equal_to(["exact duplicate of a-000000"]),
            "detail",
        )


def test_transform_without_dedup_and_with_limit(corpus: Path):
    cfg = FilterConfig(dedup=False)
    with BeamTestPipeline() as p:
        out = p | ReadCorpus([str(corpus)], cfg, limit=5) | FilterTransform(cfg)
        assert_that(
            out["main"] | beam.Map(lambda r: r["id"]),
            equal_to(["a-000000", "a-000003", "b-000000"]),
            "main",
        )
        assert_that(
            out["rejects"] | beam.Map(lambda r: r["reason"]),
            equal_to(["malformed", "url"]),
            "rejects",
        )


def test_read_corpus_defaults_to_the_sample_and_checks_inputs(tmp_path: Path):
    reader = ReadCorpus(None)
    assert reader.inputs == [str(sample_corpus_dir())]
    assert len(reader.sources) >= 6
    with pytest.raises(ValueError, match="does not exist"):
        ReadCorpus([str(tmp_path / "nope.jsonl")])


def test_light_dialogues_give_the_same_rows_as_dialogues():
    cfg = FilterConfig()
    proc = FilterProcessor(cfg)
    n = 0
    for source in resolve_sources([str(sample_corpus_dir())], cfg):
        for raw in iter_raw_records(source):
            try:
                light = parse_raw_light(raw, cfg)
            except ParseError:
                continue
            full = parse_raw(raw, cfg)
            assert light.to_dialogue() == full
            v_light, v_full = proc.verdict(light), proc.verdict(full)
            assert type(v_light) is type(v_full)
            if isinstance(v_full, Reject):
                assert v_light == v_full
            else:
                assert filter_row(light, *v_light) == filter_row(full, *v_full)
                n += 1
    assert n > 20
