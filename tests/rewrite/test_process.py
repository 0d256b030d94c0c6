"""``rewrite_dialogue`` on the offline rules path, and input validation."""

from __future__ import annotations

import json
import pickle

import pytest
from rewrite_helpers import dialogue

from duplexsynth.rewrite import RewriteConfig, RewriteProcessor, rewrite_dialogue
from duplexsynth.rewrite.rules import RULES_VERSION, normalize_text, word_count
from duplexsynth.schemas.records import Dialogue, Reject, Turn

RULES = RewriteConfig(cache_dir=None)


def test_rules_rewrite_fills_every_field() -> None:
    d = dialogue(0, "How far is 5 km?", "It's about **3.1 miles**, roughly 50% of a 10k.")
    out = rewrite_dialogue(d, RewriteConfig(cache_dir=None, fillers=False), seed=3)
    assert isinstance(out, Dialogue)
    assert [t.spoken_text for t in out.turns] == [
        "How far is five kilometers?",
        "It's about three point one miles, roughly fifty percent of a ten thousand.",
    ]
    assert [t.source_text for t in out.turns] == [t.source_text for t in d.turns]
    assert out.rewrite_method == "rules" and out.rewrite_seed == 3
    assert out.rewrite_model is None and out.rewrite_prompt_version is None
    params = out.params["rewrite"]
    assert params["method"] == "rules" and params["rules_version"] == RULES_VERSION
    assert params["max_words_per_turn"] == 60 and params["fillers"] is False
    row = out.to_row()
    assert json.loads(row["params"])["rewrite"] == params
    assert Dialogue.from_row(row) == out


def test_same_seed_same_output_and_fillers_follow_the_seed() -> None:
    cfg = RewriteConfig(cache_dir=None, filler_rate=0.5)
    ds = [
        dialogue(i, "What time is it? Is it late? Should I go?", "It is late.") for i in range(12)
    ]
    a = [rewrite_dialogue(d, cfg, seed=1).to_row() for d in ds]
    b = [rewrite_dialogue(d, cfg, seed=1).to_row() for d in ds]
    c = [rewrite_dialogue(d, cfg, seed=2).to_row() for d in ds]
    assert a == b
    assert a != c
    spoken = [r["turns"][0]["spoken_text"] for r in a]
    assert len(set(spoken)) > 1  # fillers vary between dialogues
    inserted = [f for r in a for f in json.loads(r["params"])["rewrite"]["fillers_inserted"]]
    assert inserted and all(f["turn"] == 0 for f in inserted)  # user turns only
    assert all(r["turns"][1]["spoken_text"] == "It is late." for r in a)


def test_no_fillers_gives_plain_normalization() -> None:
    text = "What is 2 + 2? Tell me now."
    out = rewrite_dialogue(
        dialogue(0, text, "Four."), RewriteConfig(cache_dir=None, fillers=False), 1
    )
    assert out.turns[0].spoken_text == normalize_text(text)
    zero = RewriteConfig(cache_dir=None, filler_rate=0.0)
    assert rewrite_dialogue(dialogue(0, text, "Four."), zero, 1).turns[0].spoken_text == (
        normalize_text(text)
    )


def test_long_assistant_turns_are_trimmed_to_whole_sentences() -> None:
    long = " ".join(f"Point {i} is worth saying out loud." for i in range(1, 21))
    cfg = RewriteConfig(cache_dir=None, max_words_per_turn=20, fillers=False)
    out = rewrite_dialogue(dialogue(0, long, long), cfg, 1)
    user, assistant = (t.spoken_text for t in out.turns)
    assert word_count(user) == 140  # user turns are never trimmed
    assert word_count(assistant) == 14 and assistant.endswith("loud.")
    assert out.params["rewrite"]["trimmed_turns"] == [{"turn": 1, "words_before": 140, "words": 14}]
    untrimmed = rewrite_dialogue(
        dialogue(0, long, long), RewriteConfig(cache_dir=None, trim=False), 1
    )
    assert word_count(untrimmed.turns[1].spoken_text) == 140


def test_unspeakable_turn_is_rejected_not_emitted() -> None:
    d = dialogue(5, "What is ∑ of the series?", "It diverges.")
    out = rewrite_dialogue(d, RULES, 1)
    assert isinstance(out, Reject)
    assert out.reason == "rewrite_error" and out.stage == "rewrite"
    assert "turn 0 (user)" in out.detail and "'∑'" in out.detail
    assert (out.id, out.source_file, out.source_index, out.record_id) == (
        "dlg-0005",
        "tiny.jsonl",
        5,
        "rec-5",
    )


@pytest.mark.parametrize(
    ("turns", "detail"),
    [
        ((), "has no turns"),
        ((Turn(0, "user", "Hi"), Turn(1, "assistant", "  ")), "turn 1: source_text is empty"),
        ((Turn(0, "user", None),), "turn 0: source_text is empty"),
        ((Turn(0, "narrator", "Hi"),), "speaker 'narrator'"),
    ],
)
def test_bad_input_is_rejected_with_the_record(turns, detail: str) -> None:
    d = dialogue(9, "x", "y").replace(turns=turns)
    out = rewrite_dialogue(d, RULES, 1)
    assert isinstance(out, Reject) and out.reason == "bad_input"
    assert detail in out.detail and "dlg-0009" in out.detail


def test_processor_pickles_without_its_client() -> None:
    proc = RewriteProcessor(RewriteConfig(cache_dir=None, llm_model="m"), seed=4)
    proc.setup()
    assert proc.rewriter is not None
    clone = pickle.loads(pickle.dumps(proc))
    assert clone.rewriter is None and clone.seed == 4 and clone.config == proc.config
    rules = RewriteProcessor(RULES, seed=4)
    out = rules(dialogue(0, "Hi 2 you.", "Hello."))
    assert out.turns[0].spoken_text.endswith("two you.")
