"""Build stereo "recordings" with a known, un-Fisher-like timing out of real espeak speech.

Used to test and measure ``duplexsynth fit-timing``: slow replies (gaps around a second), few
overlaps, long pauses between a speaker's sentences and rare backchannels. Each conversation is
a stereo WAV (channel 0 = assistant side, channel 1 = user side) at 16 kHz. Sentences come from
``bench/chat_corpus.py``'s templates, so the text differs from any corpus a test mixes.

Run: ``python bench/slow_recordings.py OUT_DIR [--conversations 6] [--seed 7]``.
Import: ``from bench.slow_recordings import write_recordings``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duplexsynth.audio import resample  # noqa: E402
from duplexsynth.synth.backends.espeak import EspeakBackend  # noqa: E402

SR = 16000
#: the timing these recordings are built with (what a fit should find)
SLOW = {
    "gap_s": (0.7, 1.3),  # uniform, between turns
    "overlap_prob": 0.15,
    "overlap_s": (0.2, 0.4),
    "pause_s": (0.8, 1.4),  # between the sentences of one turn
    "backchannel_prob": 0.3,  # per pause of the other speaker
}
SENTENCES = [
    "I would start with the basics and build up slowly over a few weeks.",
    "That depends a lot on how much time you have each day.",
    "Most people find the first month the hardest part.",
    "You can always change the plan later if it does not work.",
    "Keep a small notebook and write down what you tried.",
    "It is fine to take a day off when you feel tired.",
    "The cheaper option is usually good enough to begin with.",
    "Ask someone who has done it before, they will know the pitfalls.",
    "Try it once this weekend and see how it feels.",
    "What did you think of the last thing we talked about?",
    "Could you tell me a bit more about that?",
    "I see what you mean, that sounds sensible.",
]
BACKCHANNELS = ["mm-hmm", "yeah", "right", "okay"]


class _Say:
    def __init__(self) -> None:
        self.engine = EspeakBackend()
        self.engine.load()
        self.cache: dict[tuple[str, str], np.ndarray] = {}

    def __call__(self, text: str, variant: str) -> np.ndarray:
        key = (text, variant)
        if key not in self.cache:
            r = self.engine.synthesize(text, {"voice": "en-us", "variant": variant})
            audio = resample(np.asarray(r.audio, dtype=np.float32), r.sample_rate, SR)
            nz = np.flatnonzero(np.abs(audio) > 1e-3)  # trim the engine's lead-in and tail
            self.cache[key] = audio[nz[0] : nz[-1] + 1] if nz.size else audio
        return self.cache[key]


def build_conversation(say: _Say, rng: np.random.Generator, turns: int = 12) -> np.ndarray:
    """One stereo conversation with the SLOW timing (float32, ``(samples, 2)``)."""
    voices = ("m3", "f2")  # channel 0, channel 1
    pieces: list[tuple[int, int, np.ndarray]] = []  # (channel, start sample, audio)
    t = int(0.3 * SR)
    for k in range(turns):
        ch = 1 if k % 2 == 0 else 0
        if k > 0:
            if rng.random() < SLOW["overlap_prob"]:
                t -= int(rng.uniform(*SLOW["overlap_s"]) * SR)
            else:
                t += int(rng.uniform(*SLOW["gap_s"]) * SR)
        count = int(rng.integers(1, 4))
        for n in range(count):
            audio = say(SENTENCES[int(rng.integers(len(SENTENCES)))], voices[ch])
            pieces.append((ch, t, audio))
            t += audio.shape[0]
            if n < count - 1:
                pause = int(rng.uniform(*SLOW["pause_s"]) * SR)
                if rng.random() < SLOW["backchannel_prob"]:
                    bc = say(BACKCHANNELS[int(rng.integers(len(BACKCHANNELS)))], voices[1 - ch])
                    pieces.append((1 - ch, t + int(0.25 * SR), bc * 0.5))
                t += pause
    out = np.zeros((t + int(0.5 * SR), 2), dtype=np.float32)
    for ch, start, audio in pieces:
        end = min(out.shape[0], start + audio.shape[0])
        out[start:end, ch] += audio[: end - start]
    return out


def write_recordings(out_dir: str | Path, conversations: int = 6, seed: int = 7) -> list[Path]:
    """Write ``conversations`` stereo WAVs under ``out_dir``; same arguments, same files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = _Say()
    paths = []
    for i in range(conversations):
        stereo = build_conversation(say, np.random.default_rng([seed, i]))
        path = out / f"slow-{i:03d}.wav"
        sf.write(path, stereo, SR, subtype="PCM_16")
        paths.append(path)
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--conversations", type=int, default=6)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    paths = write_recordings(args.out_dir, args.conversations, args.seed)
    print(f"wrote {len(paths)} stereo conversations to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
