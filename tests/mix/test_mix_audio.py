"""The mix on real Piper speech: placement, words, interruptions, stop commands, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from schedule_helpers import SR, decoded_mix, make_dialogue, seg_rms

from duplexsynth.audio import decode_audio
from duplexsynth.mix import MixConfig, mix_dialogue
from duplexsynth.schemas.records import (
    ASSISTANT,
    CHANNEL_OF,
    KIND_BACKCHANNEL,
    KIND_TURN,
    USER,
    Dialogue,
    Reject,
)

#: interruptions always, so every property below is exercised on every seed
CUT = MixConfig(interruption_prob=1.0, stop_command_prob=0.0)
CUT_WITH_STOP = MixConfig(interruption_prob=1.0, stop_command_prob=1.0)
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def mixes(tea: Dialogue) -> dict[tuple[str, int], Dialogue]:
    out = {}
    for seed in SEEDS:
        for name, cfg in (
            ("natural", MixConfig()),
            ("cut", CUT),
            ("stop", CUT_WITH_STOP),
            ("lively", MixConfig(preset="lively")),
        ):
            out[(name, seed)] = mix_dialogue(tea, cfg, seed)
    return out


def _main_turns(d: Dialogue):
    return [t for t in d.turns if t.kind == KIND_TURN]


def test_output_contract_fields(mixes) -> None:
    for d in mixes.values():
        assert isinstance(d, Dialogue)
        stereo = decoded_mix(d)
        assert d.sample_rate == SR
        assert stereo.shape[0] == round(d.duration_s * SR)
        assert d.words == tuple(sorted(d.words, key=lambda w: w.start_s))
        for t in d.turns:
            assert t.channel == CHANNEL_OF[t.speaker]
            assert t.kind in (KIND_TURN, KIND_BACKCHANNEL)
            assert 0 <= t.start_s < t.end_s <= d.duration_s
            assert isinstance(t.interrupted, bool) and isinstance(t.stop_command, bool)
        assert d.params["mix"]["config"]["preset"] in ("natural", "lively")
        assert d.params["mix"]["turns"] and "lead_silence_s" in d.params["mix"]


def test_sample_exact_placement(tea: Dialogue, mixes) -> None:
    """Each uncut turn's audio (as the mixed turn carries it: paced, when its pauses were set)
    is on its channel sample for sample at the planned offset."""
    for d in mixes.values():
        stereo = decoded_mix(d)
        plan = {p["turn_index"]: p for p in d.params["mix"]["turns"]}
        for t in _main_turns(d):
            audio, _ = decode_audio(t.audio.bytes)
            # the offset follows from the public fields: first word on the timeline - in the clip
            first_word = t.words[0].start_s
            offset = plan[t.turn_index]["offset_samples"]
            if not t.stop_command:
                assert abs(offset - round((t.start_s - first_word) * SR)) <= 1
            ch = stereo[:, t.channel]
            n = plan[t.turn_index]["length_samples"]
            fade = plan[t.turn_index]["fade_samples"]
            exact = n - fade
            np.testing.assert_array_equal(ch[offset : offset + exact], audio[:exact])
            # one sample off does not match: the placement really is sample-exact
            assert not np.array_equal(ch[offset + 1 : offset + 1 + exact], audio[:exact])
            if not t.interrupted:
                assert n == audio.shape[0]


def test_every_word_lies_in_speech_on_its_channel(tea: Dialogue, mixes) -> None:
    """Energy check: every timeline word sits on speech of its own channel (+-40 ms for the
    TTS's own alignment slack), and carries the energy its turn's clip (as paced) has there."""
    for d in mixes.values():
        clips = {t.turn_index: decode_audio(t.audio.bytes)[0] for t in _main_turns(d)}
        stereo = decoded_mix(d)
        level = {ch: seg_rms(stereo[:, ch], 0, d.duration_s, SR) for ch in (0, 1)}
        by_index = {t.turn_index: t for t in d.turns}
        for w in d.words:
            assert w.end_s > w.start_s
            assert w.channel == CHANNEL_OF[w.speaker]
            r = seg_rms(stereo[:, w.channel], w.start_s - 0.04, w.end_s + 0.04, SR)
            assert r > 0.1 * level[w.channel], (w, r, level)
            t = by_index[w.turn_index]
            if w.kind != KIND_TURN or t.stop_command or t.interrupted:
                continue
            src = next(
                x
                for x in t.words
                if x.word == w.word
                and abs(x.start_s - (w.start_s - t.start_s + t.words[0].start_s)) < 1e-3
            )
            ref = seg_rms(clips[w.turn_index], src.start_s, src.end_s, SR)
            assert (
                abs(seg_rms(stereo[:, w.channel], w.start_s, w.end_s, SR) - ref)
                <= 0.05 * ref + 1e-4
            )


def test_interrupted_assistant_is_silent_after_the_cut(tea: Dialogue, mixes) -> None:
    cuts = 0
    for (name, _), d in mixes.items():
        if name not in ("cut", "stop"):
            continue
        stereo = decoded_mix(d)
        turns = _main_turns(d)
        for n, t in enumerate(turns):
            if not t.interrupted:
                continue
            cuts += 1
            assert t.speaker == ASSISTANT and t.cut_s == t.end_s
            nxt = turns[n + 1]
            assert nxt.speaker == USER
            # the user starts while the assistant talks; the assistant stops after it
            assert t.start_s < nxt.start_s <= t.cut_s
            assert t.cut_s - nxt.start_s >= 0.15 - 1e-3  # natural reaction delay >= 150 ms
            # exact silence on the assistant channel from the cut to its next clip
            a = round(t.cut_s * SR)
            later = [u.start_s for u in d.turns if u.channel == 0 and u.start_s > t.cut_s]
            b = round((min(later) - 0.3) * SR) if later else stereo.shape[0]
            assert b > a
            assert np.all(stereo[a:b, 0] == 0.0)
            # the fade: the last 2 ms before the cut are much quieter than the word
            assert seg_rms(stereo[:, 0], t.cut_s - 0.002, t.cut_s, SR) < 0.5 * seg_rms(
                stereo[:, 0], t.cut_s - 0.2, t.cut_s - 0.05, SR
            )
            # words: none after the cut; text = what was said; full text kept
            tw = [w for w in d.words if w.turn_index == t.turn_index and w.kind == KIND_TURN]
            assert tw and max(w.end_s for w in tw) <= t.cut_s + 1e-6
            assert abs(tw[-1].end_s - t.cut_s) < 1e-4  # cut at the end of a word
            src = tea.turns[t.turn_index]
            assert len(tw) == len(t.words) < len(src.words)
            assert t.text.split() == src.spoken_text.split()[: len(tw)]
            assert t.spoken_text == src.spoken_text
            kinds = {(e.kind, e.turn_index) for e in d.events}
            assert ("assistant_stop", t.turn_index) in kinds
            assert ("interruption_onset", nxt.turn_index) in kinds
    assert cuts >= 4


def test_stop_command_opens_the_interrupting_turn(mixes) -> None:
    found = 0
    for (name, _), d in mixes.items():
        if name != "stop":
            continue
        for t in _main_turns(d):
            if not t.stop_command:
                continue
            found += 1
            opener = d.params["mix"]["turns"][t.turn_index]["opener"]
            assert opener["text"] in ("hold on", "wait, stop")
            assert t.text.startswith(opener["text"] + " ")
            tw = [w.word for w in d.words if w.turn_index == t.turn_index]
            assert tw[: len(opener["text"].split())] == opener["text"].split()
            assert any(e.kind == "stop_command" and e.turn_index == t.turn_index for e in d.events)
    assert found >= 2
    # stop-command tokens are never used as backchannels
    for d in mixes.values():
        for t in d.turns:
            if t.kind == KIND_BACKCHANNEL:
                assert t.text not in ("hold on", "wait, stop")


def test_backchannel_placement_and_level(mixes) -> None:
    placed = 0
    for (name, _), d in mixes.items():
        cfg = MixConfig(preset="lively") if name == "lively" else MixConfig()
        stereo = decoded_mix(d)
        by_index = {t.turn_index: t for t in d.turns}
        for bp in d.params["mix"]["backchannels"]:
            placed += 1
            t = by_index[bp["turn_index"]]
            host = by_index[bp["during_turn"]]
            assert t.kind == KIND_BACKCHANNEL and t.speaker != host.speaker
            assert t.channel == CHANNEL_OF[t.speaker]
            # during the host turn, just after one of its word boundaries
            assert host.start_s < t.start_s < host.end_s
            hw = [w for w in d.words if w.turn_index == host.turn_index and w.kind == KIND_TURN]
            if host.stop_command:  # the opener's words come first on the timeline
                opener = d.params["mix"]["turns"][host.turn_index]["opener"]["text"]
                hw = hw[len(opener.split()) :]
            boundary = hw[bp["after_word"]].end_s
            assert abs(t.start_s - (boundary + bp["onset_delay_s"])) < 1e-3
            assert cfg.backchannel_onset_s_min - 1e-6 <= bp["onset_delay_s"]
            assert bp["onset_delay_s"] <= cfg.backchannel_onset_s_max + 1e-6
            # level measured on the audio: backchannel speech RMS vs the host's speech RMS
            bw = [w for w in d.words if w.turn_index == t.turn_index]
            assert [w.kind for w in bw] == [KIND_BACKCHANNEL] * len(bw)
            bc = _words_rms(stereo[:, t.channel], bw)
            host_rms = _words_rms(stereo[:, host.channel], hw)
            level_db = 20 * np.log10(bc / host_rms)
            # (the reference is the host's whole planned turn: a cut host said only part of it)
            tol = 1.5 if host.interrupted else 0.3
            assert abs(level_db - bp["applied_level_db"]) < tol
            assert cfg.backchannel_level_db_min - tol <= level_db
            assert level_db <= cfg.backchannel_level_db_max + tol
            # never on top of another clip of the listener's channel
            for u in d.turns:
                if u is not t and u.channel == t.channel:
                    assert u.end_s <= t.start_s or u.start_s >= t.end_s
    assert placed >= 5


def _words_rms(x: np.ndarray, words) -> float:
    parts = [x[round(w.start_s * SR) : round(w.end_s * SR)] for w in words]
    seg = np.concatenate(parts).astype(np.float64)
    return float(np.sqrt(np.mean(seg * seg)))


def test_overlapping_replies_leave_the_users_last_word_clear(tea: Dialogue) -> None:
    cfg = MixConfig(reply_overlap_prob=1.0, interruption_prob=0.0, backchannels=False)
    overlaps = 0
    for seed in range(4):
        d = mix_dialogue(tea, cfg, seed)
        turns = _main_turns(d)
        for prev, cur in zip(turns, turns[1:]):
            if prev.speaker == USER and cur.speaker == ASSISTANT:
                last = [w for w in d.words if w.turn_index == prev.turn_index][-1]
                assert cur.start_s < prev.end_s  # an early start
                assert prev.end_s - cur.start_s <= cfg.reply_overlap_s_max + 1e-4
                assert cur.start_s >= last.start_s  # never before the last word began
                overlaps += 1
    assert overlaps == 8


def test_same_seed_same_bytes_other_seed_other_timing(tea: Dialogue) -> None:
    a = mix_dialogue(tea, MixConfig(preset="lively"), 7)
    b = mix_dialogue(tea, MixConfig(preset="lively"), 7)
    c = mix_dialogue(tea, MixConfig(preset="lively"), 8)
    assert a.audio.bytes == b.audio.bytes
    assert a.to_row() == b.to_row()
    assert a.audio.bytes != c.audio.bytes


def test_switching_backchannels_off_keeps_the_turn_timing(tea: Dialogue) -> None:
    on = mix_dialogue(tea, MixConfig(preset="lively"), 3)
    off = mix_dialogue(tea, MixConfig(preset="lively", backchannels=False), 3)
    assert [(t.start_s, t.end_s) for t in _main_turns(on)] == [
        (t.start_s, t.end_s) for t in _main_turns(off)
    ]
    assert not [t for t in off.turns if t.kind == KIND_BACKCHANNEL]
    assert [t for t in on.turns if t.kind == KIND_BACKCHANNEL]


def test_resamples_to_the_requested_rate(say) -> None:
    d = make_dialogue(say, "tea-22k", sr=22050)
    out = mix_dialogue(d, MixConfig(sample_rate_hz=24000), 1)
    assert out.sample_rate == 24000
    assert decoded_mix(out).shape[0] == round(out.duration_s * 24000)
    assert mix_dialogue(d, MixConfig(), 1).sample_rate == 22050


def test_without_a_lexicon_no_backchannels_and_a_note(say) -> None:
    d = make_dialogue(say, "tea-nolex", user_tokens=(), assistant_tokens=())
    out = mix_dialogue(d, MixConfig(preset="lively", interruption_prob=1.0), 0)
    assert not [t for t in out.turns if t.kind == KIND_BACKCHANNEL]
    assert not any(t.stop_command for t in out.turns)
    notes = " ".join(out.params["mix"]["notes"])
    assert "no user backchannel lexicon" in notes and "no assistant backchannel lexicon" in notes


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d.replace(turns=d.turns[1:]), "start with the user"),
        (lambda d: d.replace(turns=(d.turns[0].replace(words=None),) + d.turns[1:]), "no word"),
        (lambda d: d.replace(turns=(d.turns[0].replace(audio=None),) + d.turns[1:]), "no audio"),
        (lambda d: d.replace(turns=()), "no turns"),
    ],
)
def test_bad_input_is_rejected_with_the_id(tea: Dialogue, change, needle: str) -> None:
    out = mix_dialogue(change(tea), MixConfig(), 0)
    assert isinstance(out, Reject)
    assert out.reason == "bad_input" and out.stage == "mix"
    assert tea.id in out.detail and needle in out.detail
