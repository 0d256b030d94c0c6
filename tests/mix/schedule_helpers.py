"""Builders of aligned dialogues from real Piper speech (the shared ``say`` fixture), at 24 kHz.

The synth and align stages are built elsewhere; these fixtures fabricate exactly the rows the
align stage hands to mix: per turn mono FLAC audio, sample rate, duration, words (one per
whitespace token, turn-relative times) and a backchannel lexicon for both speakers.
"""

from __future__ import annotations

import numpy as np

from duplexsynth.audio import decode_audio, encode_flac, resample
from duplexsynth.schemas.records import ASSISTANT, USER, AudioRef, Backchannel, Dialogue, Turn, Word

SR = 24000
VOICE = "piper:joe"

TEA = (
    "Can you tell me how to make a good cup of tea at home?",
    "Sure. Start with fresh water and bring it to a boil. Warm the pot first, then add one "
    "spoon of leaves per cup. Let it steep for about four minutes, and then pour it through a "
    "strainer into your cup.",
    "Thanks, that sounds easy. Should I add milk?",
    "That is up to you. Many people like a little milk, but green tea is best without it.",
)
USER_TOKENS = ("mm-hmm", "yeah", "right", "okay", "hold on", "wait, stop")
ASSISTANT_TOKENS = ("mm-hmm", "I see", "right")


def speech(say, text: str, sr: int = SR) -> tuple[np.ndarray, tuple[Word, ...], bytes]:
    """Piper audio resampled to ``sr`` and FLAC-encoded, with its word times (seconds)."""
    audio, sr0, words = say(text)
    flac = encode_flac(resample(audio, sr0, sr), sr)
    decoded, _ = decode_audio(flac)
    return decoded, tuple(Word(w, s, e, method="tts") for w, s, e in words), flac


def make_turn(say, index: int, speaker: str, text: str, sr: int = SR) -> Turn:
    audio, words, flac = speech(say, text, sr)
    return Turn(
        turn_index=index,
        speaker=speaker,
        source_text=text,
        spoken_text=text,
        voice=VOICE,
        audio=AudioRef(flac),
        sample_rate=sr,
        duration_s=audio.shape[0] / sr,
        words=words,
    )


def make_backchannel(say, speaker: str, text: str, sr: int = SR) -> Backchannel:
    audio, words, flac = speech(say, text, sr)
    return Backchannel(speaker, VOICE, text, AudioRef(flac), sr, audio.shape[0] / sr, words)


def make_dialogue(
    say,
    did: str = "tea-0",
    texts: tuple[str, ...] = TEA,
    user_tokens: tuple[str, ...] = USER_TOKENS,
    assistant_tokens: tuple[str, ...] = ASSISTANT_TOKENS,
    sr: int = SR,
) -> Dialogue:
    turns = tuple(
        make_turn(say, i, USER if i % 2 == 0 else ASSISTANT, t, sr) for i, t in enumerate(texts)
    )
    lexicon = tuple(make_backchannel(say, USER, t, sr) for t in user_tokens) + tuple(
        make_backchannel(say, ASSISTANT, t, sr) for t in assistant_tokens
    )
    return Dialogue(
        id=did,
        source_file="tea.jsonl",
        source_index=0,
        record_id=None,
        format="sharegpt",
        turns=turns,
        assistant_voice=VOICE,
        user_voice=VOICE,
        backchannels=lexicon,
        align_method="tts",
    )


def decoded_mix(d: Dialogue) -> np.ndarray:
    """The mixed stereo audio of ``d`` as float32 ``(n, 2)``."""
    audio, sr = decode_audio(d.audio.bytes, always_2d=True)
    assert sr == d.sample_rate and audio.shape[1] == 2
    return audio


def seg_rms(x: np.ndarray, start_s: float, end_s: float, sr: int) -> float:
    a, b = int(round(start_s * sr)), int(round(end_s * sr))
    seg = x[a:b].astype(np.float64)
    return float(np.sqrt(np.mean(seg * seg))) if seg.size else 0.0
