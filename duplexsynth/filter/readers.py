"""Record formats: detect each record's format and turn it into a ``Dialogue``.

:func:`parse_raw` turns one raw record (see :mod:`duplexsynth.filter.sources`) into a
:class:`Dialogue` that starts with a user turn and alternates, or raises :class:`ParseError`,
which the filter reports as a ``malformed`` reject.

Format detection, per record (``--format`` skips it and applies one parser to every record):

=================  ===========================================================================
format             record shape
=================  ===========================================================================
``openai``         ``messages``: list of ``{role, content}`` (``content`` may be a list of
                   ``{"type": "text", "text": ...}`` parts)
``ultrachat``      ``data``: list of strings, user first, alternating; or ``messages`` with a
                   ``prompt_id`` (UltraChat 200k)
``sharegpt``       ``conversations``: list of ``{from, value}`` (human/user, gpt/assistant/...,
                   system); ``{role, content}`` items are accepted too
``openorca``       ``question`` + ``response`` (+ ``system_prompt``)
``moss``           ``conversation``: list of ``{human, assistant}`` pairs; or ``chat``:
                   ``{turn_1: {Human, MOSS}, ...}`` with ``<|Human|>:``/``<eoh>`` markers (+
                   ``meta_instruction``); or a single ``human`` + ``assistant`` pair
``alpaca``         ``instruction`` + ``input`` + ``output`` (user turn = instruction, then input)
``belle``          ``instruction`` + ``output`` without ``input``, or an ``instruction`` holding a
                   ``Human: ... Assistant: ...`` transcript (BELLE multi-turn)
=================  ===========================================================================

Turn rules: system messages (anywhere) go to ``system_prompt``, joined by blank lines, never to
turns. Consecutive messages of one speaker are merged into one turn (blank line between them;
``merge_consecutive=False`` rejects them instead). Assistant messages before the first user
message are dropped (``drop_leading_assistant=False`` rejects them). Messages with another role
(``tool``, ``function``, ...) or non-text content make the record ``malformed``.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, NamedTuple

from duplexsynth.filter.config import FilterConfig
from duplexsynth.schemas.records import ASSISTANT, USER, Dialogue, Turn

SYSTEM = "system"
_ID_FIELDS = ("id", "conversation_id", "prompt_id", "uid", "idx", "_id", "sample_id")


class ParseError(ValueError):
    """A record that can not be made into a dialogue (reported as ``malformed``)."""


# ------------------------------------------------------------------------------- parsing
_USER_ROLES = frozenset({"user", "human", "prompter", "customer", "usr", "person"})
_ASSISTANT_ROLES = frozenset(
    {"assistant", "gpt", "chatgpt", "bot", "model", "ai", "bard", "bing", "moss", "claude", "gpt-4"}
)
_SYSTEM_ROLES = frozenset({"system", "developer"})


def _role(value: Any, where: str) -> str:
    role = str(value).strip().lower() if value is not None else ""
    if role in _USER_ROLES:
        return USER
    if role in _ASSISTANT_ROLES:
        return ASSISTANT
    if role in _SYSTEM_ROLES:
        return SYSTEM
    raise ParseError(f"{where}: unsupported role {value!r}")


def _text(value: Any, where: str) -> str:
    """Message content as text: strings, numbers, or lists of text parts."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type", "text") == "text":
                parts.append(_text(part.get("text"), where))
            else:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ParseError(f"{where}: non-text content {kind!r}")
        return "\n".join(parts)
    raise ParseError(f"{where}: content is {type(value).__name__}, not text")


def _require(rec: dict[str, Any], fmt: str, *keys: str) -> None:
    missing = [k for k in keys if k not in rec]
    if missing:
        raise ParseError(f"not a {fmt} record: missing {', '.join(repr(k) for k in missing)}")


def _list_field(rec: dict[str, Any], key: str, fmt: str) -> list[Any]:
    value = rec.get(key)
    if not isinstance(value, list):
        raise ParseError(f"not a {fmt} record: {key!r} is {type(value).__name__}, not a list")
    return value


