"""The one prefix rule and the one reject constructor."""

from __future__ import annotations

from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import (
    ASSISTANT,
    USER,
    Dialogue,
    Turn,
    exchange_prefix,
    make_reject,
)


def _turns(speakers: list[str]) -> list[Turn]:
    return [Turn(turn_index=i, speaker=s, source_text=f"t{i}") for i, s in enumerate(speakers)]


def test_exchange_prefix_ends_on_an_assistant_turn() -> None:
    turns = _turns([USER, ASSISTANT, USER, ASSISTANT, USER])
    assert exchange_prefix(turns, 5) == 4
    assert exchange_prefix(turns, 4) == 4
    assert exchange_prefix(turns, 3) == 2
    assert exchange_prefix(turns, 1) == 0  # no complete exchange left
    assert exchange_prefix(turns, 0) == 0
    assert exchange_prefix(turns, 99) == 4
    assert exchange_prefix(_turns([ASSISTANT, USER]), 2) == 0


def test_make_reject_from_a_dialogue_and_from_a_partial_row() -> None:
    d = Dialogue(
        id="d1",
        source_file="in.jsonl",
        source_index=7,
        record_id="r7",
        format="sharegpt",
        turns=tuple(_turns([USER, ASSISTANT])),
    )
    r = make_reject(d, "align", Reason.ALIGN_ERROR, "turn 1: unheard")
    assert (r.source_file, r.source_index, r.record_id, r.id) == ("in.jsonl", 7, "r7", "d1")
    assert (r.stage, r.reason, r.detail) == ("align", "align_error", "turn 1: unheard")
    row = make_reject({"source_index": "3", "id": "x"}, "filter", "malformed", "no turns")
    assert (row.source_file, row.source_index, row.record_id, row.id) == ("", 3, None, "x")
    assert row.reason == "malformed"


def test_make_reject_from_any_object_with_source_fields() -> None:
    class Shell:  # the filter transform screens light stand-ins of a dialogue
        source_file, source_index, record_id, id = "a.jsonl", 2, "r2", "d2"

    r = make_reject(Shell(), "filter", Reason.DUPLICATE, "dup")
    assert (r.source_file, r.source_index, r.record_id, r.id) == ("a.jsonl", 2, "r2", "d2")
