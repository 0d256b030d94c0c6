"""Text helpers shared by the stages (numbers in words: :mod:`duplexsynth.text.numbers`)."""
