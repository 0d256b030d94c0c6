"""The prefix rule and ``filter_dialogue``: kept prefixes, rejects, recorded verdicts."""

from __future__ import annotations

import pytest
from _filtertools import CLEAN_A, CLEAN_Q, dialogue

from duplexsynth.filter import FilterProcessor, filter_dialogue
from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.prefix import clean_prefix
from duplexsynth.schemas.records import Reject

Q2 = "Do I need any special equipment for that?"
A2 = "Not really, just a comfortable chair and maybe a warm blanket."
URL = "Order one from https://example.com/shop today."
CODE = "Run pip install blanket to get one."


def keep(*texts, max_exchanges=None):
    d = dialogue(*texts)
    return clean_prefix(d.turns, FilterConfig(), max_exchanges)


def test_clean_dialogue_is_kept_whole_without_a_trailing_question():
    assert keep(CLEAN_Q, CLEAN_A, Q2, A2).keep == 4
    v = keep(CLEAN_Q, CLEAN_A, Q2)  # unanswered last question
    assert v.keep == 2 and v.finding is None


@pytest.mark.parametrize(
    ("texts", "kept", "offending"),
    [
        ((CLEAN_Q, CLEAN_A, Q2, URL), 2, 3),  # bad assistant turn: drop its exchange
        ((CLEAN_Q, CLEAN_A, CODE, A2), 2, 2),  # bad user turn: drop from it on
        ((CLEAN_Q, CLEAN_A, Q2, A2, CODE, A2), 4, 4),
    ],
)
def test_longest_clean_prefix_ending_on_assistant(texts, kept, offending):
    v = keep(*texts)
    assert (v.keep, v.offending_turn) == (kept, offending)
    assert not v.rejected


@pytest.mark.parametrize(
    ("texts", "reason", "detail"),
    [
        ((CLEAN_Q, URL), "url", "turn 1: url 'https://example.com/shop'"),
        ((CODE, CLEAN_A, Q2, A2), "code", "turn 0: shell command 'pip install'"),
        ((CLEAN_Q, ""), "empty", "turn 1: empty text"),
        ((CLEAN_Q,), "malformed", "no complete user/assistant exchange"),
    ],
)
def test_rejected_when_no_exchange_survives(texts, reason, detail):
    v = keep(*texts)
    assert v.rejected and v.keep == 0
    assert (v.reason(), v.detail()) == (reason, detail)


def test_max_exchanges_caps_and_skips_screening_beyond_it():
    v = keep(CLEAN_Q, CLEAN_A, Q2, A2, CODE, A2, max_exchanges=2)
    assert v.keep == 4 and v.finding is None


def test_filter_dialogue_records_verdicts_in_params():
    d = dialogue(CLEAN_Q, CLEAN_A, Q2, URL, system_prompt="Be nice.", record_id="r1")
    d = d.with_params("filter", {"merged_messages": 1, "dropped_leading_assistant": 0})
    out = filter_dialogue(d)
    assert not isinstance(out, Reject)
    assert [t.source_text for t in out.turns] == [CLEAN_Q, CLEAN_A]
    assert out.system_prompt == "Be nice." and out.record_id == "r1"
    p = out.params["filter"]
    assert p["turns_in"] == 4 and p["turns_kept"] == 2
    assert p["cut"] == {
        "turn": 3,
        "reason": "url",
        "detail": "turn 3: url 'https://example.com/shop'",
    }
    assert p["merged_messages"] == 1  # what the reader recorded is kept
    assert p["language"] == "en" and p["max_words_per_turn"] == 200
    assert p["config"] == FilterConfig().digest()


def test_filter_dialogue_reject_carries_the_source_fields():
    d = dialogue(CLEAN_Q, URL, id="c-000007", source_index=7, record_id="abc")
    out = filter_dialogue(d)
    assert isinstance(out, Reject)
    assert (out.id, out.source_index, out.record_id, out.stage, out.reason) == (
        "c-000007",
        7,
        "abc",
        "filter",
        "url",
    )


def test_processor_matches_filter_dialogue_and_verdict():
    cfg = FilterConfig(max_words_per_turn=8)
    proc = FilterProcessor(cfg, seed=3)
    for texts in [(CLEAN_Q, CLEAN_A), ("Hi there", "Hello to you"), (CLEAN_Q, URL)]:
        d = dialogue(*texts)
        assert proc(d) == filter_dialogue(d, cfg)
        verdict = proc.verdict(d)
        if isinstance(verdict, Reject):
            assert verdict == proc(d)
        else:
            kept, params = verdict
            assert proc(d).turns == d.turns[:kept] and proc(d).params == params


def test_configuration_changes_the_verdicts():
    d = dialogue(CLEAN_Q, "Voici une réponse en français pour le chat et la table.")
    assert filter_dialogue(d).reason == "language"
    assert not isinstance(filter_dialogue(d, FilterConfig(language="any")), Reject)
    assert not isinstance(
        filter_dialogue(dialogue(CLEAN_Q, URL), FilterConfig(checks=["empty", "code"])), Reject
    )
