"""Versioned Arrow schemas for every stage's output folder.

Each stage's schema is the previous stage's plus the fields that stage adds (nothing is renamed).
Bump :data:`SCHEMA_VERSION` on any change; it is written into every file's metadata.
"""

from __future__ import annotations

import functools
import json

import pyarrow as pa

SCHEMA_VERSION = "1.0"

#: stage name -> output folder, in data-flow order
STAGE_FOLDERS: dict[str, str] = {
    "filter": "filtered",
    "rewrite": "rewritten",
    "synth": "synthesized",
    "align": "aligned",
    "mix": "mixed",
    "augment": "augmented",
    "write": "dialogues",
}
STAGES: tuple[str, ...] = tuple(STAGE_FOLDERS)


def stage_rank(stage: str) -> int:
    """Position of ``stage`` in the data flow; raises ``ValueError`` for an unknown name."""
    if stage not in STAGE_FOLDERS:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    return STAGES.index(stage)


AUDIO = pa.struct([("bytes", pa.binary()), ("path", pa.string())])

WORD = pa.struct(
    [
        ("word", pa.string()),
        ("start_s", pa.float64()),
        ("end_s", pa.float64()),
        ("score", pa.float64()),
        ("method", pa.string()),
    ]
)

TIMELINE_WORD = pa.struct(
    [
        ("word", pa.string()),
        ("start_s", pa.float64()),
        ("end_s", pa.float64()),
        ("channel", pa.int8()),
        ("speaker", pa.string()),
        ("turn_index", pa.int32()),
        ("kind", pa.string()),
    ]
)

EVENT = pa.struct(
    [
        ("time_s", pa.float64()),
        ("kind", pa.string()),
        ("channel", pa.int8()),
        ("turn_index", pa.int32()),
    ]
)

LABELS = pa.struct(
    [
        ("frame_rate_hz", pa.float64()),
        ("num_frames", pa.int32()),
        ("activity_assistant", pa.list_(pa.int8())),
        ("activity_user", pa.list_(pa.int8())),
        ("state_assistant", pa.list_(pa.int8())),
        ("state_user", pa.list_(pa.int8())),
        ("state_names", pa.list_(pa.string())),
    ]
)

BACKCHANNEL = pa.struct(
    [
        ("speaker", pa.string()),
        ("voice", pa.string()),
        ("text", pa.string()),
        ("audio", AUDIO),
        ("sample_rate", pa.int32()),
        ("duration_s", pa.float64()),
        ("words", pa.list_(WORD)),
    ]
)

# (field, stage that adds it)
_TURN_FIELDS: list[tuple[pa.Field, str]] = [
    (pa.field("turn_index", pa.int32()), "filter"),
    (pa.field("speaker", pa.string()), "filter"),
    (pa.field("source_text", pa.string()), "filter"),
    (pa.field("spoken_text", pa.string()), "rewrite"),
    (pa.field("voice", pa.string()), "synth"),
    (pa.field("audio", AUDIO), "synth"),
    (pa.field("sample_rate", pa.int32()), "synth"),
    (pa.field("duration_s", pa.float64()), "synth"),
    (pa.field("tts_words", pa.list_(WORD)), "synth"),
    (pa.field("words", pa.list_(WORD)), "align"),
    (pa.field("start_s", pa.float64()), "mix"),
    (pa.field("end_s", pa.float64()), "mix"),
    (pa.field("channel", pa.int8()), "mix"),
    (pa.field("kind", pa.string()), "mix"),
    (pa.field("interrupted", pa.bool_()), "mix"),
    (pa.field("cut_s", pa.float64()), "mix"),
    (pa.field("text", pa.string()), "mix"),
    (pa.field("stop_command", pa.bool_()), "mix"),
]

_DIALOGUE_FIELDS: list[tuple[pa.Field, str]] = [
    (pa.field("id", pa.string(), nullable=False), "filter"),
    (pa.field("source_file", pa.string()), "filter"),
    (pa.field("source_index", pa.int64()), "filter"),
    (pa.field("record_id", pa.string()), "filter"),
    (pa.field("format", pa.string()), "filter"),
    (pa.field("system_prompt", pa.string()), "filter"),
    (pa.field("turns", pa.null()), "filter"),  # replaced per stage in stage_schema
    (pa.field("params", pa.string()), "filter"),
    (pa.field("rewrite_method", pa.string()), "rewrite"),
    (pa.field("rewrite_model", pa.string()), "rewrite"),
    (pa.field("rewrite_prompt_version", pa.string()), "rewrite"),
    (pa.field("rewrite_temperature", pa.float64()), "rewrite"),
    (pa.field("rewrite_seed", pa.int64()), "rewrite"),
    (pa.field("assistant_voice", pa.string()), "synth"),
    (pa.field("user_voice", pa.string()), "synth"),
    (pa.field("backchannels", pa.list_(BACKCHANNEL)), "synth"),
    (pa.field("align_method", pa.string()), "align"),
    (pa.field("audio", AUDIO), "mix"),
    (pa.field("sample_rate", pa.int32()), "mix"),
    (pa.field("duration_s", pa.float64()), "mix"),
    (pa.field("words", pa.list_(TIMELINE_WORD)), "mix"),
    (pa.field("labels", LABELS), "mix"),
    (pa.field("events", pa.list_(EVENT)), "mix"),
    (pa.field("clean_audio", AUDIO), "augment"),
]

