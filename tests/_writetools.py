"""Fabricated augment-stage rows with real speech, shared by the product-layer tests.

``augmented_rows(say)`` builds a few dialogues the way mix + augment would leave them: Piper
speech resampled to 24 kHz, placed on a stereo timeline (channel 0 assistant, 1 user) with a
gap, an overlap, an interruption and a backchannel, timeline words, frame labels, events,
params, and light noise on the user channel (``clean_audio`` keeps the clean mix).
Test modules import it as ``_writetools`` (the tests root is on ``sys.path`` through its conftest).
"""

from __future__ import annotations

import numpy as np

from duplexsynth.audio import encode_flac, resample
from duplexsynth.pipelines import io
from duplexsynth.schemas.records import (
    ASSISTANT,
    CHANNEL_OF,
    KIND_BACKCHANNEL,
    KIND_TURN,
    USER,
    AudioRef,
    Backchannel,
    Dialogue,
    Event,
    FrameLabels,
    TimelineWord,
    Turn,
    Word,
)
from duplexsynth.schemas.rng import dialogue_rng

SR = 24000
FRAME_RATE = 12.5

#: (speaker, text, gap before this utterance in s (negative = overlap), kind)
SCRIPT = (
    (USER, "Could you tell me what the weather is like today?", 0.4, KIND_TURN),
    (ASSISTANT, "Sure, it looks sunny with a light breeze this afternoon.", 0.3, KIND_TURN),
    (USER, "okay", None, KIND_BACKCHANNEL),  # placed inside the assistant turn above
    (USER, "Great, should I bring a jacket?", -0.25, KIND_TURN),  # overlaps the assistant
    (ASSISTANT, "A light one would be a good idea.", 0.35, KIND_TURN),
)


def _speech(say, text: str) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    audio, sr, words = say(text)
    out = resample(audio, sr, SR)
    return out, [(w, s, e) for w, s, e in words]


def make_dialogue(say, index: int, *, tail_s: float = 0.5) -> Dialogue:
    """One mixed + augmented dialogue (see module doc); ``index`` varies id and timing."""
    did = f"dlg-{index:04d}"
    placed = []  # (turn_index, speaker, text, kind, start_s, audio, words)
    t = 0.0
    prev_assistant = None
    for ti, (speaker, text, gap, kind) in enumerate(SCRIPT):
        audio, words = _speech(say, text)
        if kind == KIND_BACKCHANNEL:
            a_start, a_audio = prev_assistant
            start = a_start + 0.45 * len(a_audio) / SR
        else:
            start = max(0.0, t + gap + 0.05 * index)
            t = start + len(audio) / SR
        if speaker == ASSISTANT:
            prev_assistant = (start, audio)
        placed.append((ti, speaker, text, kind, start, audio, words))
    duration_s = max(p[4] + len(p[5]) / SR for p in placed) + tail_s
    n = int(round(duration_s * SR))
    clean = np.zeros((n, 2), np.float32)
    turns, tl_words, events = [], [], []
    for ti, speaker, text, kind, start, audio, words in placed:
        ch = CHANNEL_OF[speaker]
        i0 = int(round(start * SR))
        clean[i0 : i0 + len(audio), ch] += audio
        dur = len(audio) / SR
        start_r = round(i0 / SR, 6)
        turns.append(
            Turn(
                turn_index=ti,
                speaker=speaker,
                source_text=text,
                spoken_text=text,
                voice="piper:joe" if speaker == ASSISTANT else "piper:joe-user",
                audio=AudioRef(encode_flac(audio, SR), f"{did}-{ti}.flac"),
                sample_rate=SR,
                duration_s=dur,
                tts_words=tuple(Word(w, s, e, None, "tts") for w, s, e in words),
                words=tuple(Word(w, s, e, None, "tts") for w, s, e in words),
                start_s=start_r,
                end_s=round(start_r + dur, 6),
                channel=ch,
                kind=kind,
                interrupted=False,
                text=text,
            )
        )
        tl_words += [
            TimelineWord(w, round(start_r + s, 6), round(start_r + e, 6), ch, speaker, ti, kind)
            for w, s, e in words
        ]
        events += [
            Event(start_r, "backchannel" if kind == KIND_BACKCHANNEL else "turn_start", ch, ti),
            Event(round(start_r + dur, 6), "turn_end", ch, ti),
        ]
    rng = dialogue_rng(7, did, "augment")
    noise_db = float(rng.uniform(-55, -45))
    noisy = clean.copy()
    noisy[:, 1] += (10 ** (noise_db / 20) * rng.standard_normal(n)).astype(np.float32)
    labels = _labels(turns, duration_s)
    bc_audio, bc_words = _speech(say, "okay")
    params = {
        "synth": {"assistant_voice": "piper:joe", "user_voice": "piper:joe-user"},
        "mix": {"preset": "test", "gaps_s": [p[4] for p in placed]},
        "augment": {  # the augment stage's layout: one record per augmented channel
            "seed": 7,
            "changed": True,
            "augmented_channels": ["user"],
            "channels": {
                "user": {
                    "gain": {"applied": False},
                    "noise": {"applied": True, "level_db": round(noise_db, 2), "kind": "white"},
                    "echo": {"applied": index % 2 == 0, "delay_ms": 250, "scale": 0.1},
                    "reverb": {"applied": False},
                    "chain": {"applied": False},
                }
            },
        },
    }
    words_sorted = sorted(tl_words, key=lambda w: (w.start_s, w.channel))
    return Dialogue(
        id=did,
        source_file="sample.jsonl",
        source_index=index,
        record_id=f"r{index}",
        format="sharegpt",
        turns=tuple(turns),
        params=params,
        rewrite_method="rules",
        assistant_voice="piper:joe",
        user_voice="piper:joe-user",
        backchannels=(
            Backchannel(
                speaker=USER,
                voice="piper:joe-user",
                text="okay",
                audio=AudioRef(encode_flac(bc_audio, SR), "okay.flac"),
                sample_rate=SR,
                duration_s=len(bc_audio) / SR,
                words=tuple(Word(w, s, e) for w, s, e in bc_words),
            ),
        ),
        align_method="tts",
        audio=AudioRef(encode_flac(noisy, SR), f"{did}.flac"),
        sample_rate=SR,
        duration_s=n / SR,
        words=tuple(words_sorted),
        labels=labels,
        events=tuple(sorted(events, key=lambda e: (e.time_s, e.channel))),
        clean_audio=AudioRef(encode_flac(clean, SR), f"{did}.clean.flac"),
    )


