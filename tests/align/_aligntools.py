"""Builders for align tests: synthesized dialogues of real Piper speech (``say`` fixture)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from duplexsynth.audio import encode_flac
from duplexsynth.schemas.records import AudioRef, Backchannel, Dialogue, Turn, Word

TEXTS = (
    "Can you tell me about the weather today?",
    "Sure, it will be sunny with a high of 75 degrees.",
    "Great, thanks!",
    "You are welcome, enjoy the sun.",
)


def synth_turn(
    say: Callable, index: int, text: str, *, with_tts: bool = True, speaker: str | None = None
) -> Turn:
    """A turn as the synth stage leaves it: FLAC audio, rate, duration, Piper word timings."""
    audio, sr, words = say(text)
    return Turn(
        turn_index=index,
        speaker=speaker or ("user" if index % 2 == 0 else "assistant"),
        source_text=text,
        spoken_text=text,
        voice="joe",
        audio=AudioRef(encode_flac(audio, sr)),
        sample_rate=sr,
        duration_s=len(audio) / sr,
        tts_words=tuple(Word(w, s, e, None, "tts") for w, s, e in words) if with_tts else None,
    )


def tone_turn(index: int, text: str, seconds: float = 1.0, sr: int = 16000) -> Turn:
    """A turn whose 'speech' is a tone (no recogniser hears the text in it), no TTS timings."""
    t = np.arange(int(seconds * sr)) / sr
    audio = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return Turn(
        turn_index=index,
        speaker="user" if index % 2 == 0 else "assistant",
        source_text=text,
        spoken_text=text,
        voice="tone",
        audio=AudioRef(encode_flac(audio, sr)),
        sample_rate=sr,
        duration_s=seconds,
    )


def backchannel(say: Callable, text: str = "mm-hmm", speaker: str = "user") -> Backchannel:
    audio, sr, _ = say(text)
    return Backchannel(
        speaker=speaker,
        voice="joe",
        text=text,
        audio=AudioRef(encode_flac(audio, sr)),
        sample_rate=sr,
        duration_s=len(audio) / sr,
    )


def dialogue(
    turns: Sequence[Turn], did: str = "dlg-0001", backchannels: Sequence[Backchannel] = ()
) -> Dialogue:
    return Dialogue(
        id=did,
        source_file="corpus.jsonl",
        source_index=int(did.split("-")[-1]) if did.split("-")[-1].isdigit() else 0,
        record_id=None,
        format="sharegpt",
        turns=tuple(turns),
        backchannels=tuple(backchannels) if backchannels else None,
        assistant_voice="joe",
        user_voice="joe",
    )


def synth_dialogue(
    say: Callable,
    texts: Sequence[str] = TEXTS,
    did: str = "dlg-0001",
    *,
    no_tts: Sequence[int] = (),
    with_backchannel: bool = False,
) -> Dialogue:
    turns = [synth_turn(say, i, t, with_tts=i not in no_tts) for i, t in enumerate(texts)]
    bcs = [backchannel(say)] if with_backchannel else []
    return dialogue(turns, did, bcs)
