"""Frame labels and events: hand-built timelines and real mixed speech."""

from __future__ import annotations

import numpy as np
from schedule_helpers import SR, decoded_mix

from duplexsynth.mix import MixConfig, mix_dialogue
from duplexsynth.mix.labels import STATE_NAMES, build_events, frame_labels, num_frames
from duplexsynth.schemas.records import Dialogue, TimelineWord, Turn

S = {name: i for i, name in enumerate(STATE_NAMES)}


def _turn(i, speaker, a, b, kind="turn", interrupted=False, cut=None, stop=False) -> Turn:
    return Turn(
        i,
        speaker,
        None,
        start_s=a,
        end_s=b,
        channel=0 if speaker == "assistant" else 1,
        kind=kind,
        interrupted=interrupted,
        cut_s=cut,
        stop_command=stop,
    )


def test_states_activity_and_events_on_a_known_timeline() -> None:
    # user 0.0-2.0; assistant 2.4-6.0 cut by the user at 5.0 (stop command), assistant stops 5.4;
    # user 5.0-7.0; an assistant backchannel 6.0-6.4 inside the user's turn
    turns = [
        _turn(0, "user", 0.0, 2.0),
        _turn(1, "assistant", 2.4, 5.4, interrupted=True, cut=5.4),
        _turn(2, "user", 5.0, 7.0, stop=True),
        _turn(3, "assistant", 6.0, 6.4, kind="backchannel"),
    ]
    words = [
        TimelineWord("a", 0.0, 0.9, 1, "user", 0),
        TimelineWord("b", 1.0, 2.0, 1, "user", 0),  # 0.1 s silence: same IPU
        TimelineWord("c", 2.4, 5.4, 0, "assistant", 1),
        TimelineWord("d", 5.0, 7.0, 1, "user", 2),
        TimelineWord("mm", 6.0, 6.4, 0, "assistant", 3, "backchannel"),
    ]
    lab = frame_labels(turns, words, 8.0, 12.5)
    assert lab.num_frames == num_frames(8.0, 12.5) == 100
    frame = lambda t: int(t * 12.5)  # noqa: E731
    a, u = np.array(lab.state_assistant), np.array(lab.state_user)
    assert u[frame(1.0)] == S["speaking"] and a[frame(1.0)] == S["listening"]
    assert u[frame(2.2)] == S["silent"] and a[frame(2.2)] == S["silent"]  # the gap
    assert a[frame(3.0)] == S["speaking"] and u[frame(3.0)] == S["listening"]
    assert a[frame(5.2)] == S["interrupted"] and u[frame(5.2)] == S["interrupting"]
    assert a[frame(6.2)] == S["backchannel"] and u[frame(6.2)] == S["speaking"]
    assert a[frame(7.5)] == S["silent"] and u[frame(7.5)] == S["silent"]
    act_u, act_a = np.array(lab.activity_user), np.array(lab.activity_assistant)
    assert act_u[frame(0.95)] == 1  # bridged 0.1 s silence inside an IPU
    assert act_u[frame(2.2)] == 0 and act_a[frame(2.2)] == 0
    assert act_a[frame(6.2)] == 1 and act_a[frame(5.6)] == 0

    events = build_events(turns)
    kinds = [(e.time_s, e.kind, e.channel, e.turn_index) for e in events]
    assert kinds == [
        (0.0, "turn_start", 1, 0),
        (2.0, "turn_end", 1, 0),
        (2.4, "turn_start", 0, 1),
        (5.0, "turn_start", 1, 2),
        (5.0, "interruption_onset", 1, 2),
        (5.0, "stop_command", 1, 2),
        (5.4, "turn_end", 0, 1),
        (5.4, "assistant_stop", 0, 1),
        (6.0, "backchannel", 0, 3),
        (7.0, "turn_end", 1, 2),
    ]


def test_labels_match_the_mixed_audio(tea: Dialogue) -> None:
    frame_s = 1 / 12.5
    for seed in range(3):
        d = mix_dialogue(tea, MixConfig(preset="lively", interruption_prob=1.0), seed)
        lab = d.labels
        stereo = decoded_mix(d)
        assert lab.num_frames == num_frames(d.duration_s, 12.5)
        assert lab.state_names == STATE_NAMES
        for ch, act, state in (
            (0, lab.activity_assistant, lab.state_assistant),
            (1, lab.activity_user, lab.state_user),
        ):
            act = np.array(act)
            n = lab.num_frames
            x = stereo[:, ch]
            rms = np.array(
                [
                    np.sqrt(np.mean(x[int(i * frame_s * SR) : int((i + 1) * frame_s * SR)] ** 2))
                    for i in range(n)
                ]
            )
            loud = rms > 0.02 * rms.max()  # -34 dB: TTS silence is far below
            # active frames carry speech (a few bridged short silences aside) ...
            assert np.mean(loud[act == 1]) > 0.8
            # ... and loud frames are active, but for the TTS alignment's edge slack
            inactive = (act == 0) & (np.convolve(act, [1, 1, 1], "same") == 0)
            assert np.mean(loud[inactive]) < 0.02
            assert np.mean(loud[act == 0]) < 0.1
            # frames inside the channel's own turns are "speaking"-like, never silent/listening
            for t in d.turns:
                if t.channel != ch:
                    continue
                inside = state[int(t.start_s * 12.5) + 1 : int(t.end_s * 12.5) - 1]
                allowed = (
                    {S["backchannel"]}
                    if t.kind == "backchannel"
                    else {S["speaking"], S["interrupted"], S["interrupting"]}
                )
                assert set(inside) <= allowed | {S["interrupted"], S["interrupting"]}
            # only the assistant is ever "interrupted", only the user "interrupting"
            assert (S["interrupting"] in state) == (ch == 1 and S["interrupting"] in state)
            assert (S["interrupted"] in state) == (ch == 0 and S["interrupted"] in state)
        assert S["interrupted"] in lab.state_assistant
        onsets = [e for e in d.events if e.kind == "interruption_onset"]
        stops = [e for e in d.events if e.kind == "assistant_stop"]
        cut = [t for t in d.turns if t.interrupted]
        assert len(onsets) == len(stops) == len(cut) >= 1
        assert stops[0].time_s == cut[0].cut_s
        starts = sorted(t.start_s for t in d.turns if t.kind == "turn")
        assert sorted(e.time_s for e in d.events if e.kind == "turn_start") == starts
        assert [e.time_s for e in d.events] == sorted(e.time_s for e in d.events)
