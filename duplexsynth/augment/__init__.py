"""Augment stage: gain, noise, echo, room reverb and channel effects on the user channel.

Reads mixed stereo dialogues (channel 0 = assistant, 1 = user), samples every parameter from
the dialogue's RNG, applies it without moving anything in time, and records it all in
``params["augment"]``. Plain Python; the Beam wrapping lives in
``duplexsynth.pipelines.transforms.augment``.
"""

from duplexsynth.augment.augmenter import (
    AUGMENT_VERSION,
    AugmentInputError,
    AugmentResources,
    augment_dialogue,
)
from duplexsynth.augment.config import AugmentConfig
from duplexsynth.augment.processor import AugmentProcessor

__all__ = [
    "AUGMENT_VERSION",
    "AugmentConfig",
    "AugmentInputError",
    "AugmentProcessor",
    "AugmentResources",
    "augment_dialogue",
]