def _labels(turns: list[Turn], duration_s: float) -> FrameLabels:
    nf = int(np.ceil(duration_s * FRAME_RATE))
    act = {0: np.zeros(nf, np.int8), 1: np.zeros(nf, np.int8)}
    for t in turns:
        a, b = int(t.start_s * FRAME_RATE), int(np.ceil(t.end_s * FRAME_RATE))
        act[t.channel][a:b] = 1
    return FrameLabels(
        frame_rate_hz=FRAME_RATE,
        num_frames=nf,
        activity_assistant=tuple(int(x) for x in act[0]),
        activity_user=tuple(int(x) for x in act[1]),
        state_assistant=tuple(int(x) for x in act[0]),
        state_user=tuple(int(x) for x in act[1]),
        state_names=("listen", "speak"),
    )


def augmented_rows(say, count: int = 3) -> list[dict]:
    """``count`` fabricated augment-stage rows (dicts, as ``write_stage_rows`` takes them)."""
    return [make_dialogue(say, i).to_row() for i in range(count)]


def aligned_rows(say, count: int = 3) -> list[dict]:
    """The same dialogues as the align stage leaves them (turn audio + words, no timeline)."""
    out = []
    for i in range(count):
        d = make_dialogue(say, i)
        turns = tuple(
            Turn(
                turn_index=n,
                speaker=t.speaker,
                source_text=t.source_text,
                spoken_text=t.spoken_text,
                voice=t.voice,
                audio=t.audio,
                sample_rate=t.sample_rate,
                duration_s=t.duration_s,
                tts_words=t.tts_words,
                words=t.words,
            )
            for n, t in enumerate(x for x in d.turns if x.kind == KIND_TURN)
        )
        aligned = d.replace(
            turns=turns,
            audio=None,
            sample_rate=None,
            duration_s=None,
            words=None,
            labels=None,
            events=None,
            clean_audio=None,
            params={k: v for k, v in d.params.items() if k == "synth"},
        )
        out.append(aligned.to_row())
    return out


def write_augmented(root, say, count: int = 3) -> list[dict]:
    """Write ``count`` fabricated rows as ``root/augmented``; returns the rows."""
    rows = augmented_rows(say, count)
    io.write_stage_rows(root, "augment", rows)
    return rows
