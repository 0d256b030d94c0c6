"""``FilterConfig``: defaults, from_dict/to_dict, validation naming the bad value."""

from __future__ import annotations

import json

import pytest

from duplexsynth.filter.config import CHECKS, FilterConfig


def test_defaults_round_trip_and_are_json_safe():
    cfg = FilterConfig()
    assert (cfg.format, cfg.language, cfg.max_words_per_turn, cfg.dedup) == (
        "auto",
        "en",
        200,
        True,
    )
    assert cfg.checks == list(CHECKS)
    d = cfg.to_dict()
    json.dumps(d)
    assert FilterConfig.from_dict(d) == cfg
    assert FilterConfig.from_dict(None) == cfg
    assert FilterConfig.from_dict({"checks": ("code", "url")}).checks == ["code", "url"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_words": 10}, "unknown filter option.*max_words .did you mean max_words_per_turn"),
        ({"format": "csv"}, "filter.format: .*got 'csv'"),
        ({"language": "xx"}, "unsupported language 'xx'"),
        ({"max_words_per_turn": 0}, "max_words_per_turn: .*greater than or equal to 1"),
        ({"max_words_per_turn": "200"}, "max_words_per_turn"),
        ({"checks": ["code", "typos"]}, "filter.checks.1: .*got 'typos'"),
        ({"checks": "code"}, "filter.checks: .*valid list"),
        ({"near_dup_threshold": 0}, "near_dup_threshold"),
        ({"near_dup_threshold": 1.5}, "near_dup_threshold"),
        ({"dedup": "yes"}, "filter.dedup: .*valid boolean"),
        ({"minhash_bands": 20, "minhash_rows": 4}, "exceeds minhash_perm"),
        ({"max_exchanges": 0}, "max_exchanges"),
        ({"hf_split": ""}, "hf_split"),
    ],
)
def test_bad_values_raise_value_error_naming_them(values, message):
    with pytest.raises(ValueError, match=message):
        FilterConfig.from_dict(values)


def test_digest_tracks_verdict_settings_only():
    base = FilterConfig().digest()
    assert FilterConfig(max_words_per_turn=100).digest() != base
    assert FilterConfig(hf_split="test").digest() == base  # where data comes from is not a verdict
    assert FilterConfig().digest() == base
