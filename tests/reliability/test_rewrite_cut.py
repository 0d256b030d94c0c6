"""The rules rewrite: one late unspeakable turn cuts the dialogue, it does not reject it (issue 15, 9)."""

from __future__ import annotations

from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.process import rewrite_dialogue
from duplexsynth.rewrite.rules import find_unspeakable, normalize_text
from duplexsynth.schemas.records import Dialogue, Reject, Turn


def _dialogue(texts: list[str]) -> Dialogue:
    turns = tuple(Turn(i, "user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts))
    return Dialogue(
        id="d40",
        source_file="in.jsonl",
        source_index=0,
        record_id="d40",
        format="sharegpt",
        turns=turns,
        system_prompt=None,
        params={},
    )


def _texts(n: int) -> list[str]:
    return [f"This is turn number {i} of our long talk about gardens." for i in range(n)]


def test_stray_bracket_in_turn_31_is_normalised_and_every_turn_kept():
    texts = _texts(40)
    texts[31] = "Right, and then the roses] came back the next spring."
    out = rewrite_dialogue(_dialogue(texts), RewriteConfig(fillers=False), seed=1)
    assert isinstance(out, Dialogue), out
    assert len(out.turns) == 40
    assert "]" not in out.turns[31].spoken_text
    assert out.params["rewrite"]["cut"] is None


def test_brackets_become_speakable():
    for text in (
        "A note [see above] here.",
        "Stray ] and [ marks.",
        "Cited [12] twice [3, 4].",
        "a {b} c",
    ):
        spoken = normalize_text(text)
        assert find_unspeakable(spoken) is None, (text, spoken)


def test_unspeakable_late_turn_cuts_to_the_clean_prefix_and_records_it():
    texts = _texts(40)
    texts[31] = "Then the chart showed ⊕ everywhere."  # a symbol no rule can speak
    out = rewrite_dialogue(_dialogue(texts), RewriteConfig(fillers=False), seed=1)
    assert isinstance(out, Dialogue), out
    assert len(out.turns) == 30 and out.turns[-1].speaker == "assistant"
    cut = out.params["rewrite"]["cut"]
    assert cut["turn"] == 31 and cut["reason"] == "rewrite_error" and "⊕" in cut["detail"]
    assert out.params["rewrite"]["turns_in"] == 40 and out.params["rewrite"]["turns_kept"] == 30


def test_unspeakable_first_exchange_still_rejects():
    texts = _texts(4)
    texts[1] = "It is ⊕."
    out = rewrite_dialogue(_dialogue(texts), RewriteConfig(fillers=False), seed=1)
    assert isinstance(out, Reject) and out.reason == "rewrite_error" and "turn 1" in out.detail
