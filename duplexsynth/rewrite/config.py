"""Every knob of the rewrite stage, with its default.

No ``llm_model`` means the offline rule-based normalizer (``rewrite_method = "rules"``); with a
model the dialogue goes to an OpenAI-compatible server and the rules run after it as a final pass.
The API key is never part of the config: it is read from the environment variable named by
``api_key_env`` (``OPENAI_API_KEY``) when the client is built.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from duplexsynth.cache import default_cache_dir
from duplexsynth.lang import check_language

RESPONSE_FORMATS = ("json_object", "json_schema", "none")


@dataclass
class RewriteConfig:
    """Settings of the rewrite stage (YAML section ``rewrite``)."""

    #: OpenAI-compatible endpoint, e.g. ``http://localhost:8000/v1`` (vLLM); ``None`` with a model
    #: set means OpenAI's own API
    llm_base_url: str | None = None
    #: model name as the server knows it; ``None`` = offline rules only
    llm_model: str | None = None
    #: environment variable holding the API key (never logged, never written anywhere)
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.7
    #: assistant turns are cut to about this many words (user turns: at most this or their source)
    max_words_per_turn: int = 60
    #: an LLM turn may exceed its word cap by this factor before the answer counts as invalid
    length_tolerance: float = 1.5
    #: ``max_tokens`` per request; ``None`` = sized from the dialogue (turns x cap x 4 + 256)
    max_output_tokens: int | None = None
    #: structured output: ``json_object`` (widely supported), ``json_schema`` (strict schema:
    #: OpenAI, vLLM, Ollama) or ``none`` (plain text, parsed tolerantly)
    response_format: str = "json_object"
    #: send a per-dialogue ``seed`` derived from the run seed (servers that honour it sample
    #: reproducibly)
    send_seed: bool = True
    #: seconds before one HTTP request is abandoned
    timeout_s: float = 60.0
    #: HTTP attempts per request (timeouts, 429, 5xx, connection errors are retried)
    max_attempts: int = 5
    #: exponential backoff: ``backoff_base_s * 2**(attempt-1)``, jittered, at most ``backoff_max_s``
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    #: a server's ``Retry-After`` is honoured up to this many seconds
    max_retry_after_s: float = 120.0
    #: requests in flight at once, per process and endpoint
    concurrency: int = 8
    #: dialogues handed to the thread pool together (``None`` = 4 x concurrency)
    batch_size: int | None = None
    #: root of the content-addressed cache of LLM answers; ``None`` disables it
    cache_dir: str | None = field(default_factory=default_cache_dir)
    #: user turns get occasional natural disfluencies ("um", "well,"): seeded insertion in
    #: the rules path, an instruction to the LLM in the LLM path
    fillers: bool = True
    #: probability per sentence of a sentence-initial filler (half of it again for a mid-sentence one)
    filler_rate: float = 0.15
    #: rules path: cut assistant turns to whole sentences within ``max_words_per_turn``
    trim: bool = True
    #: numeric dates like 3/4/2024: ``mdy`` (US) or ``dmy``; unambiguous ones are read either way
    date_order: str = "mdy"
    #: language of the normaliser and the LLM prompt: ``en``, ``zh`` (Mandarin: numbers read in
    #: Chinese, full-width punctuation, 嗯/那个 fillers, a Chinese prompt) or ``auto`` (per
    #: dialogue, from the script its text is written in)
    language: str = "en"

    def __post_init__(self) -> None:
        self.validate()

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

    # ------------------------------------------------------------------ (de)serialization
    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> RewriteConfig:
        """Build from a plain dict (a YAML section); ``ValueError`` names unknown keys or bad values."""
        d = dict(d or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(
                f"unknown rewrite option(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        return cls(**d)  # __post_init__ validates

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe dict (no secrets: the key lives only in the environment)."""
        return dataclasses.asdict(self)

    def validate(self) -> RewriteConfig:
        """Check types and ranges; returns ``self`` or raises ``ValueError`` naming the option."""
        _opt_str(self, "llm_base_url")
        _opt_str(self, "llm_model")
        _opt_str(self, "cache_dir")
        if not isinstance(self.api_key_env, str) or not self.api_key_env:
            raise ValueError(
                f"rewrite.api_key_env must be a variable name, got {self.api_key_env!r}"
            )
        if self.llm_base_url and not self.llm_model:
            raise ValueError(
                f"rewrite.llm_base_url is {redact_url(self.llm_base_url)!r} but no llm_model is set: "
                "name the model the server serves (e.g. --llm-model Qwen/Qwen2.5-7B-Instruct)"
            )
        if self.llm_base_url:
            parts = urlsplit(self.llm_base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(
                    f"rewrite.llm_base_url must be an http(s) URL like http://localhost:8000/v1, "
                    f"got {redact_url(self.llm_base_url)!r}"
                )
        _number(self, "temperature", 0.0, 2.0)
        _integer(self, "max_words_per_turn", 3, 1000)
        _number(self, "length_tolerance", 1.0, 10.0)
        if self.max_output_tokens is not None:
            _integer(self, "max_output_tokens", 16, 1_000_000)
        if self.response_format not in RESPONSE_FORMATS:
            raise ValueError(
                f"rewrite.response_format must be one of {', '.join(RESPONSE_FORMATS)}, "
                f"got {self.response_format!r}"
            )
        _boolean(self, "send_seed")
        _number(self, "timeout_s", 0.001, 3600.0)
        _integer(self, "max_attempts", 1, 100)
        _number(self, "backoff_base_s", 0.0, 600.0)
        _number(self, "backoff_max_s", 0.0, 3600.0)
        _number(self, "max_retry_after_s", 0.0, 3600.0)
        _integer(self, "concurrency", 1, 1024)
        if self.batch_size is not None:
            _integer(self, "batch_size", 1, 100_000)
        _boolean(self, "fillers")
        _number(self, "filler_rate", 0.0, 1.0)
        _boolean(self, "trim")
        check_language(self.language, "rewrite.language")
        if self.date_order not in ("mdy", "dmy"):
            raise ValueError(f"rewrite.date_order must be 'mdy' or 'dmy', got {self.date_order!r}")
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


def _opt_str(cfg: RewriteConfig, name: str) -> None:
    value = getattr(cfg, name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"rewrite.{name} must be a string or null, got {value!r}")
    if value == "":
        setattr(cfg, name, None)


def _boolean(cfg: RewriteConfig, name: str) -> None:
    value = getattr(cfg, name)
    if not isinstance(value, bool):
        raise ValueError(f"rewrite.{name} must be true or false, got {value!r}")


def _number(cfg: RewriteConfig, name: str, lo: float, hi: float) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"rewrite.{name} must be a number, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"rewrite.{name} must be between {lo} and {hi}, got {value!r}")
    setattr(cfg, name, float(value))


def _integer(cfg: RewriteConfig, name: str, lo: int, hi: int) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"rewrite.{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"rewrite.{name} must be between {lo} and {hi}, got {value!r}")
