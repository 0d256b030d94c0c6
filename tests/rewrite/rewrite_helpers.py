"""Helpers shared by the rewrite tests (and the rewrite CLI test): a secret key that must
never leak, an LLM config with tiny retry delays, and small dialogues written here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.schemas.records import Dialogue, Turn

SECRET = "sk-test-DO-NOT-LEAK-7f3a9c1e2b"


def llm_config(base_url: str, cache_dir: Path | None, **overrides: Any) -> RewriteConfig:
    """An LLM config pointed at ``base_url`` with retry delays kept tiny."""
    values: dict[str, Any] = dict(
        llm_base_url=base_url,
        llm_model="fake-model",
        cache_dir=str(cache_dir) if cache_dir else None,
        timeout_s=0.5,
        max_attempts=3,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
        concurrency=4,
    )
    values.update(overrides)
    return RewriteConfig.from_dict(values)


def dialogue(i: int, user: str, assistant: str, *more: str) -> Dialogue:
    """A user-first alternating dialogue ``dlg-000i`` as the filter stage would write it."""
    texts = [user, assistant, *more]
    turns = tuple(
        Turn(k, "user" if k % 2 == 0 else "assistant", text) for k, text in enumerate(texts)
    )
    return Dialogue(
        id=f"dlg-{i:04d}",
        source_file="tiny.jsonl",
        source_index=i,
        record_id=f"rec-{i}",
        format="sharegpt",
        turns=turns,
    )
