"""RewriteConfig: defaults, from_dict/to_dict, validation that names the bad option."""

from __future__ import annotations

import pytest

from duplexsynth.cache import default_cache_dir
from duplexsynth.rewrite.config import RewriteConfig, redact_url


def test_defaults_are_offline_rules() -> None:
    cfg = RewriteConfig()
    assert not cfg.uses_llm and cfg.method == "rules"
    assert cfg.max_words_per_turn == 60 and cfg.cache_dir == default_cache_dir()
    assert cfg.effective_batch_size == 4 * cfg.concurrency


def test_round_trip_and_llm_detection() -> None:
    cfg = RewriteConfig.from_dict(
        {"llm_base_url": "http://localhost:8000/v1", "llm_model": "qwen", "temperature": 0}
    )
    assert cfg.uses_llm and cfg.temperature == 0.0
    assert RewriteConfig.from_dict(cfg.to_dict()) == cfg
    assert "key" not in " ".join(k for k in cfg.to_dict() if k != "api_key_env")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"llm_modle": "x"}, "unknown rewrite option(s): llm_modle (did you mean llm_model?)"),
        ({"temperature": 3}, "rewrite.temperature: Input should be less than or equal to 2"),
        ({"temperature": "hot"}, "rewrite.temperature: Input should be a valid number"),
        ({"max_words_per_turn": 2}, "rewrite.max_words_per_turn"),
        ({"max_attempts": 0}, "rewrite.max_attempts"),
        ({"concurrency": 1.5}, "rewrite.concurrency: Input should be a valid integer"),
        ({"fillers": "yes"}, "rewrite.fillers: Input should be a valid boolean"),
        ({"response_format": "xml"}, "rewrite.response_format: Input should be"),
        ({"date_order": "ymd"}, "rewrite.date_order"),
        ({"llm_base_url": "http://x:1/v1"}, "no llm_model is set"),
        ({"llm_base_url": "localhost:8000", "llm_model": "m"}, "must be an http(s) URL"),
    ],
)
def test_bad_values_name_the_option(values: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        RewriteConfig.from_dict(values)
    assert message in str(err.value)


def test_empty_strings_mean_unset() -> None:
    cfg = RewriteConfig.from_dict({"llm_model": "", "cache_dir": ""})
    assert cfg.llm_model is None and cfg.cache_dir is None and not cfg.uses_llm


def test_redact_url_drops_credentials() -> None:
    assert redact_url("https://user:pw@host:8443/v1?api-key=abc#x") == "https://host:8443/v1"
    assert redact_url(None) is None
