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
#: the prompt version recorded for Chinese dialogues (its own wording)
PROMPT_VERSION_ZH = "spoken-zh-v1"

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

#: the same instructions for Chinese dialogues, in Chinese (word caps count Chinese words,
#: about 1.5 characters each, so the character caps are 1.5x the word caps)
_SYSTEM_ZH = """\
你的任务是把书面的中文聊天对话改写成适合语音合成朗读的自然口语对话。
按原来的顺序改写每一轮，保留说话人（user 或 assistant）和原意。

每一轮都要遵守：
- 只写人会说出口的话：不要 Markdown、列表符号、标题、表情符号、链接、网址或代码。
- 数字、日期、时间、金额、百分比、单位和符号都写成汉字读法（“百分之二十五”、“下午三点半”、\
“五公里”、“四十五元”、“二零二四年三月十五日”），电话号码逐位读出。
- 把列表改成口语的列举（“首先……其次……最后……”）。
- 使用全角中文标点，简洁、口语化。

用户的话：随意自然，保留原来的问题或请求{user_fillers}；最多{user_chars}个字。
助手的话：只说一个乐于助人的人在对话中真的会说出口的内容，保留关键信息，省略其余部分；\
最多{max_chars}个字。

用中文回答，只输出一个 JSON 对象，不要其他文字，格式严格如下：
{{"turns": [{{"index": 0, "speaker": "user", "text": "..."}}, {{"index": 1, "speaker": \
"assistant", "text": "..."}}]}}
"turns" 列表的条数必须与对话相同，说话人和顺序也必须相同。"""

_FILLERS_ZH = "，偶尔加一个自然的口头语，比如“嗯”、“那个”或“就是”"


def system_prompt(max_words: int, fillers: bool, language: str = "en") -> str:
    """The instructions (the same for every dialogue of one language in a run)."""
    if language == "zh":
        chars = int(max_words * 1.5)
        return _SYSTEM_ZH.format(
            max_chars=chars, user_chars=chars, user_fillers=_FILLERS_ZH if fillers else ""
        )
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
    turns: Sequence[tuple[str, str]], max_words: int, fillers: bool, language: str = "en"
) -> list[dict[str, str]]:
    """Chat messages for one dialogue (instructions in the dialogue's language)."""
    return [
        {"role": "system", "content": system_prompt(max_words, fillers, language)},
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
