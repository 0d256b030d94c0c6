"""The only source of randomness in duplexsynth: a generator per (run seed, dialogue id, stream).

Stages never touch ``random`` or ``np.random``'s global state. Each stage draws from its own
named stream so that adding a random draw in one stage never shifts the draws of another.
"""

from __future__ import annotations

import hashlib

import numpy as np


def seed_words(seed: int, dialogue_id: str, stream: str) -> list[int]:
    """32-bit words derived from SHA-256 of ``seed``, ``dialogue_id`` and ``stream``."""
    digest = hashlib.sha256(f"{int(seed)}\x1f{dialogue_id}\x1f{stream}".encode()).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 32, 4)]


def dialogue_rng(seed: int, dialogue_id: str, stream: str = "default") -> np.random.Generator:
    """A fresh, independent ``numpy`` Generator for one dialogue and one stage stream.

    Same ``(seed, dialogue_id, stream)`` always gives the same sequence, on any machine.
    """
    if not isinstance(dialogue_id, str) or not dialogue_id:
        raise ValueError(f"dialogue_rng needs a non-empty dialogue id, got {dialogue_id!r}")
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed_words(seed, dialogue_id, stream)))
    )
