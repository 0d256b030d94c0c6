"""Word-timing validation: safe fixes applied, everything else refused with a reason."""

from __future__ import annotations

import math

import pytest

from duplexsynth.align.validate import WordTimingError, validate_words
from duplexsynth.schemas.records import Word


def W(word: str, s: float, e: float) -> Word:
    return Word(word, s, e, 0.9, "asr")


TOKENS = ["one", "two", "three"]


def test_clean_words_pass_unchanged() -> None:
    words = [W("one", 0.1, 0.3), W("two", 0.35, 0.6), W("three", 0.6, 0.9)]
    out, fixes = validate_words(words, TOKENS, 1.0)
    assert out == words
    assert not fixes


def test_small_overshoot_is_clamped_to_the_audio() -> None:
    words = [W("one", -0.05, 0.3), W("two", 0.35, 0.6), W("three", 0.6, 1.1)]
    out, fixes = validate_words(words, TOKENS, 1.0, clamp_tolerance_s=0.2)
    assert out[0].start_s == 0.0 and out[2].end_s == 1.0
    assert fixes.clamped == 2


def test_large_overshoot_is_refused() -> None:
    words = [W("one", 0.1, 0.3), W("two", 0.35, 0.6), W("three", 0.6, 1.8)]
    with pytest.raises(WordTimingError, match="outside the 1.000s audio"):
        validate_words(words, TOKENS, 1.0, clamp_tolerance_s=0.2)


def test_tiny_overlap_is_trimmed_off_the_earlier_word() -> None:
    words = [W("one", 0.1, 0.38), W("two", 0.35, 0.6), W("three", 0.6, 0.9)]
    out, fixes = validate_words(words, TOKENS, 1.0, overlap_tolerance_s=0.05)
    assert out[0].end_s == pytest.approx(0.35)
    assert fixes.trimmed == 1


def test_big_overlap_is_refused() -> None:
    words = [W("one", 0.1, 0.5), W("two", 0.35, 0.6), W("three", 0.6, 0.9)]
    with pytest.raises(WordTimingError, match="overlap by 150 ms"):
        validate_words(words, TOKENS, 1.0, overlap_tolerance_s=0.05)


def test_zero_length_word_is_widened_within_its_neighbours() -> None:
    words = [W("one", 0.1, 0.3), W("two", 0.5, 0.5), W("three", 0.6, 0.9)]
    out, fixes = validate_words(words, TOKENS, 1.0, min_word_s=0.03)
    assert out[1].end_s - out[1].start_s == pytest.approx(0.03)
    assert out[0].end_s <= out[1].start_s and out[1].end_s <= out[2].start_s
    assert fixes.widened == 1


def test_widening_uses_the_space_before_when_none_is_after() -> None:
    words = [W("one", 0.1, 0.3), W("two", 0.6, 0.6), W("three", 0.6, 0.9)]
    out, _ = validate_words(words, TOKENS, 1.0, min_word_s=0.03)
    assert out[1].start_s == pytest.approx(0.57) and out[1].end_s == pytest.approx(0.6)


def test_zero_length_word_without_free_room_borrows_from_its_neighbours() -> None:
    words = [W("one", 0.1, 0.5), W("two", 0.5, 0.5), W("three", 0.5, 0.9)]
    out, fixes = validate_words(words, TOKENS, 1.0, min_word_s=0.02)
    assert out[1].end_s - out[1].start_s == pytest.approx(0.02)
    assert out[0].end_s == out[1].start_s and out[1].end_s == out[2].start_s
    assert out[0].start_s == 0.1 and out[2].end_s == 0.9 and fixes.widened == 1


def test_run_of_zero_length_words_at_the_end_is_spread_over_borrowed_time() -> None:
    words = [W("one", 0.1, 0.5), W("two", 0.5, 0.5), W("three", 0.5, 0.5)]
    out, _ = validate_words(words, TOKENS, 0.5, min_word_s=0.02)
    assert [round(w.end_s - w.start_s, 4) for w in out[1:]] == [0.02, 0.02]
    assert out[0].end_s == pytest.approx(0.46) and out[2].end_s == pytest.approx(0.5)


def test_zero_length_word_with_nothing_to_borrow_is_refused() -> None:
    words = [W("one", 0.5, 0.5), W("two", 0.5, 0.5), W("three", 0.5, 0.5)]
    with pytest.raises(WordTimingError, match="no room to widen"):
        validate_words(words, TOKENS, 0.5, min_word_s=0.02, clamp_tolerance_s=0.0)


@pytest.mark.parametrize(
    "words, match",
    [
        ([W("one", 0.1, 0.3), W("two", 0.4, 0.6)], "2 timed words for 3 tokens"),
        ([W("one", 0.1, 0.3), W("TWO", 0.4, 0.6), W("three", 0.6, 0.9)], "text says 'two'"),
        ([W("one", 0.1, 0.3), W("two", 0.6, 0.4), W("three", 0.6, 0.9)], "ends before it starts"),
        ([W("one", 0.5, 0.6), W("two", 0.1, 0.2), W("three", 0.6, 0.9)], "before word 0"),
        ([W("one", math.nan, 0.3), W("two", 0.4, 0.6), W("three", 0.6, 0.9)], "non-finite"),
    ],
)
def test_unfixable_words_are_refused(words, match) -> None:
    with pytest.raises(WordTimingError, match=match):
        validate_words(words, TOKENS, 1.0)
