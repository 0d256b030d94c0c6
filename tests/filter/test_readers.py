"""Record formats -> Dialogue: detection, every format, turn rules, malformed records."""

from __future__ import annotations

import pytest
from _filtertools import DEFAULT, raw
from hypothesis import given, settings
from hypothesis import strategies as st

from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.readers import ParseError, decode_raw, detect_format, parse_raw
from duplexsynth.schemas.records import ASSISTANT, USER


def parse(record, **cfg):
    return parse_raw(raw(record), FilterConfig(**cfg) if cfg else DEFAULT)


def pairs(d):
    return [(t.speaker, t.source_text) for t in d.turns]


# ------------------------------------------------------------------------------ each format
def test_alpaca_joins_instruction_and_input():
    d = parse({"instruction": "Summarize this.", "input": "A long day.", "output": "Tired."})
    assert d.format == "alpaca"
    assert pairs(d) == [(USER, "Summarize this.\n\nA long day."), (ASSISTANT, "Tired.")]
    assert (
        parse({"instruction": "Hi.", "input": "  ", "output": "Hello."}).turns[0].source_text
        == "Hi."
    )


def test_sharegpt_with_system_and_role_variants():
    d = parse(
        {
            "id": "abc",
            "conversations": [
                {"from": "system", "value": "Be brief."},
                {"from": "human", "value": "Hi"},
                {"from": "gpt", "value": "Hello"},
                {"role": "user", "content": "Bye"},
                {"from": "chatgpt", "value": "See you"},
            ],
        }
    )
    assert d.format == "sharegpt" and d.record_id == "abc"
    assert d.system_prompt == "Be brief."
    assert pairs(d) == [(USER, "Hi"), (ASSISTANT, "Hello"), (USER, "Bye"), (ASSISTANT, "See you")]


def test_openai_messages_with_text_parts():
    d = parse(
        {
            "id": 7,
            "messages": [
                {"role": "system", "content": "Sys."},
                {"role": "user", "content": [{"type": "text", "text": "Part one."}, "two"]},
                {"role": "assistant", "content": "Done."},
            ],
        }
    )
    assert d.format == "openai" and d.record_id == "7"
    assert d.system_prompt == "Sys."
    assert d.turns[0].source_text == "Part one.\ntwo"


def test_ultrachat_data_list_and_messages_form():
    d = parse({"id": "u1", "data": ["Q1", "A1", "Q2", "A2"]})
    assert d.format == "ultrachat"
    assert pairs(d) == [(USER, "Q1"), (ASSISTANT, "A1"), (USER, "Q2"), (ASSISTANT, "A2")]
    d2 = parse(
        {
            "prompt": "Q",
            "prompt_id": "p9",
            "messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
        }
    )
    assert d2.format == "ultrachat" and d2.record_id == "p9"


def test_openorca_system_prompt_is_metadata():
    d = parse({"id": "o.1", "system_prompt": "You help.", "question": "Q?", "response": "A."})
    assert d.format == "openorca" and d.system_prompt == "You help."
    assert pairs(d) == [(USER, "Q?"), (ASSISTANT, "A.")]
    assert parse({"system_prompt": "", "question": "Q?", "response": "A."}).system_prompt is None


def test_belle_single_and_multiturn_transcript():
    d = parse({"instruction": "Name a fruit.", "output": "A pear."})
    assert d.format == "belle" and pairs(d) == [(USER, "Name a fruit."), (ASSISTANT, "A pear.")]
    d = parse(
        {
            "instruction": "Human: Hi there\nAssistant: Hello!\nHuman: How are you?\nAssistant:",
            "input": "",
            "output": "Fine, thanks.",
        }
    )
    assert d.format == "belle"
    assert pairs(d) == [
        (USER, "Hi there"),
        (ASSISTANT, "Hello!"),
        (USER, "How are you?"),
        (ASSISTANT, "Fine, thanks."),
    ]