Messages = list[tuple[str, str]]


def _messages_openai(rec: dict[str, Any], fmt: str = "openai") -> Messages:
    _require(rec, fmt, "messages")
    out = []
    for i, m in enumerate(_list_field(rec, "messages", fmt)):
        if not isinstance(m, dict):
            raise ParseError(f"message {i}: expected an object, got {type(m).__name__}")
        out.append((_role(m.get("role"), f"message {i}"), _text(m.get("content"), f"message {i}")))
    return out


def _messages_sharegpt(rec: dict[str, Any]) -> Messages:
    key = "conversations" if "conversations" in rec else "conversation"
    _require(rec, "sharegpt", key)
    out = []
    if isinstance(rec.get("system"), str) and rec["system"].strip():
        out.append((SYSTEM, rec["system"]))
    for i, m in enumerate(_list_field(rec, key, "sharegpt")):
        if not isinstance(m, dict):
            raise ParseError(f"message {i}: expected an object, got {type(m).__name__}")
        role = m.get("from", m.get("role"))
        text = m.get("value", m.get("content"))
        out.append((_role(role, f"message {i}"), _text(text, f"message {i}")))
    return out


def _messages_ultrachat(rec: dict[str, Any]) -> Messages:
    if "data" not in rec and "messages" in rec:
        return _messages_openai(rec, "ultrachat")
    _require(rec, "ultrachat", "data")
    out = []
    for i, text in enumerate(_list_field(rec, "data", "ultrachat")):
        out.append((USER if i % 2 == 0 else ASSISTANT, _text(text, f"message {i}")))
    return out


def _messages_openorca(rec: dict[str, Any]) -> Messages:
    _require(rec, "openorca", "question", "response")
    out = []
    system = rec.get("system_prompt")
    if system is not None and _text(system, "system_prompt").strip():
        out.append((SYSTEM, _text(system, "system_prompt")))
    out.append((USER, _text(rec["question"], "question")))
    out.append((ASSISTANT, _text(rec["response"], "response")))
    return out


def _messages_alpaca(rec: dict[str, Any]) -> Messages:
    _require(rec, "alpaca", "instruction", "output")
    prompt = _text(rec["instruction"], "instruction").strip()
    extra = _text(rec.get("input"), "input").strip()
    if extra:
        prompt = f"{prompt}\n\n{extra}" if prompt else extra
    return [(USER, prompt), (ASSISTANT, _text(rec["output"], "output"))]


_BELLE_MARK_RE = re.compile(r"(?:^|\n)[ \t]*(Human|Assistant)[ \t]*[:：]", re.I)
_BELLE_START_RE = re.compile(r"\s*Human[ \t]*[:：]", re.I)


def _messages_belle(rec: dict[str, Any]) -> Messages:
    _require(rec, "belle", "instruction", "output")
    instruction = _text(rec["instruction"], "instruction")
    extra = _text(rec.get("input"), "input").strip()
    output = _text(rec["output"], "output")
    pieces = _BELLE_MARK_RE.split(instruction)
    if len(pieces) < 3:  # no transcript markers: a single exchange
        return _messages_alpaca({"instruction": instruction, "input": extra, "output": output})
    if pieces[0].strip():
        raise ParseError(
            f"belle transcript: text before the first marker: {pieces[0].strip()[:40]!r}"
        )
    out: Messages = []
    for i in range(1, len(pieces), 2):
        role = USER if pieces[i].lower() == "human" else ASSISTANT
        out.append((role, pieces[i + 1].strip()))
    if out and out[-1][0] == ASSISTANT and not out[-1][1]:
        out[-1] = (ASSISTANT, output)  # "... Assistant:" awaiting the output
    else:
        out.append((ASSISTANT, output))
    return out


_MOSS_TAG_RE = re.compile(r"<\|(?:Human|MOSS|Assistant)\|>\s*[:：]\s*|<eo[hm]>|<eoa>", re.I)


