"""The text-mapping logic: recognised words onto the known tokens, case by case."""

from __future__ import annotations

import pytest

from duplexsynth.align.base import AlignmentError, HeardWord
from duplexsynth.align.textmap import (
    INTERPOLATED,
    interpolate,
    interpolate_all,
    map_words,
    match_tokens,
    normalize_token,
    spell_number,
)


def heard(*items: tuple[str, float, float]) -> list[HeardWord]:
    return [HeardWord(t, s, e, 0.9) for t, s, e in items]


@pytest.mark.parametrize(
    "token, expected",
    [
        ("Hello,", "hello"),
        ("DON'T", "dont"),
        ("forty-two", "fortytwo"),
        ("42", "fortytwo"),
        ("1,000", "onethousand"),
        ("1990", "nineteenninety"),
        ("2000", "twothousand"),
        ("3.5", "threepointfive"),
        ("3rd", "third"),
        ("3:30", "threethirty"),
        ("50%", "fiftypercent"),
        ("R&D", "randd"),
        ("mm-hmm.", "mmhmm"),
        ("—", ""),
    ],
)
def test_normalize_token(token: str, expected: str) -> None:
    assert normalize_token(token) == expected


def test_spell_number_falls_back_to_digits_for_unknown_language() -> None:
    assert spell_number("12", language="xx") == "12"


