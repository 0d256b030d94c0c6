"""The versioned prompt that asks an LLM for a spoken version of every turn, as JSON.

Change :data:`PROMPT_VERSION` whenever the wording or the answer format changes: it is part of
every cache key and of every output row (``rewrite_prompt_version``), so old answers are never
mixed with new ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

PROMPT_VERSION = "spoken-v1"

_SYSTEM = """\
You turn written chat dialogues into natural spoken dialogue for a text-to-speech engine.
Rewrite every turn, in the same order, keeping who speaks (user or assistant) and what they mean.

Rules for every turn:
- Write only words a person would say aloud: no markdown, no bullet points, no headings, no \
emoji, no links or web addresses, no code.
- Write numbers, dates, times, money, percentages, units and symbols as spoken words \
("twenty-five percent", "three thirty p m", "five kilometers", "and" instead of "&").
- Turn lists into a spoken enumeration ("first, ... second, ... and finally, ...").
- Keep it concise and conversational; use contractions.

User turns: casual and natural, with the question or request kept intact{user_fillers}; at \
most {user_words} words.
Assistant turns: only what a helpful person would actually say aloud in a conversation; keep \
the key facts and leave the rest out; at most {max_words} words.

Answer in the language of the dialogue, with a JSON object only, no other text, in exactly \
this shape:
{{"turns": [{{"index": 0, "speaker": "user", "text": "..."}}, {{"index": 1, "speaker": \
"assistant", "text": "..."}}]}}
The "turns" list must have exactly as many entries as the dialogue, with the same speakers in \
the same order."""

_FILLERS = ', and now and then a natural disfluency such as "um", "uh" or "well,"'


def system_prompt(max_words: int, fillers: bool) -> str:
    """The instructions (the same for every dialogue of a run)."""
    return _SYSTEM.format(
        max_words=max_words,
        user_words=max_words,
        user_fillers=_FILLERS if fillers else "",
    )


def user_prompt(turns: Sequence[tuple[str, str]]) -> str:
    """The dialogue to rewrite, as JSON: ``turns`` is ``[(speaker, text), ...]``."""
    payload = {
        "turns": [
            {"index": i, "speaker": speaker, "text": text}
            for i, (speaker, text) in enumerate(turns)
        ]
    }
    return f"Rewrite this dialogue of {len(turns)} turns as spoken dialogue.\n" + json.dumps(
        payload, ensure_ascii=False
    )


def build_messages(
    turns: Sequence[tuple[str, str]], max_words: int, fillers: bool
) -> list[dict[str, str]]:
    """Chat messages for one dialogue."""
    return [
        {"role": "system", "content": system_prompt(max_words, fillers)},
        {"role": "user", "content": user_prompt(turns)},
    ]


def retry_messages(
    messages: list[dict[str, str]], bad_answer: str, problem: str, n_turns: int
) -> list[dict[str, str]]:
    """``messages`` plus the rejected answer and a request to fix the stated problem."""
    return [
        *messages,
        {"role": "assistant", "content": bad_answer[:8000]},
        {
            "role": "user",
            "content": (
                f"That answer cannot be used: {problem}. Reply again with only the JSON object "
                f'{{"turns": [...]}} holding all {n_turns} turns, following every rule.'
            ),
        },
    ]


def json_schema(n_turns: int) -> dict[str, Any]:
    """A strict JSON schema for ``response_format={"type": "json_schema", ...}``."""
    return {
        "name": "spoken_dialogue",
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["turns"],
            "properties": {
                "turns": {
                    "type": "array",
                    "minItems": n_turns,
                    "maxItems": n_turns,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["index", "speaker", "text"],
                        "properties": {
                            "index": {"type": "integer"},
                            "speaker": {"type": "string", "enum": ["user", "assistant"]},
                            "text": {"type": "string"},
                        },
                    },
                }
            },
        },
    }


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def instruction_shingles(max_words: int, fillers: bool, n: int = 6) -> frozenset[tuple[str, ...]]:
    """Every run of ``n`` consecutive words of the instructions (to detect an echoed prompt)."""
    words = _words(system_prompt(max_words, fillers))
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
