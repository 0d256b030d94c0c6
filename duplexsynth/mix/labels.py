"""Frame-level activity/state labels and point events on the stereo timeline.

Both are computed from the mixed turns and timeline words only (never from the plan), so any
row with ``turns[].start_s/end_s/kind`` and ``words`` can be relabelled.

*Activity* (per channel, per frame): 1 when the channel's IPUs (words merged across silences
shorter than ``min_silence_s``, 0.2 s by default) cover at least half of the frame.

*State* (per channel, per frame, decided at the frame centre, first match wins):

===============  ====================================================================
``interrupted``  the assistant between the user's interruption onset and its own stop
``interrupting`` the user between its interruption onset and the assistant's stop
``speaking``     inside one of the channel's own turns (first word .. last word)
``backchannel``  inside one of the channel's own backchannels
``listening``    the other channel is inside one of its turns
``silent``       nobody holds a turn (gaps, pauses between turns, lead/trail silence)
===============  ====================================================================

*Events*: ``turn_start``/``turn_end`` of every turn (``turn_end`` of an interrupted turn is
its cut), ``backchannel`` at each backchannel's first word, ``interruption_onset`` on the user
channel where the user cuts in, ``assistant_stop`` where the interrupted assistant stops, and
``stop_command`` where an interrupting turn opens with a spoken stop command.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from duplexsynth.mix.stats import channel_ipus
from duplexsynth.schemas.records import (
    ASSISTANT,
    CHANNEL_OF,
    KIND_BACKCHANNEL,
    USER,
    Event,
    FrameLabels,
    TimelineWord,
    Turn,
)

STATE_NAMES: tuple[str, ...] = (
    "silent",
    "listening",
    "speaking",
    "backchannel",
    "interrupting",
    "interrupted",
)
SILENT, LISTENING, SPEAKING, BACKCHANNEL, INTERRUPTING, INTERRUPTED = range(len(STATE_NAMES))

EVENT_KINDS: tuple[str, ...] = (
    "turn_end",
    "assistant_stop",
    "turn_start",
    "interruption_onset",
    "stop_command",
    "backchannel",
)
_EVENT_ORDER = {k: i for i, k in enumerate(EVENT_KINDS)}


def interruption_windows(turns: Sequence[Turn]) -> list[tuple[float, float, int, int]]:
    """``(onset_s, cut_s, assistant turn_index, user turn_index)`` per interruption.

    The interrupting turn is the next user turn after the interrupted one (list order).
    """
    main = [t for t in turns if t.kind != KIND_BACKCHANNEL]
    out = []
    for n, t in enumerate(main):
        if not t.interrupted or t.cut_s is None:
            continue
        nxt = next((u for u in main[n + 1 :] if u.speaker != t.speaker), None)
        if nxt is None or nxt.start_s is None:
            continue
        out.append((float(nxt.start_s), float(t.cut_s), t.turn_index, nxt.turn_index))
    return out


def build_events(turns: Sequence[Turn]) -> tuple[Event, ...]:
    """All point events of a mixed dialogue, sorted by time (then a fixed kind order)."""
    events: list[Event] = []
    for t in turns:
        ch = CHANNEL_OF[t.speaker] if t.channel is None else int(t.channel)
        if t.start_s is None or t.end_s is None:
            continue
        if t.kind == KIND_BACKCHANNEL:
            events.append(Event(float(t.start_s), "backchannel", ch, t.turn_index))
            continue
        events.append(Event(float(t.start_s), "turn_start", ch, t.turn_index))
        events.append(Event(float(t.end_s), "turn_end", ch, t.turn_index))
        if t.stop_command:
            events.append(Event(float(t.start_s), "stop_command", ch, t.turn_index))
    for onset, cut, a_index, u_index in interruption_windows(turns):
        events.append(Event(onset, "interruption_onset", CHANNEL_OF[USER], u_index))
        events.append(Event(cut, "assistant_stop", CHANNEL_OF[ASSISTANT], a_index))
    events.sort(key=lambda e: (e.time_s, _EVENT_ORDER.get(e.kind, 99), e.channel, e.turn_index))
    return tuple(events)


def num_frames(duration_s: float, frame_rate_hz: float) -> int:
    """Frames needed to cover ``duration_s`` (the last one may be partial)."""
    return int(math.ceil(duration_s * frame_rate_hz - 1e-9))


def _coverage(intervals: Sequence[tuple[float, float]], n: int, rate: float) -> np.ndarray:
    """Fraction of each frame covered by ``intervals`` (assumed disjoint)."""
    cov = np.zeros(n, dtype=np.float64)
    for a, b in intervals:
        fa, fb = a * rate, b * rate  # in frame units
        i0, i1 = max(0, int(math.floor(fa))), min(n - 1, int(math.ceil(fb)) - 1)
        if i1 < i0:
            continue
        idx = np.arange(i0, i1 + 1)
        cov[i0 : i1 + 1] += np.clip(np.minimum(idx + 1, fb) - np.maximum(idx, fa), 0.0, 1.0)
    return cov


def _within(centres: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    mask = np.zeros(centres.shape[0], dtype=bool)
    for a, b in spans:
        mask |= (centres >= a) & (centres < b)
    return mask


def frame_labels(
    turns: Sequence[Turn],
    words: Sequence[TimelineWord],
    duration_s: float,
    frame_rate_hz: float = 12.5,
    min_silence_s: float = 0.2,
) -> FrameLabels:
    """Per-channel activity and state labels at ``frame_rate_hz`` (see the module docstring)."""
    n = num_frames(duration_s, frame_rate_hz)
    centres = (np.arange(n, dtype=np.float64) + 0.5) / frame_rate_hz
    activity = {}
    for speaker in (ASSISTANT, USER):
        ch = CHANNEL_OF[speaker]
        cov = _coverage(channel_ipus(words, ch, min_silence_s), n, frame_rate_hz)
        activity[ch] = (cov >= 0.5 - 1e-9).astype(np.int8)

    def spans(ch: int, backchannel: bool) -> list[tuple[float, float]]:
        return [
            (float(t.start_s), float(t.end_s))
            for t in turns
            if t.start_s is not None
            and (CHANNEL_OF[t.speaker] if t.channel is None else t.channel) == ch
            and (t.kind == KIND_BACKCHANNEL) == backchannel
        ]

    windows = [(onset, cut) for onset, cut, _, _ in interruption_windows(turns)]
    in_window = _within(centres, windows)
    states = {}
    for ch in (0, 1):
        own = _within(centres, spans(ch, False))
        other = _within(centres, spans(1 - ch, False))
        bc = _within(centres, spans(ch, True))
        s = np.full(n, SILENT, dtype=np.int8)
        s[other] = LISTENING
        s[bc] = BACKCHANNEL
        s[own] = SPEAKING
        s[in_window] = INTERRUPTED if ch == CHANNEL_OF[ASSISTANT] else INTERRUPTING
        states[ch] = s
    a, u = CHANNEL_OF[ASSISTANT], CHANNEL_OF[USER]
    return FrameLabels(
        frame_rate_hz=float(frame_rate_hz),
        num_frames=n,
        activity_assistant=tuple(int(x) for x in activity[a]),
        activity_user=tuple(int(x) for x in activity[u]),
        state_assistant=tuple(int(x) for x in states[a]),
        state_user=tuple(int(x) for x in states[u]),
        state_names=STATE_NAMES,
    )