# Each case: known text, heard words (text, start, end), expected (token -> (start, end) or
# "interp"). Times are chosen so that a wrong mapping gives a visibly different span.
CASES = {
    "exact": (
        "hello there friend",
        [("Hello", 0.1, 0.4), ("there", 0.5, 0.8), ("friend.", 0.9, 1.3)],
        {0: (0.1, 0.4), 1: (0.5, 0.8), 2: (0.9, 1.3)},
    ),
    "insertion": (
        "I like tea",
        [("I", 0.0, 0.2), ("really", 0.2, 0.6), ("like", 0.6, 0.9), ("tea", 0.9, 1.2)],
        {0: (0.0, 0.2), 1: (0.6, 0.9), 2: (0.9, 1.2)},
    ),
    "deletion": (
        "please pass the salt now",
        [("please", 0.0, 0.4), ("pass", 0.4, 0.7), ("salt", 1.0, 1.4), ("now", 1.4, 1.7)],
        {0: (0.0, 0.4), 1: (0.4, 0.7), 2: "interp", 3: (1.0, 1.4), 4: (1.4, 1.7)},
    ),
    "substitution": (
        "my name is Kumo",
        [("My", 0.0, 0.2), ("name", 0.2, 0.5), ("is", 0.5, 0.6), ("Como.", 0.6, 1.1)],
        {0: (0.0, 0.2), 1: (0.2, 0.5), 2: (0.5, 0.6), 3: (0.6, 1.1)},
    ),
    "number heard as digits": (
        "about forty-two people",
        [("About", 0.0, 0.3), ("42", 0.3, 0.8), ("people.", 0.8, 1.2)],
        {0: (0.0, 0.3), 1: (0.3, 0.8), 2: (0.8, 1.2)},
    ),
    "digits spoken as several words": (
        "we need 42 chairs",
        [
            ("We", 0.0, 0.2),
            ("need", 0.2, 0.5),
            ("forty", 0.5, 0.8),
            ("two", 0.8, 1.0),
            ("chairs", 1.0, 1.5),
        ],
        {0: (0.0, 0.2), 1: (0.2, 0.5), 2: (0.5, 1.0), 3: (1.0, 1.5)},
    ),
    "one token heard as several": (
        "every everyday thing",
        [("every", 0.0, 0.3), ("every", 0.3, 0.55), ("day", 0.55, 0.8), ("thing", 0.8, 1.1)],
        {0: (0.0, 0.3), 1: (0.3, 0.8), 2: (0.8, 1.1)},
    ),
    "several tokens heard as one": (
        "it is a high score",
        [("It", 0.0, 0.1), ("is", 0.1, 0.2), ("a", 0.2, 0.3), ("highscore", 0.3, 1.0)],
        {0: (0.0, 0.1), 1: (0.1, 0.2), 2: (0.2, 0.3), 3: ("<", 0.3, 0.7), 4: (">", 0.6, 1.0)},
    ),
    "punctuation and case": (
        "Well, OK... fine!",
        [(" well", 0.0, 0.3), (" ok", 0.3, 0.6), (" Fine", 0.6, 1.0)],
        {0: (0.0, 0.3), 1: (0.3, 0.6), 2: (0.6, 1.0)},
    ),
    "time heard split": (
        "at 3:30 today",
        [("at", 0.0, 0.2), ("3", 0.2, 0.4), ("30", 0.4, 0.8), ("today", 0.8, 1.2)],
        {0: (0.0, 0.2), 1: (0.2, 0.8), 2: (0.8, 1.2)},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_mapping_cases(name: str) -> None:
    text, items, expected = CASES[name]
    tokens = text.split()
    words = map_words(tokens, heard(*items), duration_s=2.0, method="asr")
    assert [w.word for w in words] == tokens
    for k, want in expected.items():
        w = words[k]
        if want == "interp":
            assert w.method == INTERPOLATED and w.score is None
            assert words[k - 1].end_s <= w.start_s < w.end_s <= words[k + 1].start_s
        elif want[0] in ("<", ">"):  # shares a heard word: inside it, on the right side
            _, lo, hi = want
            assert lo - 1e-6 <= w.start_s < w.end_s <= hi + 1e-6, (name, k, w)
            assert w.method == "asr"
        else:
            assert (w.start_s, w.end_s) == pytest.approx(want, abs=1e-3), (name, k, w)
            assert w.method == "asr" and w.score is not None


def test_shared_heard_word_is_split_in_order() -> None:
    words = map_words(["forty", "two"], heard(("42", 1.0, 2.0)), duration_s=3.0, method="asr")
    assert words[0].start_s == pytest.approx(1.0)
    assert words[0].end_s <= words[1].start_s + 1e-9
    assert words[1].end_s == pytest.approx(2.0)
    assert 1.3 < words[0].end_s < 1.8  # "forty" has 5 of the 8 letters


def test_scores_fall_with_poor_letter_matches() -> None:
    good = match_tokens(["weather"], heard(("weather", 0, 1)))[0]
    poor = match_tokens(["weather"], heard(("whether", 0, 1)))[0]
    assert good is not None and poor is not None
    assert poor.score < good.score


def test_too_few_heard_words_is_an_alignment_error() -> None:
    with pytest.raises(AlignmentError, match="1 of 4 words were heard"):
        map_words(
            "the quick brown fox".split(),
            heard(("zzz", 0, 1), ("fox", 1, 2)),
            duration_s=3.0,
            method="asr",
        )


def test_nothing_heard_is_an_alignment_error() -> None:
    with pytest.raises(AlignmentError):
        map_words(["hello"], [], duration_s=1.0, method="asr")


def test_interpolation_at_the_edges_stays_inside_the_voiced_span() -> None:
    words = map_words(
        "oh hello there".split(),
        heard(("hello", 1.0, 1.4), ("there", 1.4, 1.8)),
        duration_s=3.0,
        method="asr",
        voiced=(0.8, 1.9),
    )
    first = words[0]
    assert first.method == INTERPOLATED
    assert 0.8 <= first.start_s < first.end_s <= 1.0


def test_interpolation_borrows_from_neighbours_when_there_is_no_gap() -> None:
    spans = interpolate(
        [None, None, None],
        [2, 2, 2],
        duration_s=1.0,
    )
    assert all(i for _, _, i in spans)
    matched = match_tokens(["a", "bb", "c"], heard(("a", 0.0, 0.5), ("c", 0.5, 1.0)))
    placed = interpolate(matched, [1, 2, 1], duration_s=1.0)
    (s0, e0, i0), (s1, e1, i1), (s2, e2, i2) = placed
    assert i1 and not i0 and not i2
    assert e0 <= s1 < e1 <= s2  # the unheard middle word got room from both neighbours
    assert e1 - s1 >= 0.05 - 1e-9


def test_interpolate_all_spreads_over_the_voiced_span() -> None:
    words = interpolate_all(["mm", "hmm"], 1.0, (0.2, 0.6))
    assert words[0].start_s == pytest.approx(0.2)
    assert words[1].end_s == pytest.approx(0.6)
    assert words[0].end_s == pytest.approx(words[1].start_s)
    assert {w.method for w in words} == {INTERPOLATED}
