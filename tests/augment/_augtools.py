"""Helpers for the augment tests: mixed dialogues from real Piper speech, channel access."""

from __future__ import annotations

import numpy as np

from duplexsynth.audio import encode_flac, resample
from duplexsynth.augment import AugmentConfig
from duplexsynth.schemas.records import (
    CHANNEL_OF,
    KIND_TURN,
    AudioRef,
    Dialogue,
    TimelineWord,
    Turn,
    Word,
)

MIX_RATE = 24000

LINES = (
    ("user", "Hello there, could you tell me what the weather will be like tomorrow?"),
    ("assistant", "Sure. Tomorrow looks sunny in the morning, with some clouds after lunch."),
    ("user", "Great, thanks. Should I bring an umbrella anyway?"),
    ("assistant", "Probably not. The chance of rain is low, so you can leave it at home."),
)


def build_mixed(say, did: str = "dlg-0001", lines=LINES, gap_s: float = 0.35) -> Dialogue:
    """A mixed dialogue: turns placed one after another on their channels, 24 kHz stereo FLAC."""
    placed = []
    t = 0.3
    for i, (speaker, text) in enumerate(lines):
        audio, sr, words = say(text)
        at_mix = resample(audio, sr, MIX_RATE)
        start = round(t, 4)
        end = round(start + at_mix.size / MIX_RATE, 4)
        placed.append((i, speaker, text, audio, sr, words, at_mix, start, end))
        t = end + gap_s
    total = int(round((t + 0.3) * MIX_RATE))
    stereo = np.zeros((total, 2), dtype=np.float32)
    turns, timeline = [], []
    for i, speaker, text, audio, sr, words, at_mix, start, end in placed:
        ch = CHANNEL_OF[speaker]
        a = int(round(start * MIX_RATE))
        stereo[a : a + at_mix.size, ch] += at_mix
        turn_words = tuple(Word(w, s, e, method="tts") for w, s, e in words)
        turns.append(
            Turn(
                turn_index=i,
                speaker=speaker,
                source_text=text,
                spoken_text=text,
                voice="joe",
                audio=AudioRef(encode_flac(audio, sr)),
                sample_rate=sr,
                duration_s=audio.size / sr,
                words=turn_words,
                start_s=start,
                end_s=end,
                channel=ch,
                kind=KIND_TURN,
                interrupted=False,
                text=text,
            )
        )
        timeline += [
            TimelineWord(w, round(start + s, 4), round(start + e, 4), ch, speaker, i)
            for w, s, e in words
        ]
    timeline.sort(key=lambda w: w.start_s)
    return Dialogue(
        id=did,
        source_file="corpus.jsonl",
        source_index=int(did.rsplit("-", 1)[-1]) if did[-1].isdigit() else 0,
        record_id=None,
        format="sharegpt",
        turns=tuple(turns),
        assistant_voice="joe",
        user_voice="joe",
        audio=AudioRef(encode_flac(stereo, MIX_RATE), path=f"{did}.flac"),
        sample_rate=MIX_RATE,
        duration_s=total / MIX_RATE,
        words=tuple(timeline),
        params={"mix": {"preset": "test"}},
    )


def only(**overrides) -> AugmentConfig:
    """A config with every step off except those switched on in ``overrides`` (p = 1)."""
    base = dict(
        gain=False,
        noise=False,
        echo=False,
        reverb=False,
        chain=False,
        gain_p=1.0,
        noise_p=1.0,
        echo_p=1.0,
        reverb_p=1.0,
        chain_p=1.0,
        rir_library_size=3,
        room_length_m_range=(3.0, 5.0),
        room_width_m_range=(3.0, 4.0),
        rt60_s_range=(0.15, 0.35),
    )
    base.update(overrides)
    return AugmentConfig(**base)


def pcm(audio_bytes: bytes):
    """(int32 samples (n, 2), sample_rate, subtype) of FLAC bytes, exactly as stored."""
    from duplexsynth.augment.signal import decode_pcm

    p = decode_pcm(audio_bytes)
    return p.samples, p.sample_rate, p.subtype


def channels(audio_bytes: bytes):
    """(assistant float64, user float64, sample_rate) of stereo FLAC bytes."""
    s, sr, _ = pcm(audio_bytes)
    f = s.astype(np.float64) / 2**31
    return f[:, 0], f[:, 1], sr


def user_spans_mask(dialogue, n: int, sr: int) -> np.ndarray:
    """Samples inside the user's turns (channel 1), from the row's turn times."""
    mask = np.zeros(n, dtype=bool)
    for t in dialogue.turns:
        if t.channel == 1:
            mask[int(round(t.start_s * sr)) : int(round(t.end_s * sr))] = True
    return mask


def db(power: float) -> float:
    return 10.0 * np.log10(power)


def xcorr_lag(signal: np.ndarray, reference: np.ndarray) -> int:
    """Lag (samples) at which ``reference`` best matches ``signal`` (positive: signal is later)."""
    n = signal.size + reference.size
    nfft = 1 << (n - 1).bit_length()
    c = np.fft.irfft(np.fft.rfft(signal, nfft) * np.conj(np.fft.rfft(reference, nfft)), nfft)
    lags = np.concatenate([np.arange(0, signal.size), np.arange(-reference.size + 1, 0)])
    idx = np.concatenate([np.arange(0, signal.size), np.arange(nfft - reference.size + 1, nfft)])
    return int(lags[int(np.argmax(np.abs(c[idx])))])
