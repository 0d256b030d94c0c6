"""The bundled sample corpus: shipped as package data, every format, every reason, short dialogues."""

from __future__ import annotations

from pathlib import Path

from duplexsynth.filter import dedup_dialogues, filter_dialogue, sample_corpus_dir
from duplexsynth.filter.config import FORMATS, FilterConfig
from duplexsynth.filter.readers import ParseError, parse_raw
from duplexsynth.filter.sources import iter_raw_records, resolve_sources
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import Reject

FILTER_REASONS = {
    "code", "math", "url", "table", "too_long", "symbols", "language", "empty", "malformed",
    "duplicate",
}  # fmt: skip


def run_in_memory(config: FilterConfig | None = None):
    """Parse + filter + dedup the sample without Beam (the CLI test compares against this)."""
    config = config or FilterConfig()
    kept, rejects, n = [], [], 0
    for source in resolve_sources([str(sample_corpus_dir())], config):
        for raw in iter_raw_records(source):
            n += 1
            try:
                d = parse_raw(raw, config)
            except ParseError as exc:
                rejects.append((raw["id"], Reason.MALFORMED.value, str(exc)))
                continue
            out = filter_dialogue(d, config)
            if isinstance(out, Reject):
                rejects.append((out.id, out.reason, out.detail))
            else:
                kept.append(out)
    result = dedup_dialogues(kept, config)
    rejects += [(r.id, r.reason, r.detail) for r in result.rejects]
    return n, result.kept, rejects


def test_sample_ships_as_package_data():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    root = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["duplexsynth"]
    assert "data/**/*" in patterns
    names = sorted(p.name for p in sample_corpus_dir().iterdir())
    suffixes = {n.split(".", 1)[1] for n in names}
    assert {"json", "jsonl", "jsonl.gz", "parquet"} <= suffixes


def test_sample_covers_every_format_and_every_reason():
    n, kept, rejects = run_in_memory()
    assert 40 <= n <= 55
    assert n == len(kept) + len(rejects)
    assert {d.format for d in kept} == set(FORMATS)
    assert {reason for _, reason, _ in rejects} == FILTER_REASONS
    assert 20 <= len(kept) <= 25


def test_kept_sample_dialogues_are_short_for_cpu_tts():
    _, kept, _ = run_in_memory()
    for d in kept:
        assert 2 <= len(d.turns) <= 6, d.id
        for t in d.turns:
            assert 3 <= len(t.source_text.split()) <= 40, (d.id, t.source_text)


def test_sample_exercises_the_turn_rules():
    _, kept, rejects = run_in_memory()
    by_id = {d.id: d for d in kept}
    cut = [d for d in kept if d.params["filter"]["cut"]]
    assert cut and all(
        d.params["filter"]["turns_kept"] < d.params["filter"]["turns_in"] for d in cut
    )
    assert any(d.params["filter"]["merged_messages"] for d in kept)
    assert any(d.params["filter"]["dropped_leading_assistant"] for d in kept)
    assert any(d.system_prompt for d in kept)
    details = [detail for _, reason, detail in rejects if reason == "duplicate"]
    assert any(x.startswith("exact") for x in details) and any(
        x.startswith("near") for x in details
    )
    for detail in details:  # the kept id named in a duplicate's detail is really kept
        assert detail.split(" duplicate of ")[1].split()[0] in by_id
