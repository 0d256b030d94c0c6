"""The typed records of a mix plan (what ``plan_mix`` samples and ``render`` applies) and the
small sampling helpers the planner draws with."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from duplexsynth.mix.inputs import Clip

PLAN_VERSION = "1"
#: a scaled clip never peaks above this
PEAK_LIMIT = 0.99

TRANSITION_FIRST = "first"
TRANSITION_REPLY = "reply"  # user -> assistant, gap or early start
TRANSITION_USER = "user_gap"  # assistant -> user
TRANSITION_SAME = "same_speaker"
TRANSITION_INTERRUPTION = "interruption"


@dataclass(frozen=True)
class OpenerPlan:
    """A spoken stop command that opens an interrupting user turn."""

    lexicon_index: int
    text: str
    offset_samples: int
    length_samples: int
    gain: float
    start_s: float
    end_s: float
    gap_after_s: float  # sampled silence between the stop command and the turn's first word


@dataclass(frozen=True)
class InterruptionPlan:
    """How the user cut into an assistant turn (set on the interrupted assistant turn)."""

    user_turn_index: int
    onset_word: int  # the user starts at the end of this assistant word
    stop_word: int  # the last assistant word said
    onset_s: float
    reaction_delay_s: float
    cut_s: float
    words_planned: int
    stop_command: str | None


@dataclass(frozen=True)
class TurnPlan:
    """Placement of one dialogue turn on the timeline."""

    turn_index: int
    speaker: str
    channel: int
    transition: str
    gap_s: float | None  # sampled gap before this turn (negative = overlap); None if not sampled
    pushed_s: float  # extra delay to keep clips on one channel apart
    offset_samples: int  # timeline sample where the turn audio's sample 0 lands
    length_samples: int  # samples of the turn audio used (fewer when interrupted)
    fade_samples: int
    words_spoken: int
    start_s: float  # first word on the timeline (the stop command's, when there is one)
    end_s: float  # last spoken word's end (the cut, when interrupted)
    interruption: InterruptionPlan | None = None
    opener: OpenerPlan | None = None

    @property
    def interrupted(self) -> bool:
        return self.interruption is not None


@dataclass(frozen=True)
class BackchannelPlan:
    """One backchannel token placed during the other speaker's turn."""

    turn_index: int
    speaker: str
    channel: int
    during_turn: int
    after_word: int
    lexicon_index: int
    text: str
    onset_delay_s: float
    level_db: float  # sampled level relative to the speaker's speech RMS
    applied_level_db: float  # after the peak limit
    gain: float
    offset_samples: int
    length_samples: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class MixPlan:
    """Everything sampled for one dialogue; ``render`` applies it deterministically."""

    sample_rate: int
    num_samples: int
    lead_silence_s: float
    trail_silence_s: float
    turns: tuple[TurnPlan, ...]
    backchannels: tuple[BackchannelPlan, ...]
    notes: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        return self.num_samples / self.sample_rate

    def to_params(self) -> dict[str, Any]:
        """The plan as JSON-safe values (floats rounded to microseconds)."""
        return _rounded(
            {
                "plan_version": PLAN_VERSION,
                "sample_rate": self.sample_rate,
                "num_samples": self.num_samples,
                "duration_s": self.duration_s,
                "lead_silence_s": self.lead_silence_s,
                "trail_silence_s": self.trail_silence_s,
                "turns": [asdict(t) for t in self.turns],
                "backchannels": [asdict(b) for b in self.backchannels],
                "notes": list(self.notes),
            }
        )


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


# ------------------------------------------------------------------------------ distributions
def lognormal_with_mode(
    rng: np.random.Generator, mode_s: float, sigma: float, cap_s: float
) -> float:
    """A log-normal draw whose density peaks at ``mode_s`` (shape ``sigma``), capped at ``cap_s``.

    With ``mu = ln(mode) + sigma**2`` the mode of ``exp(N(mu, sigma))`` is ``mode``. One normal
    is drawn even when ``sigma == 0`` so the stream position never depends on the knobs.
    """
    z = float(rng.standard_normal())
    if sigma <= 0:
        return min(mode_s, cap_s)
    mu = math.log(mode_s) + sigma * sigma
    return min(math.exp(mu + sigma * z), cap_s)


def matched_gain(clip: Clip, target_rms: float) -> float:
    """Gain that brings ``clip``'s speech RMS to ``target_rms``, limited so it never clips."""
    if clip.speech_rms <= 0 or target_rms <= 0:
        return 1.0
    gain = target_rms / clip.speech_rms
    peak = float(np.max(np.abs(clip.audio))) if clip.num_samples else 0.0
    if peak > 0 and gain * peak > PEAK_LIMIT:
        gain = PEAK_LIMIT / peak
    return float(gain)
