"""Every knob of the rewrite stage, with its default.

No ``llm_model`` means the offline rule-based normalizer (``rewrite_method = "rules"``); with a
model the dialogue goes to an OpenAI-compatible server and the rules run after it as a final pass.
The API key is never part of the config: it is read from the environment variable named by
``api_key_env`` (``OPENAI_API_KEY``) when the client is built.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args
from urllib.parse import urlsplit, urlunsplit

import click
from pydantic import field_validator, model_validator

from duplexsynth.cache import default_cache_dir
from duplexsynth.config import Fraction, StageConfig, setting
from duplexsynth.lang import LANGUAGE_CHOICES

ResponseFormat = Literal["json_object", "json_schema", "none"]
RESPONSE_FORMATS: tuple[str, ...] = get_args(ResponseFormat)


class RewriteConfig(StageConfig):
    """Settings of the rewrite stage (YAML section ``rewrite``).

    Empty strings for ``llm_base_url``, ``llm_model`` and ``cache_dir`` mean unset (``None``).
    """

    SECTION: ClassVar[str] = "rewrite"
    RETIRED_KEYS: ClassVar[dict[str, str]] = {
        "max_retry_after_s": "the openai client honours Retry-After itself (its own cap)",
    }

    llm_base_url: str | None = setting(
        None,
        "OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (vLLM) or "
        "http://localhost:11434/v1 (Ollama); leave out with --llm-model for api.openai.com. "
        "[env: DUPLEXSYNTH_LLM_BASE_URL]",
        flag=True,
        envvar="DUPLEXSYNTH_LLM_BASE_URL",
    )
    llm_model: str | None = setting(
        None,
        "Model name as the server knows it; without it the offline rules run alone. "
        "[env: DUPLEXSYNTH_LLM_MODEL]",
        flag=True,
        envvar="DUPLEXSYNTH_LLM_MODEL",
    )
    api_key_env: str = setting(
        "OPENAI_API_KEY",
        "Environment variable holding the API key (servers without keys get a placeholder); "
        "the key itself is never logged or written.",
        flag=True,
        min_length=1,
    )
    temperature: float = setting(0.7, "Sampling temperature of the LLM.", flag=True, ge=0.0, le=2.0)
    max_words_per_turn: int = setting(
        60,
        "Assistant turns are cut to about this many words (rules: whole sentences).",
        flag="--max-words",
        ge=3,
        le=1000,
    )
    length_tolerance: float = setting(
        1.5,
        "An LLM turn may exceed its word cap by this factor before the answer counts as invalid.",
        ge=1.0,
        le=10.0,
    )
    max_output_tokens: int | None = setting(
        None,
        "max_tokens per request; null = sized from the dialogue (turns x cap x 4 + 256).",
        ge=16,
        le=1_000_000,
    )
    response_format: ResponseFormat = setting(
        "json_object",
        "Structured output to request; a server that rejects it is asked again without it.",
        flag=True,
    )
    send_seed: bool = setting(
        True, "Send a per-dialogue seed derived from the run seed (for servers that honour it)."
    )
    timeout_s: float = setting(
        60.0,
        "Seconds before one request is abandoned (and retried).",
        flag=True,
        ge=0.001,
        le=3600.0,
    )
    max_attempts: int = setting(
        5,
        "Attempts per request on timeouts, 429, 5xx and connection errors (the openai "
        "client's retries: exponential backoff with jitter, Retry-After honoured) and on HTTP "
        "200s that are not a completion; then the dialogue is rejected as llm_error.",
        flag=True,
        ge=1,
        le=100,
    )
    backoff_base_s: float = setting(
        1.0,
        "After an HTTP 200 that is not a completion (which the openai client does not retry): "
        "backoff before attempt n, backoff_base_s * 2**(n-1), jittered.",
        ge=0.0,
        le=600.0,
    )
    backoff_max_s: float = setting(
        30.0, "Longest such backoff (the client's own retries have theirs).", ge=0.0, le=3600.0
    )
    concurrency: int = setting(
        8, "LLM requests in flight at once per worker process.", flag=True, ge=1, le=1024
    )
    batch_size: int | None = setting(
        None,
        "Dialogues handed to the thread pool together (null = 4 x concurrency).",
        ge=1,
        le=100_000,
    )
    cache_dir: str | None = setting(
        default_factory=default_cache_dir,
        description="Cache root for LLM answers (null: no cache).",
        flag=True,
        click_type=click.Path(file_okay=False),
        show_default="$DUPLEXSYNTH_CACHE or ~/.cache/duplexsynth",
    )
    fillers: bool = setting(
        True,
        "Occasional disfluencies in user turns (seeded in the rules, requested from the LLM).",
        flag=True,
    )
    filler_rate: Fraction = setting(
        0.15,
        "Rules: probability per user sentence of an opening filler (half again mid-sentence).",
        flag=True,
    )
    trim: bool = setting(
        True, "Rules: cut assistant turns to whole sentences within --max-words.", flag=True
    )
    date_order: Literal["mdy", "dmy"] = setting(
        "mdy", "How to read ambiguous numeric dates like 3/4/2024.", flag=True
    )

    language: Literal[LANGUAGE_CHOICES] = setting(  # type: ignore[valid-type]
        "en",
        "Normaliser language: en, zh (Mandarin: numbers read in Chinese, full-width "
        "punctuation, 嗯/那个 fillers) or auto (per dialogue, from its script).",
        flag=True,
    )

    @field_validator("llm_base_url", "llm_model", "cache_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _url_needs_model(self) -> RewriteConfig:
        if self.llm_base_url and not self.llm_model:
            raise ValueError(
                f"llm_base_url is {redact_url(self.llm_base_url)!r} but no llm_model is set: "
                "name the model the server serves (e.g. --llm-model Qwen/Qwen2.5-7B-Instruct)"
            )
        if self.llm_base_url:
            parts = urlsplit(self.llm_base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(
                    f"llm_base_url must be an http(s) URL like http://localhost:8000/v1, "
                    f"got {redact_url(self.llm_base_url)!r}"
                )
        return self

    # ------------------------------------------------------------------ derived
    @property
    def uses_llm(self) -> bool:
        """True when an LLM model is configured (otherwise the rules run alone)."""
        return bool(self.llm_model)

    @property
    def method(self) -> str:
        return "llm" if self.uses_llm else "rules"

    @property
    def effective_batch_size(self) -> int:
        return self.batch_size or 4 * self.concurrency

    def public_base_url(self) -> str | None:
        """``llm_base_url`` without user info, query or fragment (safe to record in outputs)."""
        return redact_url(self.llm_base_url)

    def validate(self) -> RewriteConfig:
        """Check every value again (after attribute changes); ``ValueError`` naming the option."""
        type(self).from_dict(self.model_dump())
        return self


def redact_url(url: str | None) -> str | None:
    """``url`` with user info, query and fragment removed (they may carry credentials)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
