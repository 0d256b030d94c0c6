"""Generate a multi-turn chat corpus shaped like real assistant conversations (ShareGPT format).

The issues measure the pipeline on real multi-turn chat: about 25 turns and 2-3 minutes of speech
per dialogue. This writes such a corpus from seeded templates (written for this project): user
turns are short questions and follow-ups, assistant turns are 1-4 sentences of explanation with
the numbers, names and clauses chat answers carry. Same arguments, same bytes.

Run: ``python bench/chat_corpus.py OUT.jsonl [--dialogues 20] [--turns 25] [--seed 0]``.
Import: ``from bench.chat_corpus import write_corpus``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

TOPICS = [
    ("sourdough bread", "the starter", "the oven", "flour"),
    ("a trip to Lisbon", "the tram", "the old town", "the coast"),
    ("learning the guitar", "the chords", "the strings", "practice"),
    ("a small vegetable garden", "the tomatoes", "the soil", "watering"),
    ("running a first marathon", "the long runs", "the shoes", "recovery"),
    ("saving for a house", "the deposit", "the budget", "interest rates"),
    ("training a puppy", "the crate", "the treats", "walks"),
    ("a home office", "the desk", "the lighting", "the chair"),
    ("reading more books", "the library", "audiobooks", "a reading list"),
    ("brewing coffee at home", "the grinder", "the beans", "water temperature"),
]
OPENERS = [
    "Can you help me with {t}?",
    "I want to get started with {t}. Where do I begin?",
    "What should I know about {t}?",
    "I've been thinking about {t}. Any advice?",
]
FOLLOW_UPS = [
    "What about {a}?",
    "How long does that usually take?",
    "Is {b} really that important?",
    "Okay, and how much should I spend on {c}?",
    "That makes sense. What's the most common mistake?",
    "Could you give me a simple example?",
    "Why does {a} matter so much?",
    "Hmm, what if I only have {n} minutes a day?",
    "Got it. Anything else I should watch out for?",
    "And if it goes wrong, what do I do?",
    "Would you do it differently in winter?",
    "Thanks. How do I know I'm making progress?",
]
ANSWER_SENTENCES = [
    "The most useful thing is to start small and keep a steady routine.",
    "Most people find that {a} takes a little patience at first.",
    "I would set aside about {n} minutes a day for the first {w} weeks.",
    "If you can, keep notes so you can see what changes from one week to the next.",
    "It helps to think of {b} as the foundation that everything else rests on.",
    "A budget of around {p} dollars is usually enough to get going.",
    "Don't worry if the first attempts are not perfect, that is completely normal.",
    "When something goes wrong, change one thing at a time and see what happens.",
    "Many beginners skip {c}, and that is where most of the trouble comes from.",
    "After a month or so, you will notice that the whole process feels much easier.",
    "A friend or a local group can keep you motivated when things get slow.",
    "Try to pick a fixed time of day, because habits stick better that way.",
    "The details matter less than showing up regularly.",
    "In my experience, about {k} out of ten people give up too early, so keep going.",
    "You can always adjust the plan later once you know what works for you.",
    "Good quality matters for {b}, but you don't need the most expensive option.",
]


def _fill(template: str, rng: random.Random, topic: tuple[str, str, str, str]) -> str:
    t, a, b, c = topic
    return template.format(
        t=t,
        a=a,
        b=b,
        c=c,
        n=rng.choice([10, 15, 20, 30, 45]),
        w=rng.choice([2, 3, 4, 6]),
        p=rng.choice([40, 50, 80, 120, 200]),
        k=rng.choice([3, 4, 5, 6, 7]),
    )


def make_dialogue(i: int, turns: int, seed: int) -> dict:
    """One ShareGPT record with ``turns`` alternating human/gpt turns (human first)."""
    rng = random.Random(seed * 1_000_003 + i)
    topic = TOPICS[rng.randrange(len(TOPICS))]
    convo = []
    for k in range(turns):
        if k % 2 == 0:
            pool = OPENERS if k == 0 else FOLLOW_UPS
            text = _fill(rng.choice(pool), rng, topic)
            speaker = "human"
        else:
            picks = rng.sample(ANSWER_SENTENCES, rng.randint(1, 4))
            text = " ".join(_fill(s, rng, topic) for s in picks)
            speaker = "gpt"
        convo.append({"from": speaker, "value": text})
    return {"id": f"chat-{seed}-{i:05d}", "conversations": convo}


def write_corpus(path: str | Path, dialogues: int = 20, turns: int = 25, seed: int = 0) -> Path:
    """Write ``dialogues`` ShareGPT records to ``path`` (JSONL) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(dialogues):
            f.write(json.dumps(make_dialogue(i, turns, seed)) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output")
    parser.add_argument("--dialogues", type=int, default=20)
    parser.add_argument("--turns", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = write_corpus(args.output, args.dialogues, args.turns, args.seed)
    print(f"wrote {args.dialogues} dialogues x {args.turns} turns to {out}")


if __name__ == "__main__":
    main()
