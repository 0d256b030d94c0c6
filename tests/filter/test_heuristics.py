"""Per-turn checks: every reason with texts that must fire and prose that must not."""

from __future__ import annotations

import pytest
from _filtertools import DEFAULT
from hypothesis import given, settings
from hypothesis import strategies as st

from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.heuristics import Finding, screen_text, screen_turns, snippet, word_count

POSITIVE = {
    "code": [
        "Use this:\n```python\nprint('hi')\n```",
        "Call `ls -la` in the folder.",
        "$ npm test",
        "Run pip install requests before you start.",
        "First git clone the project.",
        "Then run ls -la in that folder.",
        "Add --dry-run to see what happens.",
        "def area(r):\n    return 3.14 * r * r",
        "class Dog:\n    pass",
        "import numpy as np",
        "#include <stdio.h>",
        "console.log('done')",
        "Call np.mean(values) on it.",
        "Then run main() again.",
        "x = 5;\ny = 6;",
        "if (ready) {",
        "const items = [1, 2, 3];",
        'config = {"debug": true}',
        "<div class='box'>Hi</div>",
        '{"name": "Ada", "age": 36}',
        "It fails when a && b are both set.",
        "Increment with i++;",
        "Use std::vector here.",
        "The my_value variable holds it.",
        "Call getElementById to find it.",
        "Read arr[i] in the loop.",
        "SELECT name FROM users WHERE id = 3",
        "The color is 0xFF8800.",
        "public static void main is the entry point",
        "let total = items.length;",
    ],
    "math": [
        "We know $x^2 + y^2 = r^2$ here.",
        "The slope is \\frac{dy}{dx} at that point.",
        "So 3 + 4 = 7, as expected.",
        "Solve 2x + 3 = 11 for x.",
        "A line is y = mx + b.",
        "Energy is E = mc^2.",
        "It holds whenever x < 5 and x > 1.",
        "Let f(x) = 3 be constant.",
        "Work out 2 + 3 * 4 first.",
        "The sum ∑ runs over all terms.",
        "Take sin(x) for small angles.",
        "The rate dy/dx is positive.",
        "Compute 10^6 quickly.",
    ],
    "url": [
        "See https://example.com/docs for more.",
        "Go to www.example.org today.",
        "Write to help@example.com please.",
        "Check example.com for prices.",
        "It lives in /usr/local/bin on most systems.",
        "Open ~/notes to find it.",
        "Run ./build.sh afterwards.",
        "The file is at C:\\Users\\ada\\file.txt",
    ],
    "table": [
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "Name | Age | City\nAda | 36 | London",
        "+-----+-----+\n| a   | b   |\n+-----+-----+",
        "name\tage\tcity\nada\t36\tlondon",
    ],
    "symbols": [
        "Great job 🎉",
        "Nice work \u2764\ufe0f",
        "A bell\x07 rang.",
        "Use the ─── line.",
        "Next → then.",
        "Private \ue000 use.",
    ],
    "empty": ["", "   ", "\n\t", "...", "?!"],
}

NEGATIVE = [
    "I love C++ and C# for writing games.",
    "Buy 3 + 4 apples at the market.",
    "It costs $5 today and $10 tomorrow.",
    "We are open 24/7, and/or by appointment, at up to 60 km/h.",
    "We built the site with Node.js last year.",
    "About 50% of people agree with that.",
    "Here are tips:\n1. Sleep well.\n2. Eat well.\n- Walk daily.\n* Rest.\n• Smile.",
    "## Morning routine\nStart with a glass of water.",
    "Morning routine\n===============\nStart with water.",
    "**Bold** claims need _care_.",
    "> A quote from the book.",
    "The score was 3-2 after extra time.",
    "He said: 'hello there' and left :)",
    "Mr. Smith's book (2nd ed.) is fine, e.g. for kids, i.e. young ones.",
    "Meet me at 10:30 a.m. on 12/25/2023.",
    "Add sugar (one cup);\nthen stir (gently);",
    "I <3 you so much.",
    "Rock & roll is 100% great, the #1 hit!",
    "It is 5 - 10 minutes away.",
    "Bring a friend(s) and your item(s).",
    "The iPhone, eBay and macOS all work.",
    "Thanks.Me too, I guess.",
    "It hit 30°C in July, and tickets cost €20.",
    "Let x be the number you are looking for.",
    "Studies show this[1] works.",
    "Café au lait is nice—really nice…",
    "Wait... what?! No way.",
    "Yes.",
    "42",
    "Go get some coffee and go run a mile.",
    "In French, 'je ne sais quoi' means a certain something.",
    "I paid 2x more for a 4x4 truck before my 5k run.",
    "Import duties rose this year.",
    "Let me know if you need anything else!",
    "The class is at noon; bring a pen.",
    "A 1/2 cup of milk plus 1/4 cup of cream.",
    "Go to settings > privacy > location.",
    "Top list: (a) apples, (b) pears.",
    "Q&A with AT&T and R&D teams.",
    "It's -5 degrees outside, +1 for wearing a hat.",
    "* Apples\n* Pears\n* Plums",
    "Version 2.0 is out for Windows 10/11 and Python 3.12.",
    "Mix flour, sugar, eggs, butter and vanilla; bake forty minutes until golden brown.",
    "Hello, how are you doing today?",
    "Wie geht's? is German for how are you.",
]


