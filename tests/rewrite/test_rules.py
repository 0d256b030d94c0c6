"""The offline spoken-style normalizer, table-driven: each row is written text -> what to say."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duplexsynth.rewrite.rules import (
    find_unspeakable,
    insert_fillers,
    normalize_text,
    trim_words,
    word_count,
)

NUMBERS = [
    ("I have 3 cats and 21 dogs.", "I have three cats and twenty-one dogs."),
    ("0 errors", "Zero errors"),
    ("We sold 1,000,000 units.", "We sold one million units."),
    ("About 10,500 people came.", "About ten thousand five hundred people came."),
    ("Pi is 3.14159.", "Pi is three point one four one five nine."),
    ("Add .5 cups.", "Add point five cups."),
    ("Room 101 is free.", "Room one hundred and one is free."),
    ("Agent 007 arrived.", "Agent zero zero seven arrived."),
    (
        "He was 1st, she 2nd, they 3rd and 23rd.",
        "He was first, she second, they third and twenty-third.",
    ),
    ("the 100th day", "the one hundredth day"),
    ("It dropped to -5 overnight.", "It dropped to minus five overnight."),
    ("A +3 bonus.", "A plus three bonus."),
    ("5 reasons", "Five reasons"),
    ("COVID-19 and B2B and 3D and 4G.", "COVID-nineteen and B two B and three D and four G."),
    ("Python 3.11.2 is out.", "Python three point eleven point two is out."),
    ("It is 2x faster.", "It is two times faster."),
    (
        "A 1920x1080 screen.",
        "A one thousand nine hundred and twenty by one thousand and eighty screen.",
    ),
    ("Use a 3:2 ratio.", "Use a three to two ratio."),
    ("Page #5", "Page number five"),
    ("A 5k bonus and 3M users.", "A five thousand bonus and three million users."),
    ("She ran a 10k race.", "She ran a ten K race."),
    (
        "12.5 million people and 3.5bn dollars",
        "Twelve point five million people and three point five billion dollars",
    ),
]

MONEY = [
    ("It costs $5.", "It costs five dollars."),
    ("Only $1 today.", "Only one dollar today."),
    ("That's $5.50.", "That's five dollars and fifty cents."),
    ("Just $0.99.", "Just ninety-nine cents."),
    ("Just $.50.", "Just fifty cents."),
    ("It was $1.01.", "It was one dollar and one cent."),
    ("A $5.00 fee.", "A five dollar fee.".replace("dollar", "dollars")),
    ("Revenue was $1.5 million.", "Revenue was one point five million dollars."),
    ("A $3k bonus.", "A three thousand dollars bonus."),
    ("Worth $2B now.", "Worth two billion dollars now."),
    ("Tickets are $5-10.", "Tickets are five to ten dollars."),
    ("From $5 to $10.", "From five to ten dollars."),
    ("It was £20.", "It was twenty pounds."),
    ("It was £1.50.", "It was one pound and fifty pence."),
    ("Costs €20.", "Costs twenty euros."),
    ("Costs 20€.", "Costs twenty euros."),
    ("Costs ¥500.", "Costs five hundred yen."),
    ("Pay 100 USD.", "Pay one hundred US dollars."),
    ("Pay EUR 50.", "Pay fifty euros."),
    ("A debt of -$20.", "A debt of minus twenty dollars."),
    ("Gum is 50¢.", "Gum is fifty cents."),
    ("It's $20/month.", "It's twenty dollars per month."),
]

PERCENT = [
    ("That's 50% off.", "That's fifty percent off."),
    ("Growth was 3.5 %.", "Growth was three point five percent."),
    ("Expect 10-20% more.", "Expect ten to twenty percent more."),
    ("Between 5 and 10% of cases.", "Between five and ten percent of cases."),
    ("A -2% change.", "A minus two percent change."),
    ("Only 0.5% left.", "Only zero point five percent left."),
]

DATES = [
    ("On 2024-03-15 we met.", "On March fifteenth, twenty twenty-four we met."),
    ("Due 12/25/2023.", "Due December twenty-fifth, twenty twenty-three."),
    ("Due 31/12/2022.", "Due the thirty-first of December, twenty twenty-two."),
    ("Due 3/4/2024.", "Due March fourth, twenty twenty-four."),
    ("Born March 5, 2024.", "Born March fifth, twenty twenty-four."),
    ("Born on Jan. 3rd.", "Born on January third."),
    ("Died 5th of June 1999.", "Died the fifth of June, nineteen ninety-nine."),
    ("Died 5 June 1999.", "Died the fifth of June, nineteen ninety-nine."),
    ("Since March 2020.", "Since March twenty twenty."),
    ("In 1999 it began.", "In nineteen ninety-nine it began."),
    ("Founded in 2005.", "Founded in two thousand and five."),
    ("Since 1905.", "Since nineteen oh-five."),
    ("The 1990s were fun.", "The nineteen nineties were fun."),
    ("The 2010s were busy.", "The twenty tens were busy."),
    ("The '80s too.", "The eighties too."),
    ("From 1990-1995 it grew.", "From nineteen ninety to nineteen ninety-five it grew."),
    ("During 2010–15 it grew.", "During twenty ten to twenty fifteen it grew."),
    ("Rome fell in 476 AD.", "Rome fell in four seventy-six A D."),
    ("Around 300 BC.", "Around three hundred B C."),
    ("There were 1500 students.", "There were one thousand five hundred students."),
]

TIMES = [
    ("Meet at 3:30 PM.", "Meet at three thirty p m."),
    ("Meet at 3:30 pm tomorrow.", "Meet at three thirty p m tomorrow."),
    ("Wake at 7am.", "Wake at seven a m."),
    ("Leave at 5 p.m. tomorrow.", "Leave at five p m tomorrow."),
    ("At 12:05 a.m. sharp.", "At twelve oh five a m sharp."),
    ("At 9:00 we start.", "At nine o'clock we start."),
    ("At 15:45 we stop.", "At fifteen forty-five we stop."),
    ("At 18:00 we eat.", "At eighteen hundred we eat."),
    ("At 00:00 it resets.", "At midnight it resets."),
    ("It took 1:30:15.", "It took one thirty and fifteen seconds."),
    ("Run at 6:00/mile.", "Run at six minutes per mile."),
    ("Run at 5:30 per km.", "Run at five thirty per kilometer."),
]

FRACTIONS_RANGES = [
    ("Add 1/2 cup.", "Add one half cup."),
    ("Wait 1/2 an hour.", "Wait half an hour."),
    ("Use 3/4 of it.", "Use three quarters of it."),
    ("About 2/3 agree.", "About two thirds agree."),
    ("Add 5/8 inch.", "Add five eighths inch."),
    ("Add 1 1/2 cups.", "Add one and a half cups."),
    ("Add 2 1/4 cups.", "Add two and a quarter cups."),
    ("Add ½ cup.", "Add one half cup."),
    ("Add 1½ cups.", "Add one and a half cups."),
    ("Odds are 17/23.", "Odds are seventeen over twenty-three."),
    ("Open 24/7.", "Open twenty-four seven."),
    ("It takes 3-5 days.", "It takes three to five days."),
    ("It takes 3 – 5 days.", "It takes three to five days."),
    ("The score was 3 - 2.", "The score was three to two."),
    ("A 10-year-old kid.", "A ten-year-old kid."),
    ("Call (555) 123-4567.", "Call five five five, one two three, four five six seven."),
    ("Call 555-123-4567 now.", "Call five five five, one two three, four five six seven now."),
]

UNITS = [
    ("Run 5 km.", "Run five kilometers."),
    ("Run 1 km.", "Run one kilometer."),
    ("Lift 10kg.", "Lift ten kilograms."),
    ("Drink 1 L.", "Drink one liter."),
    ("Drink 250 ml.", "Drink two hundred and fifty milliliters."),
    ("It is 1.0 m long.", "It is one point zero meters long."),
    ("It has 2.5 GB.", "It has two point five gigabytes."),
    ("Drive at 100 mph.", "Drive at one hundred miles per hour."),
    ("Drive at 50 km/h.", "Drive at fifty kilometers per hour."),
    ("A 3.2 GHz chip.", "A three point two gigahertz chip."),
    ("A 60 W bulb.", "A sixty watts bulb."),
    ("Take 20 mg/kg daily.", "Take twenty milligrams per kilogram daily."),
    ("Rest 20 min. of each hour.", "Rest twenty minutes of each hour."),
    ("Mix 2 tbsp sugar and 1 tsp salt.", "Mix two tablespoons sugar and one teaspoon salt."),
    ("A 5 ft wall.", "A five feet wall."),
    ("It's 5'10\" tall.", "It's five foot ten tall."),
    ("It's 3-5 km away.", "It's three to five kilometers away."),
    ("It's 30°C.", "It's thirty degrees Celsius."),
    ("It's 72 °F.", "It's seventy-two degrees Fahrenheit."),
    ("It's -5°C.", "It's minus five degrees Celsius."),
    ("Between 20-25°C.", "Between twenty to twenty-five degrees Celsius."),
    ("An angle of 45°.", "An angle of forty-five degrees."),
    ("Just 1 °F.", "Just one degree Fahrenheit."),
    ("A 100 m² flat.", "A one hundred square meters flat."),
]

SYMBOLS_ABBREVIATIONS = [
    ("Tom & Jerry.", "Tom and Jerry."),
    ("A+B = C.", "A plus B equals C."),
    ("If x < y.", "If x less than y."),
    ("He/she can come.", "He or she can come."),
    ("Bring cash and/or cards.", "Bring cash and or cards."),
    ("Email me @home.", "Email me at home."),
    ("About ~300 of them.", "About about three hundred of them."),
    ("Paris → Berlin.", "Paris to Berlin."),
    ("Paris–Berlin train.", "Paris to Berlin train."),
    ("Wait — then go.", "Wait, then go."),
    ("Wow™ brand®.", "Wow brand."),
    ("Great job 😀!", "Great job!"),
    ("Use snake_case names.", "Use snake case names."),
    ("Read § 4.", "Read section four."),
    ("Fruits, e.g. apples, are good.", "Fruits, for example, apples, are good."),
    ("Apples, i.e. fruit.", "Apples, that is, fruit."),
    ("Apples, pears, etc.", "Apples, pears, et cetera."),
    ("Cats vs. dogs.", "Cats versus dogs."),
    ("Dr. Smith and Mr. Jones.", "Doctor Smith and Mister Jones."),
    ("He lives at No. 5.", "He lives at number five."),
    ("See p. 12 and Fig. 3.", "See page twelve and figure three."),
    ("Approx. 20 people.", "Approximately twenty people."),
    ("Coffee w/o sugar.", "Coffee without sugar."),
    (
        "The WHO (World Health Organization) said so.",
        "The WHO, World Health Organization, said so.",
    ),
    ("It works (mostly).", "It works, mostly."),
    ("Fruit (e.g., apples) is good.", "Fruit, for example, apples, is good."),
    ("As shown [3], it works.", "As shown, it works."),
    ("You can (1) rest, (2) eat.", "You can first, rest, second, eat."),
    ("I &amp; you.", "I and you."),
]

MARKDOWN = [
    ("This is **bold** and *italic*.", "This is bold and italic."),
    ("This is __bold__ and _italic_.", "This is bold and italic."),
    ("Use `ls` here.", "Use ls here."),
    ("Read [the guide](http://x.com/a).", "Read the guide."),
    ("See ![a cat](cat.png) here.", "See a cat here."),
    ("~~old~~ new", "old new"),
    ("## Summary\nIt works.", "Summary. It works."),
    ("# Title #\nBody text", "Title. Body text"),
    ("> Quoted text.\n> More.", "Quoted text. More."),
    ("Line one\nLine two", "Line one. Line two"),
    ("Intro.\n\n---\n\nOutro.", "Intro. Outro."),
    ("A <b>bold</b> move.", "A bold move."),
    ("| Name | Age |\n|---|---|\n| Ann | 30 |", "Name, Age. Ann, thirty."),
    ("```\ncode here\n```", "code here"),
    ("See https://www.example.com/docs?x=1 now.", "See example dot com slash docs now."),
    ("Visit example.org.", "Visit example dot org."),
    ("Mail ann.lee@example.org today.", "Mail ann dot lee at example dot org today."),
]

LISTS = [
    (
        "Tips:\n- Drink water\n- Sleep well\n- Exercise",
        "Tips: Drink water, sleep well and exercise.",
    ),
    ("* Red\n* Blue", "Red and blue."),
    ("You need:\n• flour\n• eggs", "You need: flour and eggs."),
    (
        "Steps:\n1. Preheat the oven to 180°C.\n2. Mix the flour and sugar.\n3. Bake for 25 minutes.",
        "Steps. First, preheat the oven to one hundred and eighty degrees Celsius. "
        "Second, mix the flour and sugar. Finally, bake for twenty-five minutes.",
    ),
    (
        "Do this:\n1) Open the door slowly.\n2) Walk in carefully.",
        "Do this. First, open the door slowly. Second, walk in carefully.",
    ),
    ("a) first thing\nb) second thing", "First thing and second thing."),
    (
        "Options:\n- Take the bus, it is cheap.\n\n- Take a taxi, it is fast.",
        "Options. First, take the bus, it is cheap. Second, take a taxi, it is fast.",
    ),
    ("- Fruits:\n  - apples\n  - pears", "Fruits, apples and pears."),
    ("Only one:\n- Water", "Only one: Water."),
]

ALL = NUMBERS + MONEY + PERCENT + DATES + TIMES + FRACTIONS_RANGES + UNITS + SYMBOLS_ABBREVIATIONS
ALL += MARKDOWN + LISTS


@pytest.mark.parametrize(("written", "spoken"), ALL)
def test_normalize(written: str, spoken: str) -> None:
    out = normalize_text(written)
    assert out == spoken
    assert find_unspeakable(out) is None


def test_dmy_date_order() -> None:
    assert normalize_text("Due 3/4/2024.", date_order="dmy") == (
        "Due the third of April, twenty twenty-four."
    )


def test_already_spoken_text_is_left_alone() -> None:
    text = "Well, um, I'd say it's about twenty dollars, maybe three to five days. Okay?"
    assert normalize_text(text) == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("...", "no words"),
        ("I have 3 cats", "digit '3'"),
        ("go to www.example.com now", "URL"),
        ("this is **bold**", "markdown '*'"),
        ("a | b", "markdown '|'"),
        ("sum ∑ of it", "symbol '∑'"),
        ("Fine, thanks!", None),
        ("Café au lait, s'il vous plaît.", None),
    ],
)
def test_find_unspeakable(text: str, problem: str | None) -> None:
    found = find_unspeakable(text)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_unknown_symbols_survive_normalization_so_callers_can_reject() -> None:
    out = normalize_text("Compute ∑ x dx over ∫ it.")
    assert "symbol" in (find_unspeakable(out) or "")


@given(
    st.lists(
        st.one_of(
            st.integers(-(10**9), 10**9).map(str),
            st.floats(0, 1e6, allow_nan=False).map(lambda f: f"{f:.2f}"),
            st.integers(0, 10**6).map(lambda n: f"${n:,}"),
            st.integers(0, 100).map(lambda n: f"{n}%"),
            st.integers(1, 31).map(lambda d: f"{d}th"),
            st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}"),
            st.tuples(st.integers(1, 99), st.integers(1, 99)).map(lambda t: f"{t[0]}/{t[1]}"),
            st.tuples(st.integers(1, 99), st.integers(1, 99)).map(lambda t: f"{t[0]}-{t[1]}"),
            st.sampled_from(["km", "kg", "and", "the", "°C", "&", "+", "#", "x", "(", ")", "*"]),
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=150, deadline=None)
def test_no_digit_or_markdown_survives(tokens: list[str]) -> None:
    out = normalize_text("Say " + " ".join(tokens) + ".")
    assert find_unspeakable(out) is None, out


# ----------------------------------------------------------------------------- trimming
def test_trim_keeps_whole_sentences_within_the_cap() -> None:
    text = " ".join(["This sentence has exactly six words."] * 20)
    out = trim_words(text, 20)
    assert out == " ".join(["This sentence has exactly six words."] * 3)
    assert word_count(out) == 18


def test_trim_cuts_a_long_first_sentence_at_a_clause() -> None:
    text = "First part is here, second part is here, " + "and then it goes on " * 10 + "forever."
    out = trim_words(text, 10)
    assert out == "First part is here, second part is here."


def test_trim_leaves_short_text() -> None:
    assert trim_words("Short one. Two.", 60) == "Short one. Two."


# ------------------------------------------------------------------------------ fillers
def test_fillers_are_seeded_and_sentence_initial() -> None:
    text = "What is the capital of France? Can you also tell me its population please?"
    a = insert_fillers(text, np.random.default_rng(1), 1.0)
    b = insert_fillers(text, np.random.default_rng(1), 1.0)
    assert a == b
    out, inserted = a
    assert [i["after_word"] for i in inserted if i["after_word"] == 0] == [0, 0]
    for sentence in out.split("? ")[:2]:
        assert sentence.split(",")[0].lower() in {"um", "uh", "well", "so", "you know", "i mean"}
    assert "what is the capital" in out  # the starter was lower-cased after the filler
    assert insert_fillers(text, np.random.default_rng(1), 0.0) == (text, [])


def test_filler_rate_is_respected_on_average() -> None:
    rng = np.random.default_rng(5)
    text = " ".join(["This is one short sentence here."] * 400)
    _, inserted = insert_fillers(text, rng, 0.2)
    initial = sum(1 for i in inserted if i["after_word"] == 0)
    assert 50 <= initial <= 110  # 400 sentences x 0.2 = 80 expected


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_never_raises_on_arbitrary_text(text: str) -> None:
    out = normalize_text(text)
    assert isinstance(out, str) and "\n" not in out


@pytest.mark.parametrize(
    "text",
    ["*a " * 2000, "a.b." * 2000, "[x](" * 1000, "(" * 3000 + "a", "1.1." * 2000, "_a_" * 2000],
)
def test_adversarial_markup_stays_linear(text: str) -> None:
    # would take minutes with backtracking patterns; a plain run shows it does not
    assert isinstance(normalize_text(text), str)