def _moss_text(value: Any, where: str) -> str:
    return _MOSS_TAG_RE.sub("", _text(value, where)).strip()


def _turn_number(key: str) -> int:
    m = re.search(r"\d+", key)
    return int(m.group(0)) if m else 0


def _messages_moss(rec: dict[str, Any]) -> Messages:
    out: Messages = []
    for key in ("meta_instruction", "system"):
        if isinstance(rec.get(key), str) and rec[key].strip():
            out.append((SYSTEM, _moss_text(rec[key], key)))
    if "conversation" in rec:
        for i, pair in enumerate(_list_field(rec, "conversation", "moss")):
            if not isinstance(pair, dict) or not ("human" in pair or "assistant" in pair):
                raise ParseError(f"pair {i}: expected an object with 'human' and 'assistant'")
            if "system" in pair and _text(pair["system"], f"pair {i}").strip():
                out.append((SYSTEM, _text(pair["system"], f"pair {i}")))
            if "human" in pair:
                out.append((USER, _moss_text(pair["human"], f"pair {i} human")))
            if "assistant" in pair:
                out.append((ASSISTANT, _moss_text(pair["assistant"], f"pair {i} assistant")))
        return out
    if "chat" in rec:
        chat = rec["chat"]
        if not isinstance(chat, dict):
            raise ParseError(f"not a moss record: 'chat' is {type(chat).__name__}, not an object")
        for key in sorted(chat, key=_turn_number):
            turn = chat[key]
            if not isinstance(turn, dict):
                raise ParseError(f"{key}: expected an object")
            for field, role in (("Human", USER), ("MOSS", ASSISTANT), ("Assistant", ASSISTANT)):
                if field in turn:
                    out.append((role, _moss_text(turn[field], f"{key} {field}")))
        return out
    _require(rec, "moss", "human", "assistant")
    out.append((USER, _moss_text(rec["human"], "human")))
    out.append((ASSISTANT, _moss_text(rec["assistant"], "assistant")))
    return out


_PARSERS = {
    "alpaca": _messages_alpaca,
    "sharegpt": _messages_sharegpt,
    "openai": _messages_openai,
    "ultrachat": _messages_ultrachat,
    "openorca": _messages_openorca,
    "belle": _messages_belle,
    "moss": _messages_moss,
}


def detect_format(rec: Any) -> str | None:
    """The format of one decoded record (see the module docstring), or ``None``."""
    if not isinstance(rec, dict):
        return None
    if "messages" in rec:
        return "ultrachat" if "prompt_id" in rec else "openai"
    if "conversations" in rec:
        return "sharegpt"
    conv = rec.get("conversation")
    if isinstance(conv, list):
        first = conv[0] if conv else None
        if isinstance(first, dict) and ("from" in first or "role" in first):
            return "sharegpt"
        return "moss"
    if isinstance(rec.get("data"), list):
        return "ultrachat"
    if "question" in rec and "response" in rec:
        return "openorca"
    if isinstance(rec.get("chat"), dict):
        return "moss"
    if "human" in rec and "assistant" in rec:
        return "moss"
    if "instruction" in rec and "output" in rec:
        instruction = rec.get("instruction")
        if isinstance(instruction, str) and _BELLE_START_RE.match(instruction):
            return "belle"
        return "alpaca" if "input" in rec else "belle"
    return None


def record_id_of(rec: dict[str, Any]) -> str | None:
    """The record's own id (first of ``id``, ``conversation_id``, ``prompt_id``, ...), as text."""
    for key in _ID_FIELDS:
        value = rec.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (str, int)):
            text = str(value)
            if text:
                return text
    return None


def decode_raw(raw: dict[str, Any]) -> Any:
    """The decoded record of a raw record; ``ParseError`` for unreadable input."""
    if "error" in raw:
        raise ParseError(raw["error"])
    if "line" in raw:
        try:
            return json.loads(raw["line"])
        except json.JSONDecodeError as exc:
            raise ParseError(f"invalid JSON: {exc.msg} at character {exc.pos}") from None
        except UnicodeDecodeError as exc:
            raise ParseError(f"line is not UTF-8 text: {exc.reason}") from None
        except RecursionError:
            raise ParseError(
                "invalid JSON: nested too deeply to parse (more than the interpreter's "
                f"{sys.getrecursionlimit()} levels)"
            ) from None
    return raw.get("record")


