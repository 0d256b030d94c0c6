"""Alignment degrades gracefully (issue 15, 8): missed words are interpolated, a turn fails only
when audio and text disagree, and the failure detail carries the measured word error rate."""

from __future__ import annotations

import pytest

from duplexsynth.align.base import AlignmentError, HeardWord
from duplexsynth.align.textmap import INTERPOLATED, map_words, word_error_rate

TEXT = "we planted tomatoes beside the fence and watered them every evening".split()


def _heard(skip: set[int]) -> list[HeardWord]:
    out, t = [], 0.1
    for i, tok in enumerate(TEXT):
        if i not in skip:
            out.append(HeardWord(tok, t, t + 0.3, 0.9))
        t += 0.35
    return out


def test_missed_words_are_interpolated_between_heard_neighbours_when_the_wer_is_low():
    heard = _heard({3, 7})  # two of eleven words missed: WER 0.18
    assert word_error_rate(TEXT, heard) == pytest.approx(2 / 11)
    words = map_words(
        TEXT, heard, duration_s=4.2, method="asr", min_heard_fraction=0.9, max_wer=0.4
    )
    assert [w.word for w in words] == TEXT
    assert [w.method for w in words].count(INTERPOLATED) == 2
    assert words[3].method == INTERPOLATED and words[3].score is None
    assert words[2].end_s <= words[3].start_s < words[3].end_s <= words[4].start_s
    with pytest.raises(AlignmentError, match="WER 0.18"):  # without the WER gate: refused
        map_words(TEXT, heard, duration_s=4.2, method="asr", min_heard_fraction=0.9)


def test_audio_that_does_not_say_the_text_still_fails_with_the_wer():
    heard = [HeardWord("completely", 0.1, 0.5, 0.9), HeardWord("different", 0.6, 1.0, 0.9)]
    with pytest.raises(AlignmentError, match=r"only \d+ of 11 words were heard, WER 1\.00"):
        map_words(TEXT, heard, duration_s=4.2, method="asr", max_wer=0.4)
