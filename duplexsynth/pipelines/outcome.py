"""A run's verdict for the exit status, and the preflight that a configured server answers.

:func:`run_failure` turns a finished run's summary (and its rejects) into one line naming the
cause and the fix when the run produced nothing from a non-empty input; ``run`` and the stage
commands (``filter`` ... ``augment``, whose summary counts ``kept`` rows) print it and exit 1
(``finish`` in ``duplexsynth/cli/commands/common.py``). The cause is systemic when one reason of
the kind "connection refused", "credentials refused", "model not found" or "timed out" explains
the rejects (the server, not the data, is at fault).

:func:`check_reachable` is the cheap preflight for served backends (an OpenAI-compatible TTS or
LLM server): a TCP connection to its host and port, so an unreachable server fails the run in
seconds, before the pipeline starts, instead of rejecting every dialogue one by one.
"""

from __future__ import annotations

import re
import socket
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from duplexsynth.redact import redact

#: (pattern over a reject detail, the cause, the fix); the first that matches names the cause
SYSTEMIC: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(
            r"(?i)connection refused|cannot connect|connection error|failed to establish"
            r"|name or service not known|no route to host|temporary failure in name resolution"
        ),
        "the server could not be reached",
        "start the server or fix its URL (--tts-base-url / --llm-base-url)",
    ),
    (
        re.compile(
            r"(?i)\b(?:401|403)\b|unauthori[sz]ed|refused the credentials|invalid api key"
            r"|incorrect api key|authentication|permission denied|forbidden"
        ),
        "the server refused the credentials",
        "export a valid key in the key variable (synth.tts_api_key_env / rewrite.api_key_env, "
        "default OPENAI_API_KEY)",
    ),
    (
        re.compile(r"(?i)\b404\b|model .* not found|not found \(check"),
        "the server has no such model or endpoint",
        "check --tts-model / --llm-model and that the base URL ends in /v1",
    ),
    (
        re.compile(r"(?i)timed out|timeout"),
        "every request timed out",
        "check that the server is up and not overloaded, or raise the timeout",
    ),
)


def classify(detail: str) -> tuple[str, str] | None:
    """``(cause, fix)`` when ``detail`` names a systemic (server-side) failure, else None."""
    for pattern, cause, fix in SYSTEMIC:
        if pattern.search(detail or ""):
            return cause, fix
    return None


def _as_run_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A stage command's summary (``kept``, ``rejected``) in the shape of a run's summary."""
    if "dialogues_written" in summary:
        return summary
    stage = str(summary.get("stage") or "?")
    n_in = int(summary.get("input_records") or 0)
    kept = int(summary.get("kept") or 0)
    return {
        "input_records": n_in,
        "dialogues_written": kept,
        "rejected_by_stage": {stage: dict(summary.get("rejected") or {})},
        "per_stage": {stage: {"input": n_in, "kept": kept}},
    }


def run_failure(summary: dict[str, Any], output_root: str | Path) -> str | None:
    """One line naming why a run over a non-empty input wrote no dialogue, or None.

    ``summary`` is the ``summary.json`` of ``duplexsynth run`` or of one stage command (whose
    ``kept`` rows play the part of the dialogues written).
    """
    from duplexsynth import fs
    from duplexsynth.pipelines import io

    summary = _as_run_summary(summary)
    n_in = int(summary.get("input_records") or 0)
    if n_in == 0 or int(summary.get("dialogues_written") or 0) > 0:
        return None
    by_stage = summary.get("rejected_by_stage") or {}
    per_stage = summary.get("per_stage") or {}
    # the stage that stopped the run: the first one every remaining dialogue failed at
    emptied = [s for s, c in per_stage.items() if c.get("input", 0) > 0 and c.get("kept", 0) == 0]
    stage = emptied[0] if emptied else None
    if stage is None or not by_stage.get(stage):
        return f"no dialogue written from {n_in} input record(s) and none rejected: this is a bug"
    reason, n = Counter(by_stage[stage]).most_common(1)[0]
    where = fs.join(str(output_root), "rejects", stage)
    rows = io.read_folder_rows(where)
    details = [str(r.get("detail") or "") for r in rows if r.get("reason") == reason]
    causes = Counter(c for c in map(classify, details) if c is not None)
    example = _one_line(details[0]) if details else ""
    head = f"no dialogue written from {n_in} input record(s): {n} rejected at {stage} ({reason})"
    if causes:
        (cause, fix), hits = causes.most_common(1)[0]
        if hits * 2 >= len(details):  # one systemic reason explains the rejects
            return f"{head}: {cause}; {fix} (e.g. {example})"
    return f"{head}, e.g. {example}; each record's reason is in {where}"


def _one_line(text: str, limit: int = 200) -> str:
    one = " ".join(redact(text).split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


def check_reachable(url: str | None, what: str, flag: str, timeout_s: float = 5.0) -> None:
    """``ValueError`` (cause and fix, one line) when nothing listens at ``url``'s host and port.

    Skipped when a proxy would carry the request (the proxy, not this machine, reaches it).
    """
    if not url:
        return
    import urllib.request

    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise ValueError(f"{flag} {redact(url)!r} is not a URL (expected e.g. http://host:8000/v1)")
    proxies = urllib.request.getproxies()
    if proxies.get(parts.scheme) and not urllib.request.proxy_bypass(host):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        if isinstance(exc, TimeoutError) or why == "TimeoutError":
            why = f"no answer in {timeout_s:g} s"
        raise ValueError(
            f"cannot reach the {what} at {redact(url)} ({why}): start it, or fix {flag}"
        ) from None