class LightTurn(NamedTuple):
    """The filter-stage fields of a turn (what :class:`Turn` holds before later stages)."""

    turn_index: int
    speaker: str
    source_text: str


class LightDialogue(NamedTuple):
    """The filter-stage fields of a dialogue: attribute-compatible with :class:`Dialogue` for
    everything the filter reads, and several times cheaper to build at corpus scale."""

    id: str
    source_file: str
    source_index: int
    record_id: str | None
    format: str
    turns: tuple[LightTurn, ...]
    system_prompt: str | None
    params: dict[str, Any]

    def to_dialogue(self) -> Dialogue:
        return Dialogue(
            id=self.id,
            source_file=self.source_file,
            source_index=self.source_index,
            record_id=self.record_id,
            format=self.format,
            turns=tuple(Turn(*t) for t in self.turns),
            system_prompt=self.system_prompt,
            params=self.params,
        )


def parse_raw(raw: dict[str, Any], config: FilterConfig) -> Dialogue:
    """One raw record -> a ``Dialogue`` (user first, alternating); ``ParseError`` if impossible.

    ``params["filter"]`` records ``merged_messages`` and ``dropped_leading_assistant``.
    """
    return parse_raw_light(raw, config).to_dialogue()


def parse_raw_light(raw: dict[str, Any], config: FilterConfig) -> LightDialogue:
    """:func:`parse_raw` returning a :class:`LightDialogue` (what the Beam transform uses)."""
    rec = decode_raw(raw)
    if not isinstance(rec, dict):
        raise ParseError(f"expected a JSON object, got {type(rec).__name__}")
    fmt = config.format if config.format != "auto" else detect_format(rec)
    if fmt is None:
        keys = ", ".join(sorted(map(str, rec))[:8]) or "none"
        raise ParseError(f"unrecognized record format (keys: {keys}); use --format to force one")
    messages = _PARSERS[fmt](rec)
    return build_dialogue(
        messages,
        id=raw["id"],
        source_file=raw["source_file"],
        source_index=raw["source_index"],
        record_id=record_id_of(rec),
        fmt=fmt,
        config=config,
    )


def build_dialogue(
    messages: Messages,
    *,
    id: str,
    source_file: str,
    source_index: int,
    record_id: str | None,
    fmt: str,
    config: FilterConfig,
) -> LightDialogue:
    """Normalized messages -> a user-first, alternating dialogue (see the module docstring)."""
    system: list[str] = []
    speakers: list[str] = []
    texts: list[str] = []
    merged = 0
    for i, (role, text) in enumerate(messages):
        if role == SYSTEM:
            if text.strip():
                system.append(text.strip())
            continue
        if speakers and speakers[-1] == role:
            if not config.merge_consecutive:
                raise ParseError(f"message {i}: two {role} messages in a row")
            merged += 1
            if text.strip():
                texts[-1] = f"{texts[-1]}\n\n{text}" if texts[-1].strip() else text
            continue
        speakers.append(role)
        texts.append(text)
    dropped = 0
    while speakers and speakers[0] == ASSISTANT:
        if not config.drop_leading_assistant:
            raise ParseError("the dialogue starts with an assistant message")
        speakers.pop(0)
        texts.pop(0)
        dropped += 1
    if not speakers:
        raise ParseError("no user message")
    if ASSISTANT not in speakers:
        raise ParseError("no assistant reply")
    return LightDialogue(
        id,
        source_file,
        source_index,
        record_id,
        fmt,
        tuple(LightTurn(i, sp, tx) for i, (sp, tx) in enumerate(zip(speakers, texts))),
        "\n\n".join(system) or None,
        {"filter": {"merged_messages": merged, "dropped_leading_assistant": dropped}},
    )
