"""The sampling half: gap distributions, presets' behaviour on real speech, plan records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from duplexsynth.mix import MixConfig, mix_dialogue
from duplexsynth.mix.plan import lognormal_with_mode
from duplexsynth.mix.stats import dialogue_timing
from duplexsynth.schemas.records import KIND_BACKCHANNEL, Dialogue


def test_reply_gap_is_shaped_like_human_turn_taking() -> None:
    cfg = MixConfig()
    rng = np.random.default_rng(0)
    x = np.array(
        [
            lognormal_with_mode(rng, cfg.reply_gap_mode_s, cfg.reply_gap_sigma, cfg.reply_gap_max_s)
            for _ in range(20000)
        ]
    )
    counts, edges = np.histogram(x, bins=np.arange(0, 1.5, 0.05))
    mode = edges[np.argmax(counts)] + 0.025
    assert 0.125 <= mode <= 0.275  # mode near 200 ms
    assert np.mean(x < 0.5) > 0.85  # mostly under 500 ms
    assert x.max() <= cfg.reply_gap_max_s and x.min() > 0


def test_sigma_zero_gives_the_mode_and_keeps_the_stream_position() -> None:
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    assert lognormal_with_mode(a, 0.3, 0.0, 1.0) == 0.3
    lognormal_with_mode(b, 0.3, 0.5, 1.0)
    assert a.random() == b.random()


def _timing(d: Dialogue):
    return dialogue_timing(d.words, d.duration_s, events=d.events)


def test_presets_differ_as_specified(tea: Dialogue) -> None:
    seeds = range(4)
    omni = [
        mix_dialogue(tea, MixConfig(preset="omniflatten", interruption_prob=1.0), s) for s in seeds
    ]
    natural = [mix_dialogue(tea, MixConfig(preset="natural"), s) for s in seeds]
    lively = [mix_dialogue(tea, MixConfig(preset="lively"), s) for s in seeds]
    for d in omni:
        # no overlap at all, no backchannels, and the assistant stops the moment the user starts
        assert _timing(d).overlaps == ()
        assert not [t for t in d.turns if t.kind == KIND_BACKCHANNEL]
        cut = [t for t in d.turns if t.interrupted]
        assert cut
        for t in cut:
            user = next(u for u in d.turns if u.start_s >= t.start_s and u.speaker == "user")
            assert abs(t.cut_s - user.start_s) < 1e-3
        # immediate replies: every gap is short
        assert max(_timing(d).gaps) <= 0.25 + 1e-6
    n_bc = lambda ds: sum(t.kind == KIND_BACKCHANNEL for d in ds for t in d.turns)  # noqa: E731
    assert n_bc(lively) > n_bc(natural) > 0
    assert sum(sum(_timing(d).overlaps) for d in natural) > 0


def test_every_sampled_value_is_recorded(tea: Dialogue) -> None:
    d = mix_dialogue(tea, MixConfig(preset="lively", interruption_prob=1.0), 5)
    p = d.params["mix"]
    json.dumps(p)  # JSON-safe
    assert p["seed"] == 5 and p["config"]["preset"] == "lively"
    assert p["num_samples"] == round(d.duration_s * d.sample_rate)
    assert {"lead_silence_s", "trail_silence_s", "turns", "backchannels", "notes"} <= set(p)
    turns = p["turns"]
    assert [t["transition"] for t in turns][0] == "first"
    assert any(t["interruption"] for t in turns)
    for t in turns:
        if t["transition"] in ("reply", "user_gap"):
            assert t["gap_s"] is not None
        if t["interruption"]:
            i = t["interruption"]
            assert 0.15 <= i["reaction_delay_s"] <= 0.4
            assert i["stop_word"] >= i["onset_word"] and i["words_planned"] > i["stop_word"] + 1
    for b in p["backchannels"]:
        assert {"level_db", "gain", "onset_delay_s", "after_word", "lexicon_index"} <= set(b)
    # the dialogue's other params are kept
    assert set(d.params) >= {"mix"}


def test_long_gap_cap_and_lead_silence(tea: Dialogue) -> None:
    cfg = MixConfig(
        lead_silence_s_min=1.0,
        lead_silence_s_max=1.0,
        trail_silence_s_min=2.0,
        trail_silence_s_max=2.0,
        backchannels=False,
        interruption_prob=0.0,
    )
    d = mix_dialogue(tea, cfg, 0)
    assert d.turns[0].start_s == pytest.approx(1.0, abs=1e-4)
    assert d.duration_s == pytest.approx(max(t.end_s for t in d.turns) + 2.0, abs=1e-4)


def test_interruptions_do_not_shift_the_sampled_gaps(tea: Dialogue) -> None:
    never = mix_dialogue(tea, MixConfig(interruption_prob=0.0), 11)
    always = mix_dialogue(tea, MixConfig(interruption_prob=1.0), 11)
    gaps = lambda d: [  # noqa: E731
        (t["turn_index"], t["gap_s"])
        for t in d.params["mix"]["turns"]
        if t["transition"] == "reply"
    ]
    assert any(t.interrupted for t in always.turns) and not any(t.interrupted for t in never.turns)
    assert gaps(never) == gaps(always) and len(gaps(never)) == 2
    assert never.params["mix"]["lead_silence_s"] == always.params["mix"]["lead_silence_s"]
