"""Reading an LLM's rewrite answer: tolerant JSON extraction, the turn list in its many shapes,
and the checks an answer must pass (:func:`check_answer`); plus :func:`scrub`, which keeps an
API key out of every message."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from duplexsynth.redact import redact
from duplexsynth.rewrite import prompt as prompts
from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.language_rules import rules_for
from duplexsynth.schemas.records import ASSISTANT, USER


def extract_json(content: str) -> Any | None:
    """The JSON value in ``content``: plain, inside a ```json fence, or wrapped in prose."""
    text = content.strip()
    candidates = [text]
    candidates += re.findall(r"```(?:json|JSON)?\s*\n?(.*?)```", text, re.S)
    for cand in candidates:
        try:
            return json.loads(cand)
        except (json.JSONDecodeError, ValueError):
            pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text, i)
            except (json.JSONDecodeError, ValueError):
                continue
            if isinstance(value, (dict, list)) and value:
                return value
    return None


_ROLE = {
    "user": USER,
    "human": USER,
    "you": USER,
    "customer": USER,
    "assistant": ASSISTANT,
    "gpt": ASSISTANT,
    "bot": ASSISTANT,
    "ai": ASSISTANT,
    "model": ASSISTANT,
    "system": "system",
}
_TEXT_KEYS = ("text", "spoken", "spoken_text", "content", "value", "utterance")
_SPEAKER_KEYS = ("speaker", "role", "from")
_REFUSAL = re.compile(
    r"(?i)\b(?:i'?m sorry,? but i (?:can(?:'|no)?t|am unable|won'?t)|"
    r"i (?:cannot|can'?t|am unable to|won'?t|am not able to) (?:help|assist|comply|provide|do that|"
    r"rewrite|fulfil)|as an ai(?: language model)?\b)"
)


def _turn_items(obj: Any) -> list[Any] | None:
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        for key in ("turns", "dialogue", "messages", "conversation"):
            if isinstance(obj.get(key), list):
                return obj[key]
    return None


def _item_fields(item: Any) -> tuple[str | None, Any]:
    if isinstance(item, str):
        return None, item
    if not isinstance(item, dict):
        return None, None
    speaker = next((item[k] for k in _SPEAKER_KEYS if k in item), None)
    text = next((item[k] for k in _TEXT_KEYS if k in item), None)
    return (str(speaker) if speaker is not None else None), text


def turn_limit(speaker: str, source_text: str, config: RewriteConfig, language: str = "en") -> int:
    """Most words an LLM turn may have: the cap for the assistant, the cap or the source's
    length (whichever is larger) for the user, both times ``length_tolerance``."""
    cap = config.max_words_per_turn
    if speaker == USER:
        cap = max(cap, rules_for(language).word_count(source_text))
    return int(cap * config.length_tolerance)


def check_answer(
    answer: dict[str, Any],
    turns: Sequence[tuple[str, str]],
    config: RewriteConfig,
    language: str = "en",
) -> tuple[tuple[str, ...] | None, str | None]:
    """Validate one answer: ``(normalized texts, None)`` or ``(None, problem)``.

    Checks: parseable JSON with a turn list, same number of turns and speakers in order, no
    empty turn, no refusal, no echo of the instructions, nothing unspeakable left after the
    rules' final pass (digits, markdown, URLs, symbols), and lengths within bounds.
    """
    content = answer.get("content") or ""
    n = len(turns)
    if not content.strip():
        return None, "the reply was empty"
    obj = extract_json(content)
    if obj is None:
        if answer.get("finish_reason") == "length":
            return None, "the reply was cut off before the JSON ended (max_tokens)"
        if _REFUSAL.search(content):
            return None, f"the reply is a refusal, not JSON: {clip_text(content)!r}"
        return None, f"the reply is not valid JSON: {clip_text(content)!r}"
    items = _turn_items(obj)
    if items is None:
        return None, 'the JSON has no "turns" list'
    if len(items) != n:
        return None, f"expected {n} turns, got {len(items)}"
    instructions = prompts.instruction_shingles(config.max_words_per_turn, config.fillers)
    rules = rules_for(language)
    problems: list[str] = []
    texts: list[str] = []
    for i, (item, (speaker, source)) in enumerate(zip(items, turns)):
        said_by, text = _item_fields(item)
        if said_by is not None and _ROLE.get(said_by.strip().lower()) != speaker:
            problems.append(f"turn {i} must be spoken by the {speaker}, got {said_by!r}")
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(f"turn {i} is empty")
            continue
        if _REFUSAL.search(text) and not _REFUSAL.search(source):
            problems.append(f"turn {i} is a refusal instead of a rewrite")
            continue
        if prompts.shingles(text) & (instructions - prompts.shingles(source)):
            problems.append(f"turn {i} repeats the instructions instead of rewriting the turn")
            continue
        spoken = rules.normalize(text, config.date_order)
        bad = rules.find_unspeakable(spoken)
        if bad:
            problems.append(f"turn {i} still has {bad} after normalization")
            continue
        words, limit = rules.word_count(spoken), turn_limit(speaker, source, config, language)
        if words > limit:
            problems.append(f"turn {i} has {words} words, more than the limit of {limit}")
            continue
        texts.append(spoken)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return None, "; ".join(problems[:3]) + more
    return tuple(texts), None


def clip_text(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ----------------------------------------------------------------------------- secrets
def scrub(text: str, secret: str | None = None) -> str:
    """``text`` through :func:`duplexsynth.redact.redact`, also masking ``secret`` (the API key)."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    text = redact(text)
    return re.sub(r"\bsk-[A-Za-z0-9_\-*.]{4,}", "sk-***", text)