def test_moss_pairs_chat_and_single_pair():
    d = parse(
        {
            "conversation_id": 3,
            "conversation": [
                {"human": "Q1", "assistant": "A1"},
                {"human": "Q2", "assistant": "A2"},
            ],
        }
    )
    assert d.format == "moss" and d.record_id == "3" and len(d.turns) == 4
    d = parse(
        {
            "meta_instruction": "You are MOSS.",
            "chat": {
                "turn_2": {"Human": "<|Human|>: Second?<eoh>\n", "MOSS": "<|MOSS|>: Yes.<eom>\n"},
                "turn_1": {"Human": "<|Human|>: First?<eoh>\n", "MOSS": "<|MOSS|>: Sure.<eom>\n"},
            },
        }
    )
    assert d.system_prompt == "You are MOSS."
    assert pairs(d) == [
        (USER, "First?"),
        (ASSISTANT, "Sure."),
        (USER, "Second?"),
        (ASSISTANT, "Yes."),
    ]
    assert parse({"human": "Q", "assistant": "A"}).format == "moss"


@pytest.mark.parametrize(
    ("record", "fmt"),
    [
        ({"instruction": "a", "input": "", "output": "b"}, "alpaca"),
        ({"instruction": "a", "output": "b"}, "belle"),
        ({"instruction": "Human: a\nAssistant:", "input": "", "output": "b"}, "belle"),
        ({"conversations": []}, "sharegpt"),
        ({"conversation": [{"from": "human", "value": "x"}]}, "sharegpt"),
        ({"conversation": [{"human": "x", "assistant": "y"}]}, "moss"),
        ({"messages": []}, "openai"),
        ({"messages": [], "prompt_id": "1"}, "ultrachat"),
        ({"data": ["a", "b"]}, "ultrachat"),
        ({"question": "a", "response": "b"}, "openorca"),
        ({"chat": {}}, "moss"),
        ({"human": "a", "assistant": "b"}, "moss"),
        ({"prompt": "a", "completion": "b"}, None),
        (["not", "a", "dict"], None),
    ],
)
def test_detect_format(record, fmt):
    assert detect_format(record) == fmt


# ----------------------------------------------------------------------------- turn rules
def test_consecutive_messages_merge_or_reject():
    rec = {
        "messages": [
            {"role": "user", "content": "First."},
            {"role": "user", "content": "Second."},
            {"role": "assistant", "content": "Answer."},
        ]
    }
    d = parse(rec)
    assert pairs(d) == [(USER, "First.\n\nSecond."), (ASSISTANT, "Answer.")]
    assert d.params["filter"]["merged_messages"] == 1
    with pytest.raises(ParseError, match="two user messages in a row"):
        parse(rec, merge_consecutive=False)


def test_leading_assistant_dropped_or_rejected():
    rec = {"data": ["Hi, how can I help?"]}
    rec = {
        "conversations": [
            {"from": "gpt", "value": "Hi, how can I help?"},
            {"from": "human", "value": "Tell me a joke."},
            {"from": "gpt", "value": "Why did the cow cross the road?"},
        ]
    }
    d = parse(rec)
    assert d.turns[0].speaker == USER and d.params["filter"]["dropped_leading_assistant"] == 1
    with pytest.raises(ParseError, match="starts with an assistant"):
        parse(rec, drop_leading_assistant=False)


