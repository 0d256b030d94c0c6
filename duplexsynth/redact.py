"""The one redaction layer: what may carry a credential is scrubbed before it is written or logged.

Used for ``OUT/config.yaml``, every dialogue's ``params``, every reject's ``detail``, and every
log record and one-line CLI error. It removes:

* URL user info: ``http://user:key@host/v1`` -> ``http://***@host/v1``;
* ``Authorization:`` header values and ``Bearer``/``Basic``/``Token`` credentials (a TTS or LLM
  server that echoes the request headers in its error body);
* key-like tokens: ``sk-...``/``pk-...`` keys, ``api_key=...``/``token=...``/``secret=...``
  assignments (query strings, JSON, YAML), and long opaque ``key_...``/``hf_...``/``ghp_...``
  tokens;
* the value of every configured key variable: ``OPENAI_API_KEY`` and whatever
  ``rewrite.api_key_env``/``synth.tts_api_key_env`` name (registered with
  :func:`register_key_env`), plus any environment variable whose name ends in ``_KEY``,
  ``_TOKEN``, ``_SECRET`` or ``_PASSWORD`` (so Beam workers, which inherit the environment but
  not the registrations of the launching process, scrub the same values).

Redaction is text-to-text and idempotent; ``***`` marks every cut.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from typing import Any

MASK = "***"

_KEY_ENVS: set[str] = {"OPENAI_API_KEY"}
_SECRET_NAME_RE = re.compile(r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD)$")
#: a value shorter than this is not treated as a secret (it would mask ordinary words)
MIN_SECRET_CHARS = 6

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:pass@host -> scheme://***@host (also user@host with a token as the user)
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"<>]+@"), rf"\1{MASK}@"),
    # Authorization: <anything up to the end of the value>
    (
        re.compile(
            r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token)\s+)?[^\s\"',}]+"
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"(?i)\b(bearer)(\s+)(?!\*\*\*)[A-Za-z0-9._~+/=-]{6,}"), rf"\1\2{MASK}"),
    # api_key=..., "api-key": "...", token: ..., secret=..., password=...
    (
        re.compile(
            r"(?i)(\b(?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd)"
            r"[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)[^\s\"'&,}]{4,}"
        ),
        rf"\1{MASK}",
    ),
    # provider key shapes: sk-..., sk-proj-..., pk-..., hf_..., ghp_..., xoxb-...
    (re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{8,}"), rf"\1-{MASK}"),
    (re.compile(r"\b(hf|ghp|gho|ghs|glpat|xox[abp])[_-][A-Za-z0-9_\-]{12,}"), rf"\1_{MASK}"),
)


#: per pattern above, lower-case substrings without one of which it can not match
_TRIGGERS: tuple[tuple[str, ...], ...] = (
    ("@",),
    ("authorization",),
    ("bearer",),
    ("key", "token", "secret", "passw"),
    ("sk-", "pk-", "rk-"),
    ("hf_", "hf-", "gh", "glpat", "xox"),
)


def register_key_env(name: str | None) -> None:
    """Treat the value of environment variable ``name`` as a secret from now on."""
    if name:
        _KEY_ENVS.add(name)


_NAMES_CACHE: dict[tuple[int, frozenset[str]], frozenset[str]] = {}


def _key_names() -> frozenset[str]:
    """Registered key variables plus secret-named ones (re-scanned when the environment grows
    or shrinks, so a per-record call costs a few dictionary lookups)."""
    key = (len(os.environ), frozenset(_KEY_ENVS))
    names = _NAMES_CACHE.get(key)
    if names is None:
        found = {n for n in os.environ if _SECRET_NAME_RE.search(n.upper())}
        names = frozenset(found | _KEY_ENVS)
        _NAMES_CACHE.clear()
        _NAMES_CACHE[key] = names
    return names


def secret_values(extra_envs: Iterable[str] = ()) -> list[str]:
    """The current values of every key variable (registered, ``extra_envs``, or secret-named)."""
    names = _key_names().union(extra_envs)
    values = {os.environ.get(n) or "" for n in names}
    # longest first, so a key that contains another is removed whole
    return sorted((v for v in values if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


def redact(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """``text`` with every credential it may hold replaced by ``***`` (see the module docstring)."""
    if not text:
        return text
    for secret in (*extra_secrets, *secret_values()):
        if secret and len(secret) >= MIN_SECRET_CHARS and secret in text:
            text = text.replace(secret, MASK)
    lower = text.lower()
    for (pattern, replacement), triggers in zip(_PATTERNS, _TRIGGERS):
        if any(t in lower for t in triggers):  # plain substring tests skip most regex passes
            text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """``value`` (nested dicts, lists, tuples, strings) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (formatted with its args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it for logging to report
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add :class:`RedactingFilter` to ``logger``'s handlers (the root logger's by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
