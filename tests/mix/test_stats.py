"""Realism statistics on hand-built timelines whose answers are known."""

from __future__ import annotations

import pytest

from duplexsynth.mix.stats import (
    FISHER_PER_MINUTE,
    channel_ipus,
    combine,
    dialogue_timing,
    format_summary,
    merge_intervals,
    summarize,
)
from duplexsynth.schemas.records import Event, TimelineWord


def _w(ch: int, a: float, b: float, kind: str = "turn") -> TimelineWord:
    return TimelineWord("w", a, b, ch, "assistant" if ch == 0 else "user", 0, kind)


# user (1): [1.0,2.0] [2.1,2.5] -> one IPU (0.1 s < 0.2 s); pause 0.5; [3.0,4.0]; gap 0.3;
# assistant (0): [4.3,6.0] with a user backchannel [5.0,5.4] inside (overlap 0.4);
# assistant pause 0.5 (6.0 -> 6.5, the backchannel ended earlier); [6.5,7.2];
# user [7.0,8.0] starts early (overlap 0.2); 10 s of audio.
TIMELINE = [
    _w(1, 1.0, 2.0),
    _w(1, 2.1, 2.5),
    _w(1, 3.0, 4.0),
    _w(0, 4.3, 5.0),
    _w(0, 5.05, 6.0),
    _w(1, 5.0, 5.4, "backchannel"),
    _w(0, 6.5, 7.2),
    _w(1, 7.0, 8.0),
]


def test_ipus_merge_short_silences_only() -> None:
    assert merge_intervals([(0, 1), (1.19, 2), (2.2, 3)]) == [(0, 2), (2.2, 3)]
    assert channel_ipus(TIMELINE, 0) == [(4.3, 6.0), (6.5, 7.2)]
    assert channel_ipus(TIMELINE, 1) == [(1.0, 2.5), (3.0, 4.0), (5.0, 5.4), (7.0, 8.0)]


def test_known_ipus_pauses_gaps_overlaps() -> None:
    events = [Event(5.0, "backchannel", 1, 9), Event(7.0, "interruption_onset", 1, 4)]
    s = dialogue_timing(TIMELINE, 10.0, events=events)
    assert sum(s.ipus) == pytest.approx(6.3) and len(s.ipus) == 6
    assert sorted(s.pauses) == pytest.approx([0.5, 0.5])
    assert s.gaps == pytest.approx((0.3,))
    assert sorted(s.overlaps) == pytest.approx([0.2, 0.4])
    assert (s.backchannels, s.interruptions) == (1, 1)
    # the partition of the speech region: union + pauses + gaps = first start .. last end
    assert s.speech_s + sum(s.pauses) + sum(s.gaps) == pytest.approx(8.0 - 1.0)
    summary = summarize(s)
    pm = summary["per_minute"]
    assert pm == pytest.approx({"ipu_s": 37.8, "pause_s": 6.0, "gap_s": 1.8, "overlap_s": 3.6})
    assert summary["counts_per_minute"]["gap"] == pytest.approx(6.0)
    assert summary["ratio_to_fisher"]["gap_s"] == pytest.approx(
        1.8 / FISHER_PER_MINUTE["gap_s"], abs=1e-3
    )
    assert summary["gap"]["count"] == 1 and summary["gap"]["mean_s"] == pytest.approx(0.3)


def test_simultaneous_ends_resume_by_either_speaker_is_a_pause() -> None:
    words = [_w(0, 0.0, 1.0), _w(1, 0.5, 1.0), _w(0, 1.5, 2.0), _w(1, 2.6, 3.0)]
    s = dialogue_timing(words, 3.0)
    assert s.pauses == pytest.approx((0.5,))  # both ended at 1.0, channel 0 resumed
    assert s.gaps == pytest.approx((0.6,))  # 0 ended at 2.0, 1 started at 2.6
    assert s.overlaps == pytest.approx((0.5,))


def test_turn_based_cascade_has_no_overlap_and_no_pause() -> None:
    words = [_w(1, 0.0, 1.0), _w(0, 1.2, 3.0), _w(1, 3.4, 4.0), _w(0, 4.2, 6.0)]
    s = dialogue_timing(words, 6.0)
    assert s.overlaps == () and s.pauses == ()
    assert sorted(s.gaps) == pytest.approx([0.2, 0.2, 0.4])


def test_pooling_and_distribution_figures() -> None:
    a = dialogue_timing(TIMELINE, 10.0)
    b = dialogue_timing([_w(1, 0.0, 1.0), _w(0, 1.25, 2.0)], 50.0)
    pooled = combine([a, b])
    assert pooled.dialogues == 2 and pooled.duration_s == 60.0
    summary = summarize(pooled)
    assert summary["per_minute"]["gap_s"] == pytest.approx(0.55)
    gap = summary["gap"]
    assert gap["count"] == 2 and gap["median_s"] == pytest.approx(0.275)
    assert gap["share_under_0_5_s"] == 1.0 and sum(gap["histogram"]["counts"]) == 2
    assert summary["overlap_share_of_speech"] == pytest.approx(0.6 / (6.3 + 1.75), abs=1e-4)
    text = format_summary(summary)
    assert "gap s" in text and "4.2" in text and "3.3" in text


def test_empty_input_gives_no_figures_rather_than_crashing() -> None:
    summary = summarize(combine([]))
    assert summary["dialogues"] == 0 and summary["per_minute"]["gap_s"] is None
    assert summary["gap"]["count"] == 0
    assert "n/a" in format_summary(summary)