REJECT_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string()),
        pa.field("source_index", pa.int64()),
        pa.field("record_id", pa.string()),
        pa.field("stage", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("detail", pa.string()),
        pa.field("id", pa.string()),
    ],
    metadata={
        b"duplexsynth.schema_version": SCHEMA_VERSION.encode(),
        b"duplexsynth.kind": b"rejects",
    },
)


def turn_type(stage: str) -> pa.StructType:
    """The struct type of one element of ``turns`` in ``stage``'s output."""
    rank = stage_rank(stage)
    return pa.struct([f for f, s in _TURN_FIELDS if stage_rank(s) <= rank])


def stage_schema(stage: str, *, keep_turn_audio: bool = True) -> pa.Schema:
    """The Arrow schema of ``OUT/<folder>/part-*.parquet`` written by ``stage``.

    ``keep_turn_audio=False`` (the final ``write`` stage's default) drops ``turns[].audio``
    and the backchannel lexicon's audio-carrying list.
    """
    rank = stage_rank(stage)
    tt = turn_type(stage)
    if not keep_turn_audio:
        tt = pa.struct([f for f in tt if f.name != "audio"])
    fields = []
    for f, s in _DIALOGUE_FIELDS:
        if stage_rank(s) > rank:
            continue
        if f.name == "turns":
            f = pa.field("turns", pa.list_(tt))
        if f.name == "backchannels" and not keep_turn_audio:
            continue
        fields.append(f)
    meta = {
        b"duplexsynth.schema_version": SCHEMA_VERSION.encode(),
        b"duplexsynth.stage": stage.encode(),
    }
    return pa.schema(fields, metadata=meta)


def huggingface_metadata(sample_rate: int) -> bytes:
    """The ``b"huggingface"`` schema metadata that makes ``datasets`` see ``audio`` as Audio."""
    return json.dumps(
        {"info": {"features": {"audio": {"_type": "Audio", "sampling_rate": int(sample_rate)}}}}
    ).encode()


#: fields the final ``write`` stage leaves out unless kept (``keep_turn_audio`` drops the
#: backchannel lexicon and ``turns[].audio``; ``keep_clean_audio`` drops ``clean_audio``)
WRITE_OPTIONAL_FIELDS: tuple[str, ...] = ("backchannels", "clean_audio")
WRITE_OPTIONAL_TURN_FIELDS: tuple[str, ...] = ("audio",)


@functools.cache
def droppable_fields(stage: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """``(dialogue fields, turn fields)`` a row written by ``stage`` may carry although the
    stage's schema leaves them out: the fields later stages add (a :class:`Dialogue` row has
    them all, ``None`` until reached) and, for ``write``, the optional ones above. ``None`` (a
    schema that is no stage's, such as the rejects') may drop nothing."""
    if stage is None:
        return frozenset(), frozenset()
    rank = stage_rank(stage)
    top = {f.name for f, s in _DIALOGUE_FIELDS if stage_rank(s) > rank}
    turn = {f.name for f, s in _TURN_FIELDS if stage_rank(s) > rank}
    if stage == "write":
        top.update(WRITE_OPTIONAL_FIELDS)
        turn.update(WRITE_OPTIONAL_TURN_FIELDS)
    return frozenset(top), frozenset(turn)


def conform_row(row: dict, schema: pa.Schema) -> dict:
    """``row`` with the keys ``schema`` leaves out removed (recursively into ``turns``) so Arrow
    accepts it. Only the stage's :func:`droppable_fields` may go: any other key not in the
    schema is a ``ValueError`` naming the field, the stage and the row."""
    meta = schema.metadata or {}
    stage = meta.get(b"duplexsynth.stage", b"").decode() or None
    may_drop, turn_may_drop = droppable_fields(stage)
    names = set(schema.names)
    out = {}
    for k, v in row.items():
        if k in names:
            out[k] = v
        elif k not in may_drop:
            raise _unknown(k, row, stage, meta)
    if "turns" in out and out["turns"] is not None:
        tnames = {f.name for f in schema.field("turns").type.value_type}
        turns = []
        for t in out["turns"]:
            for k in t.keys() - tnames:
                if k not in turn_may_drop:
                    raise _unknown(f"turns[].{k}", row, stage, meta)
            turns.append({k: v for k, v in t.items() if k in tnames})
        out["turns"] = turns
    return out


def _unknown(name: str, row: dict, stage: str | None, meta: dict) -> ValueError:
    where = stage or meta.get(b"duplexsynth.kind", b"").decode() or "given"
    return ValueError(
        f"row {row.get('id')!r}: field {name!r} is not in the {where} schema "
        "(and not one the stage may drop)"
    )
