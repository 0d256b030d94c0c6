"""The record dataclasses (schemas/records.py) and the Arrow schemas (schemas/arrow.py) agree,
and ``conform_row`` drops only the fields a stage may drop.

The type mapping the check uses: ``str`` -> string, ``bytes`` -> binary, ``bool`` -> bool,
``int`` -> any signed integer width, ``float`` -> float64, ``X | None`` -> ``X`` (nullable),
``tuple[T, ...]`` -> ``list<T>``, a record dataclass -> a struct whose fields agree with it (both
ways), and ``Dialogue.params`` (a dict) -> string, since it travels as JSON.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

import pyarrow as pa
import pytest

from duplexsynth.schemas.arrow import (
    REJECT_SCHEMA,
    STAGES,
    conform_row,
    droppable_fields,
    stage_schema,
)
from duplexsynth.schemas.records import Dialogue, Reject, Turn

#: dataclass fields that travel as JSON strings
JSON_FIELDS = {(Dialogue, "params")}


def _is_int(t: pa.DataType) -> bool:
    return pa.types.is_signed_integer(t)


def type_problems(py: Any, arrow: pa.DataType, where: str, owner: type | None = None) -> list[str]:
    """Why the Python annotation ``py`` and the Arrow type ``arrow`` disagree ([] if they agree)."""
    if typing.get_origin(py) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(py) if a is not type(None)]
        if len(args) != 1:
            return [f"{where}: union {py} has no Arrow mapping"]
        py = args[0]
    origin = typing.get_origin(py)
    if origin is tuple:
        args = typing.get_args(py)
        if len(args) != 2 or args[1] is not Ellipsis:
            return [f"{where}: {py} is not tuple[T, ...]"]
        if not pa.types.is_list(arrow):
            return [f"{where}: Python {py} but Arrow {arrow}"]
        return type_problems(args[0], arrow.value_type, f"{where}[]")
    if dataclasses.is_dataclass(py):
        if not pa.types.is_struct(arrow):
            return [f"{where}: Python {py.__name__} but Arrow {arrow}"]
        return record_problems(py, {f.name: f.type for f in arrow}, where)
    simple = {
        str: pa.types.is_string,
        bytes: pa.types.is_binary,
        bool: pa.types.is_boolean,
        int: _is_int,
        float: pa.types.is_float64,
    }
    if py in simple:
        return [] if simple[py](arrow) else [f"{where}: Python {py.__name__} but Arrow {arrow}"]
    return [f"{where}: Python {py} has no Arrow mapping"]


def record_problems(cls: type, arrow_fields: dict[str, pa.DataType], where: str) -> list[str]:
    """Every field of dataclass ``cls`` is in ``arrow_fields`` with an agreeing type, and every
    Arrow field is a field of ``cls``."""
    hints = typing.get_type_hints(cls)
    problems = []
    for f in dataclasses.fields(cls):
        if f.name not in arrow_fields:
            problems.append(f"{where}.{f.name}: in {cls.__name__} but not in the Arrow type")
            continue
        arrow = arrow_fields[f.name]
        if (cls, f.name) in JSON_FIELDS:
            if not pa.types.is_string(arrow):
                problems.append(f"{where}.{f.name}: JSON field but Arrow {arrow}")
            continue
        problems += type_problems(hints[f.name], arrow, f"{where}.{f.name}")
    names = {f.name for f in dataclasses.fields(cls)}
    problems += [
        f"{where}.{n}: in the Arrow type but not in {cls.__name__}"
        for n in arrow_fields
        if n not in names
    ]
    return problems


def stage_problems(stage: str, schema: pa.Schema) -> list[str]:
    """The stage's schema fields are :class:`Dialogue` fields of agreeing types (its ``turns``
    elements :class:`Turn` fields); the fields it leaves out are exactly the stage's droppable
    ones."""
    hints = typing.get_type_hints(Dialogue)
    turn_hints = typing.get_type_hints(Turn)
    top_drop, turn_drop = droppable_fields(stage)
    problems = []
    for f in schema:
        where = f"{stage}.{f.name}"
        if f.name not in hints:
            problems.append(f"{where}: in the Arrow schema but not in Dialogue")
        elif f.name == "turns":
            elem = f.type.value_type
            for tf in elem:
                if tf.name not in turn_hints:
                    problems.append(f"{where}[].{tf.name}: in the Arrow schema but not in Turn")
                else:
                    problems += type_problems(turn_hints[tf.name], tf.type, f"{where}[].{tf.name}")
            missing = {f.name for f in dataclasses.fields(Turn)} - {tf.name for tf in elem}
            problems += [
                f"{where}[].{n}: Turn field neither in the schema nor droppable"
                for n in sorted(missing - turn_drop)
            ]
        elif (Dialogue, f.name) in JSON_FIELDS:
            if not pa.types.is_string(f.type):
                problems.append(f"{where}: JSON field but Arrow {f.type}")
        else:
            problems += type_problems(hints[f.name], f.type, where)
    missing = {f.name for f in dataclasses.fields(Dialogue)} - set(schema.names)
    problems += [
        f"{stage}.{n}: Dialogue field neither in the schema nor droppable"
        for n in sorted(missing - top_drop)
    ]
    return problems


def test_every_stage_schema_agrees_with_the_records() -> None:
    problems = []
    for stage in STAGES:
        problems += stage_problems(stage, stage_schema(stage))
    problems += stage_problems("write", stage_schema("write", keep_turn_audio=False))
    assert problems == []


def test_every_record_field_reaches_the_last_stages_schema() -> None:
    """Each field a stage adds is in the full ``augment``/``write`` schemas: nothing in the
    records is unknown to Arrow, and nothing in Arrow is unknown to the records."""
    for stage in ("augment", "write"):
        fields = {f.name: f.type for f in stage_schema(stage)}
        assert record_problems(Dialogue, fields, stage) == []


def test_reject_schema_agrees_with_reject() -> None:
    assert record_problems(Reject, {f.name: f.type for f in REJECT_SCHEMA}, "rejects") == []


def test_the_check_fails_on_a_mismatch() -> None:
    """The checker is not vacuous: a renamed, retyped, missing or extra field is reported."""

    @dataclasses.dataclass
    class Rec:
        name: str
        size_s: float
        count: int | None = None
        parts: tuple[str, ...] = ()

    good = {
        "name": pa.string(),
        "size_s": pa.float64(),
        "count": pa.int32(),
        "parts": pa.list_(pa.string()),
    }
    assert record_problems(Rec, good, "rec") == []
    assert record_problems(Rec, {**good, "size_s": pa.int64()}, "rec") == [
        "rec.size_s: Python float but Arrow int64"
    ]
    assert record_problems(Rec, {**good, "parts": pa.list_(pa.int8())}, "rec") == [
        "rec.parts[]: Python str but Arrow int8"
    ]
    no_count = {k: v for k, v in good.items() if k != "count"}
    assert record_problems(Rec, no_count, "rec") == ["rec.count: in Rec but not in the Arrow type"]
    assert record_problems(Rec, {**good, "extra": pa.string()}, "rec") == [
        "rec.extra: in the Arrow type but not in Rec"
    ]
    # a stage schema with a field Dialogue lacks, or lacking one it may not drop
    schema = stage_schema("filter")
    assert stage_problems("filter", schema.append(pa.field("speed", pa.float64()))) == [
        "filter.speed: in the Arrow schema but not in Dialogue"
    ]
    assert stage_problems("filter", schema.remove(schema.get_field_index("format"))) == [
        "filter.format: Dialogue field neither in the schema nor droppable"
    ]


def _dialogue() -> Dialogue:
    return Dialogue(
        id="d-1",
        source_file="s.jsonl",
        source_index=3,
        record_id=None,
        format="sharegpt",
        turns=(Turn(0, "user", "Hi."), Turn(1, "assistant", "Hello.")),
    )


def test_conform_row_drops_only_later_stages_fields() -> None:
    row = _dialogue().to_row()
    out = conform_row(row, stage_schema("filter"))
    assert set(out) == set(stage_schema("filter").names)
    assert set(out["turns"][0]) == {"turn_index", "speaker", "source_text"}
    # the written row carries every field the write schema lists, and nothing else
    final = conform_row(row, stage_schema("write", keep_turn_audio=False))
    assert "backchannels" not in final
    assert "audio" not in final["turns"][0]
    assert "audio" in conform_row(row, stage_schema("write"))["turns"][0]


@pytest.mark.parametrize("stage", STAGES)
def test_conform_row_rejects_an_unknown_field_naming_it_and_the_stage(stage: str) -> None:
    row = dict(_dialogue().to_row(), speed_x=1.5)
    with pytest.raises(ValueError, match=rf"'d-1'.*'speed_x'.*{stage} schema"):
        conform_row(row, stage_schema(stage))
    row = _dialogue().to_row()
    row["turns"] = [dict(t, pitch_hz=120.0) for t in row["turns"]]
    with pytest.raises(ValueError, match=rf"'turns\[\]\.pitch_hz'.*{stage} schema"):
        conform_row(row, stage_schema(stage))


def test_conform_row_on_rejects_drops_nothing() -> None:
    r = Reject("s.jsonl", 1, None, "filter", "code", "fenced code block").to_row()
    assert conform_row(r, REJECT_SCHEMA) == r
    with pytest.raises(ValueError, match="'extra'.*rejects schema"):
        conform_row(dict(r, extra=1), REJECT_SCHEMA)


def _full_dialogue() -> Dialogue:
    """A dialogue with every field of every record filled in."""
    from duplexsynth.schemas.records import (
        AudioRef,
        Backchannel,
        Event,
        FrameLabels,
        TimelineWord,
        Word,
    )

    word = Word("hi", 0.1, 0.4, 0.9, "tts")
    turn = Turn(
        0, "user", "Hi!", "Hi.", "v1", AudioRef(b"flac", "t0.flac"), 16000, 0.5, (word,),
        (word,), 0.0, 0.5, 1, "turn", False, None, "Hi.", False,
    )  # fmt: skip
    return Dialogue(
        id="d-2",
        source_file="s.jsonl",
        source_index=4,
        record_id="r4",
        format="sharegpt",
        turns=(turn, turn.replace(turn_index=1, speaker="assistant", interrupted=True, cut_s=0.3)),
        system_prompt="Be brief.",
        params={"mix": {"gap_s": 0.2}},
        rewrite_method="rules",
        rewrite_model="m",
        rewrite_prompt_version="v1",
        rewrite_temperature=0.7,
        rewrite_seed=9,
        assistant_voice="a",
        user_voice="u",
        backchannels=(Backchannel("user", "u", "mm", AudioRef(b"bc"), 16000, 0.3, (word,)),),
        align_method="tts",
        audio=AudioRef(b"mix", "d-2.flac"),
        sample_rate=16000,
        duration_s=1.5,
        words=(TimelineWord("hi", 0.1, 0.4, 1, "user", 0, "backchannel"),),
        labels=FrameLabels(12.5, 2, (0, 1), (1, 0), (0, 2), (1, 1), ("silence", "speech")),
        events=(Event(0.0, "turn_start", 1, 0),),
        clean_audio=AudioRef(b"clean", "d-2.clean.flac"),
    )


def test_from_row_reads_back_every_field_in_memory_and_through_arrow() -> None:
    d = _full_dialogue()
    assert Dialogue.from_row(d.to_row()) == d
    table = pa.Table.from_pylist([d.to_row()], schema=stage_schema("augment"))
    assert Dialogue.from_row(table.to_pylist()[0]) == d


def test_from_row_fills_defaults_and_names_a_missing_required_field() -> None:
    d = Dialogue.from_row({"id": "x", "turns": [{"turn_index": "2", "speaker": "user"}]})
    assert (d.source_file, d.source_index, d.format, d.params) == ("", 0, "", {})
    assert d.turns[0].turn_index == 2 and d.turns[0].source_text is None
    row = _full_dialogue().to_row()
    del row["words"][0]["start_s"]
    with pytest.raises(KeyError, match="start_s"):
        Dialogue.from_row(row)