def test_system_messages_anywhere_become_system_prompt():
    d = parse(
        {
            "messages": [
                {"role": "user", "content": "Q"},
                {"role": "system", "content": "Late rule."},
                {"role": "assistant", "content": "A"},
            ]
        }
    )
    assert d.system_prompt == "Late rule." and pairs(d) == [(USER, "Q"), (ASSISTANT, "A")]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"messages": [{"role": "user", "content": "only a question"}]}, "no assistant reply"),
        ({"messages": []}, "no user message"),
        ({"messages": [{"role": "system", "content": "x"}]}, "no user message"),
        (
            {"messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "y"}]},
            "unsupported role 'tool'",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": "x"}]},
                    {"role": "assistant", "content": "y"},
                ]
            },
            "non-text content 'image_url'",
        ),
        ({"messages": "not a list"}, "'messages' is str, not a list"),
        ({"messages": [{"role": "user", "content": {"a": 1}}]}, "content is dict"),
        (
            {"prompt": "a", "completion": "b"},
            r"unrecognized record format \(keys: completion, prompt\)",
        ),
        ({"conversations": ["just a string"]}, "message 0: expected an object"),
    ],
)
def test_malformed_records(record, message):
    with pytest.raises(ParseError, match=message):
        parse(record)


def test_forced_format_applies_one_parser():
    alpaca = {"instruction": "Q", "input": "", "output": "A"}
    assert parse(alpaca, format="alpaca").format == "alpaca"
    with pytest.raises(ParseError, match="not a openai record: missing 'messages'"):
        parse(alpaca, format="openai")
    # forcing alpaca on a belle transcript keeps the markers as text
    belle = {
        "instruction": "Human: a\nAssistant: b\nHuman: c\nAssistant:",
        "input": "",
        "output": "d",
    }
    assert "Human:" in parse(belle, format="alpaca").turns[0].source_text


def test_empty_texts_become_empty_turns_not_errors():
    d = parse({"instruction": "Write a haiku.", "input": "", "output": ""})
    assert pairs(d) == [(USER, "Write a haiku."), (ASSISTANT, "")]
    d = parse(
        {"messages": [{"role": "user", "content": None}, {"role": "assistant", "content": 5}]}
    )
    assert pairs(d) == [(USER, ""), (ASSISTANT, "5")]


def test_decode_raw_lines_and_errors():
    assert decode_raw({"line": b'{"a": 1}\n'}) == {"a": 1}
    with pytest.raises(ParseError, match="invalid JSON"):
        decode_raw({"line": b'{"a": '})
    with pytest.raises(ParseError, match="not UTF-8"):
        decode_raw({"line": b'{"a": "\xff\xfe"}'})
    with pytest.raises(ParseError, match="gzip broke"):
        decode_raw({"error": "gzip broke"})
    with pytest.raises(ParseError, match="expected a JSON object, got list"):
        parse_raw({"id": "x", "source_file": "f", "source_index": 0, "line": b"[1, 2]"}, DEFAULT)


def test_ids_and_source_fields_come_from_the_raw_record():
    d = parse_raw(
        {
            "id": "corpus-000042",
            "source_file": "c.jsonl",
            "source_index": 42,
            "line": b'{"data": ["q", "a"]}',
        },
        DEFAULT,
    )
    assert (d.id, d.source_file, d.source_index, d.record_id) == (
        "corpus-000042",
        "c.jsonl",
        42,
        None,
    )
    assert [t.turn_index for t in d.turns] == [0, 1]


_messages = st.lists(
    st.tuples(st.sampled_from(["user", "assistant", "system"]), st.text(max_size=20)),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(_messages)
def test_any_message_list_gives_alternating_user_first_dialogue_or_parse_error(msgs):
    rec = {"messages": [{"role": r, "content": t} for r, t in msgs]}
    try:
        d = parse(rec)
    except ParseError as exc:
        assert "no user message" in str(exc) or "no assistant reply" in str(exc)
        return
    speakers = [t.speaker for t in d.turns]
    assert speakers[0] == USER
    assert all(a != b for a, b in zip(speakers, speakers[1:]))
    assert ASSISTANT in speakers
    assert [t.turn_index for t in d.turns] == list(range(len(d.turns)))
    for role, text in msgs:  # nothing spoken is lost except leading assistant messages
        if role == "user" and text.strip():
            assert any(text in t.source_text for t in d.turns if t.speaker == USER)
