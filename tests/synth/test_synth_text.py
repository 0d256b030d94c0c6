"""Token normalization, WER normalization, and mapping tokens onto timed phonemes."""

from __future__ import annotations

import pytest

from duplexsynth.synth.backends.timing import align_tokens, cumulative, sound_phonemes, timed_stream
from duplexsynth.synth.qc import word_error_rate
from duplexsynth.synth.textnorm import normalize_for_wer, speakable, speakable_token


@pytest.mark.parametrize(
    ("token", "spoken"),
    [
        ("$5.50,", "five dollars and fifty cents,"),
        ("$1", "one dollar"),
        ("3rd", "third"),
        ("1990.", "nineteen ninety."),
        ("50%", "fifty percent"),
        ("12,000", "twelve thousand"),
        ("2.5", "two point five"),
        ("5:30", "five thirty"),
        ("5:00", "five o'clock"),
        ("10am;", "ten a m;"),
        ("(2)", "(two)"),
        ("COVID-19", "COVID nineteen"),
        ("hello,", "hello,"),
        ("Mm-hmm.", "Mm-hmm."),
    ],
)
def test_speakable_token(token: str, spoken: str) -> None:
    assert speakable_token(token) == spoken


def test_speakable_keeps_one_entry_per_token() -> None:
    text, per_token = speakable("I paid $5 for 2 apples.")
    assert per_token == ["I", "paid", "five dollars", "for", "two", "apples."]
    assert text == "I paid five dollars for two apples."


def test_wer_normalization_numbers_and_backchannels() -> None:
    assert (
        normalize_for_wer("Mm-hmm, OK! I paid $5.50.")
        == "mhm okay i paid five dollars and fifty cents"
    )
    assert normalize_for_wer(
        "mm hmm okay I paid five dollars and fifty cents"
    ) == normalize_for_wer("Mm-hmm, OK! I paid $5.50.")
    assert normalize_for_wer("Uh huh, yep.") == normalize_for_wer("uh-huh, yeah")
    assert word_error_rate("It costs 20 dollars.", "it costs twenty dollars") == 0.0
    assert word_error_rate("It costs 20 dollars.", "it was twenty dollars") == pytest.approx(1 / 4)
    assert word_error_rate("Hello there.", "") == 1.0


def test_align_tokens_splits_joined_words_and_handles_silent_tokens() -> None:
    # "in the house" spoken as one phoneme word "ɪnðə" + "haʊs"; a dash that says nothing
    stream = timed_stream(
        cumulative(
            [("^", 0.05), ("ɪ", 0.1), ("n", 0.1), ("ð", 0.1), ("ə", 0.1), (" ", 0.05)]
            + [("h", 0.1), ("ˈ", 0.05), ("a", 0.1), ("ʊ", 0.1), ("s", 0.1), (".", 0.2), ("$", 0.05)]
        )
    )
    words = align_tokens(["ɪn", "ðə", "", "hˈaʊs."], stream, ["in", "the", "—", "house."])
    assert [w for w, _, _ in words] == ["in", "the", "—", "house."]
    (_, s0, e0), (_, s1, e1), (_, s2, e2), (_, s3, e3) = words
    assert s0 == pytest.approx(0.05) and e0 == pytest.approx(0.25)
    assert s1 == pytest.approx(0.25) and e1 == pytest.approx(0.45)
    assert s2 == e2 == pytest.approx(0.45)
    # the stress mark's time belongs to the vowel after it; the pause after "s" is not the word
    assert s3 == pytest.approx(0.5) and e3 == pytest.approx(0.95)


def test_align_tokens_survives_phonemes_that_differ_in_context() -> None:
    stream = timed_stream(cumulative([(p, 0.1) for p in "ðə kæt"]))
    words = align_tokens(["ðiː", "kat"], stream, ["the", "cat"])  # isolated forms differ
    assert words[0][1] == pytest.approx(0.0) and words[0][2] == pytest.approx(0.2)
    assert words[1][1] == pytest.approx(0.3) and words[1][2] == pytest.approx(0.6)
    assert sound_phonemes("hˈaʊs, ðə") == "haʊsðə"
    with pytest.raises(ValueError):
        align_tokens(["a"], stream, ["a", "b"])
