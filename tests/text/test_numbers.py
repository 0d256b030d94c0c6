"""The three number layers (rewrite rules, synth engine text, align matching) share one module
and one year rule."""

from __future__ import annotations

import pytest

from duplexsynth.align.textmap import normalize_token, spell_number
from duplexsynth.rewrite.numbers import normalize_numbers
from duplexsynth.synth.textnorm import speakable_token
from duplexsynth.text.numbers import is_year, minutes_words, number_words, year_words


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@pytest.mark.parametrize("year", ["1100", "1900", "1990", "2000", "2005", "2099"])
def test_token_layers_read_a_year_alike(year: str) -> None:
    spoken = speakable_token(year)
    assert spoken == year_words(int(year))
    assert _letters(spell_number(year)) == _letters(spoken)
    assert normalize_token(year) == _letters(spoken)
    # the rewrite normalizer reads it the same way where the context makes it a year
    assert normalize_numbers(f"in {year}", "mdy") == f"in {spoken}"


@pytest.mark.parametrize("number", ["1099", "2100", "1,990", "19900", "199"])
def test_outside_the_year_rule_numbers_are_cardinals(number: str) -> None:
    assert "," in number or not is_year(number)
    assert _letters(speakable_token(number)) == _letters(number_words(number))
    assert normalize_token(number) == _letters(number_words(number))


def test_round_hundreds_are_years_in_every_token_layer() -> None:
    # before the shared rule, the aligner read "1900" as "one thousand nine hundred"
    assert normalize_token("1900") == "nineteenhundred"
    assert speakable_token("1900") == "nineteen hundred"


def test_a_bare_number_without_a_cue_stays_a_cardinal_in_sentences() -> None:
    assert normalize_numbers("we sold 1500 copies", "mdy") == (
        "we sold one thousand five hundred copies"
    )


def test_minutes_words() -> None:
    assert minutes_words(5) == "oh five"
    assert minutes_words(45) == "forty-five"
    assert speakable_token("3:05") == "three oh five"