@pytest.mark.parametrize(
    ("reason", "text"), [(r, t) for r, texts in POSITIVE.items() for t in texts]
)
def test_positive(reason: str, text: str):
    found = screen_text(text, DEFAULT)
    assert found is not None, f"{reason} not found in {text!r}"
    assert found.reason == reason, found


@pytest.mark.parametrize("text", NEGATIVE)
def test_negative_prose_passes(text: str):
    assert screen_text(text, DEFAULT) is None


def words(n: int) -> str:
    base = "we sat by the lake and watched the boats go past".split()
    return " ".join((base * (n // len(base) + 1))[:n])


def test_too_long_is_configurable():
    found = screen_text(words(201), DEFAULT)
    assert found is not None and found.reason == "too_long"
    assert found.detail(2) == "turn 2: too_long 201 words > 200"
    assert screen_text(words(200), DEFAULT) is None
    short = FilterConfig(max_words_per_turn=30)
    assert screen_text(words(31), short).reason == "too_long"
    assert screen_text(words(30), short) is None


def test_word_count_counts_cjk_characters():
    assert word_count("one two  three") == 3
    assert word_count("我们去公园") == 6  # one token + five characters


def test_language_reason_and_target():
    fr = "Je pense que le chat est sur la table de la cuisine."
    found = screen_text(fr, DEFAULT)
    assert found.reason == "language" and "'fr'" in found.rule
    assert screen_text(fr, FilterConfig(language="fr")) is None
    assert screen_text(fr, FilterConfig(language="any")) is None
    assert screen_text(
        "The cat sleeps on the kitchen table.", FilterConfig(language="fr")
    ).reason == ("language")


def test_details_name_the_offending_span():
    found = screen_text("See https://x.example.org/a?b=1 now.", DEFAULT)
    assert found.detail(1) == "turn 1: url 'https://x.example.org/a?b=1'"
    found = screen_text("Great job 🎉", DEFAULT)
    assert found.detail(0) == "turn 0: emoji U+1F389 '🎉'"
    found = screen_text("A bell\x07 rang.", DEFAULT)
    assert found.detail(3) == "turn 3: control character U+0007"
    long_span = Finding("code", "fenced code block", "x" * 100)
    assert long_span.detail(0).endswith("...'") and len(snippet("x" * 100)) == 60


def test_fixed_precedence_between_reasons():
    # a URL inside a shell command is reported as url (url is checked before code)
    assert screen_text("Run curl https://example.com/x now.", DEFAULT).reason == "url"
    # a table holding code is a table
    assert screen_text("| a | b |\n|---|---|\n| x++; | y |", DEFAULT).reason == "table"
    # empty comes first
    assert screen_text("", DEFAULT).reason == "empty"


def test_checks_can_be_switched_off():
    cfg = FilterConfig(checks=["empty", "code"])
    assert screen_text("See https://example.com now.", cfg) is None
    assert screen_text("import os", cfg).reason == "code"
    assert screen_text("", cfg).reason == "empty"  # empty always runs


_TURN_TEXTS = (
    [t for texts in POSITIVE.values() for t in texts]
    + NEGATIVE
    + [
        "A line that ends with a variable i++",
        "| a | b |",
        "| c | d |",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TURN_TEXTS), min_size=1, max_size=6))
def test_screen_turns_equals_turn_by_turn_screening(texts):
    expected = None
    for i, text in enumerate(texts):
        found = screen_text(text, DEFAULT)
        if found is not None:
            expected = (i, found)
            break
    assert screen_turns(texts, DEFAULT) == expected
