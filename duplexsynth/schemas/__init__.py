"""Records, Arrow schemas, reject reasons and the per-dialogue RNG shared by every stage."""

from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import (
    AudioRef,
    Backchannel,
    Dialogue,
    Event,
    FrameLabels,
    Reject,
    TimelineWord,
    Turn,
    Word,
)
from duplexsynth.schemas.rng import dialogue_rng

__all__ = [
    "AudioRef",
    "Backchannel",
    "Dialogue",
    "Event",
    "FrameLabels",
    "Reason",
    "Reject",
    "TimelineWord",
    "Turn",
    "Word",
    "dialogue_rng",
]
