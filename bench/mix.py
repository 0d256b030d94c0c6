"""Realism and speed of the mix stage: real chat with real TTS, and generated dialogues.

Run: ``PYTHONPATH=. .venv/bin/python bench/mix.py [--quick] [--dialogues 300]
[--chat-dialogues 8] [--mix-seeds 3] [--engines espeak,default]``.

**Real multi-turn chat** (``bench/mix_chat.py``): ``bench/chat_corpus.py`` dialogues (25 turns,
2-3 min each) synthesized once per engine (espeak voices, default Piper/Kokoro voices) and kept
in the content cache, mixed with ``natural`` and measured *from the audio* (speech activity per
channel, IPUs bridged over < 0.2 s): the four per-minute figures against Fisher (goal +-20%), the
gap mode, where backchannels start, and the fit round trip (slow espeak recordings ->
``fit-timing`` -> mix the chat text with the fitted knobs; goal +-25% of the recordings).

**Generated dialogues** (speed, and the word-timing figures of earlier versions): TTS is not
part of this half: each turn is *synthetic speech-like audio with known word
times* (band-limited noise bursts shaped like words, with the inter-word gaps and
phrase/sentence pauses of read speech), so the timing statistics measure the scheduler alone.
Dialogue shapes follow what the pipeline feeds the mixer after the spoken-style rewrite:
1-4 exchanges, user turns of 1-2 short sentences, assistant turns of 1-4 sentences (about
6-16 words each), and a per-voice backchannel lexicon with two stop commands for the user.

Prints, for the ``natural`` preset (and ``omniflatten``/``lively`` for contrast), the per-minute
IPU/pause/gap/overlap seconds beside the Fisher reference (informational: these dialogues are far
shorter than chat, so they have other per-minute figures), and the mixing throughput in audio seconds per CPU second (goal >= 200x real time): the CPU time
of ``mix_dialogue`` only (decode clips, plan, render, labels, FLAC encode), inputs prepared
beforehand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duplexsynth.audio import encode_flac  # noqa: E402
from duplexsynth.mix import MixConfig, mix_dialogue  # noqa: E402
from duplexsynth.mix.stats import (  # noqa: E402
    FISHER_PER_MINUTE,
    combine,
    dialogue_timing,
    summarize,
)
from duplexsynth.schemas.records import (  # noqa: E402
    AudioRef,
    Backchannel,
    Dialogue,
    Turn,
    Word,
)

SR = 24000
CHAT_TOLERANCE = 0.20
FIT_TOLERANCE = 0.25
KEYS = ("ipu_s", "pause_s", "gap_s", "overlap_s")
GOAL_SPEED = 200.0


# --------------------------------------------------------------------------- synthetic speech
_NOISE_TABLE: np.ndarray | None = None


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` samples of smoothed noise: a random slice of a fixed 30 s table (cheap to make)."""
    global _NOISE_TABLE
    if _NOISE_TABLE is None:
        white = np.random.default_rng(12345).standard_normal(30 * SR + 7)
        c = np.cumsum(white)
        _NOISE_TABLE = ((c[7:] - np.concatenate(([0.0], c[:-8]))) / 8.0).astype(np.float32)
    table = _NOISE_TABLE
    if n > table.shape[0]:
        return np.resize(table, n)
    start = int(rng.integers(0, table.shape[0] - n + 1))
    return table[start : start + n]


def _speech_like(rng: np.random.Generator, spans: list[tuple[int, int]], n: int) -> np.ndarray:
    """``n`` samples: smoothed noise inside each word span (10 ms ramps, a level per word),
    exact silence elsewhere."""
    out = np.zeros(n, dtype=np.float32)
    ramp = int(0.01 * SR)
    for a, b in spans:
        k = np.arange(b - a, dtype=np.float32)
        env = np.minimum(1.0, np.minimum(k, k[::-1]) / ramp) * rng.uniform(0.15, 0.35)
        out[a:b] = _noise(rng, b - a) * env
    return out


def _utterance(
    rng: np.random.Generator, sentences: list[int]
) -> tuple[np.ndarray, tuple[Word, ...], str]:
    """Audio + word times + text for sentences of the given word counts.

    Inside a phrase words are 0-60 ms apart; a comma pauses 120-300 ms, a sentence end
    250-550 ms; the clip has 40-150 ms of lead-in and 80-250 ms of tail silence, like TTS output.
    """
    pos = int(rng.uniform(0.04, 0.15) * SR)
    spans, words, tokens = [], [], []
    for si, count in enumerate(sentences):
        comma_at = int(rng.integers(3, count)) if count >= 7 and rng.random() < 0.6 else -1
        for wi in range(count):
            n = int(float(np.clip(rng.lognormal(np.log(0.26), 0.35), 0.08, 0.7)) * SR)
            token = f"w{len(tokens)}" + ("." if wi == count - 1 else "," if wi == comma_at else "")
            words.append(Word(token, pos / SR, (pos + n) / SR, method="synthetic"))
            spans.append((pos, pos + n))
            tokens.append(token)
            pos += n
            if wi == count - 1:
                pause = rng.uniform(0.25, 0.55) if si < len(sentences) - 1 else 0.0
            elif wi == comma_at:
                pause = rng.uniform(0.12, 0.3)
            else:
                pause = rng.uniform(0.0, 0.06)
            pos += int(pause * SR)
    total = pos + int(rng.uniform(0.08, 0.25) * SR)
    return _speech_like(rng, spans, total), tuple(words), " ".join(tokens)


def _token(rng: np.random.Generator, texts: list[str]) -> tuple[np.ndarray, tuple[Word, ...]]:
    """A backchannel/stop-command clip: one 200-350 ms burst per word, 50 ms apart."""
    pos = int(rng.uniform(0.03, 0.08) * SR)
    spans, words = [], []
    for text in texts:
        n = int(rng.uniform(0.2, 0.35) * SR)
        words.append(Word(text, pos / SR, (pos + n) / SR))
        spans.append((pos, pos + n))
        pos += n + int(0.05 * SR)
    return _speech_like(rng, spans, pos + int(0.03 * SR)), tuple(words)


LEXICON = {
    "user": ("mm-hmm", "yeah", "right", "okay", "uh-huh", "hold on", "wait, stop"),
    "assistant": ("mm-hmm", "I see", "right"),
}


def make_dialogue(i: int, seed: int) -> Dialogue:
    rng = np.random.default_rng([seed, i])
    exchanges = int(rng.integers(1, 5))
    turns = []
    for k in range(2 * exchanges):
        if k % 2 == 0:
            sentences = [int(rng.integers(3, 13)) for _ in range(int(rng.integers(1, 3)))]
        else:
            sentences = [int(rng.integers(6, 17)) for _ in range(int(rng.integers(1, 5)))]
        audio, words, text = _utterance(rng, sentences)
        turns.append(
            Turn(
                turn_index=k,
                speaker="user" if k % 2 == 0 else "assistant",
                source_text=text,
                spoken_text=text,
                voice="synthetic",
                audio=AudioRef(encode_flac(audio, SR)),
                sample_rate=SR,
                duration_s=audio.shape[0] / SR,
                words=words,
            )
        )
    lexicon = []
    for speaker, entries in LEXICON.items():
        for text in entries:
            audio, words = _token(rng, text.split())
            lexicon.append(
                Backchannel(
                    speaker,
                    "synthetic",
                    text,
                    AudioRef(encode_flac(audio, SR)),
                    SR,
                    audio.shape[0] / SR,
                    words,
                )
            )
    return Dialogue(
        id=f"bench-{i:05d}",
        source_file="bench",
        source_index=i,
        record_id=None,
        format="synthetic",
        turns=tuple(turns),
        backchannels=tuple(lexicon),
    )


# --------------------------------------------------------------------------------- the bench
def run_preset(
    dialogues: list[Dialogue], config: MixConfig, seed: int
) -> tuple[dict, float, float]:
    """(stats summary, audio seconds, CPU seconds of mix_dialogue)."""
    timings, audio_s, cpu_s = [], 0.0, 0.0
    for d in dialogues:
        t0 = time.process_time()
        out = mix_dialogue(d, config, seed)
        cpu_s += time.process_time() - t0
        if not isinstance(out, Dialogue):
            raise RuntimeError(f"{d.id} rejected: {out.detail}")
        audio_s += out.duration_s
        timings.append(dialogue_timing(out.words, out.duration_s, events=out.events))
    return summarize(combine(timings)), audio_s, cpu_s


def _row(label: str, pm: dict, ref: dict | None = None) -> str:
    cells = "".join(f"{pm[k]:>11.2f}" for k in KEYS)
    if ref is not None:
        cells += "   " + " ".join(f"{pm[k] / ref[k]:.2f}x" if ref[k] else "n/a" for k in KEYS)
    return f"{label:<20}{cells}"


def chat_section(args: argparse.Namespace, natural: MixConfig) -> tuple[bool, bool | None]:
    """Real chat with real TTS, measured from the audio: (all engines within +-20%, fit ok)."""
    from bench.mix_chat import aligned_chat, fit_round_trip, measure

    print(
        f"== real multi-turn chat ({args.chat_dialogues} dialogues per engine, each mixed with "
        f"{args.mix_seeds} seeds, pooled), from the audio"
    )
    print(f"{'s per minute':<20}" + "".join(f"{k:>11}" for k in KEYS) + "   ratio to Fisher")
    print(f"{'human (Fisher)':<20}" + "".join(f"{FISHER_PER_MINUTE[k]:>11.2f}" for k in KEYS))
    espeak, chat_ok, fit_ok = None, True, None
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        chat = aligned_chat(engine, args.chat_dialogues, args.seed)
        if engine == "espeak":
            espeak = chat
        s = measure(chat, natural, args.seed, args.mix_seeds)
        pm = s["per_minute"]
        print(_row(f"natural, {engine}", pm, FISHER_PER_MINUTE))
        within = all(abs(pm[k] / FISHER_PER_MINUTE[k] - 1) <= CHAT_TOLERANCE for k in KEYS)
        chat_ok &= within
        bc = s["bc_well_placed"]
        print(
            f"  {s['audio_s'] / 60:.1f} min; gap mode {s['gap']['mode_s']:.3f}s median "
            f"{s['gap']['median_s']:.3f}s; pause median {s['pause']['median_s']:.3f}s; "
            f"backchannels {s['counts_per_minute']['backchannel']:.1f}/min of audio, "
            f"{s['bc_per_min_of_other_speech']:.1f}/min of the other's speech, "
            f"{'n/a' if bc is None else f'{100 * bc:.0f}%'} start in the other's silence or "
            f"<= 0.5 s after their speech run; {s['audio_s'] / s['cpu_s']:.0f}x real time; "
            f"{'within' if within else 'OUTSIDE'} +-20% of Fisher"
        )
    if args.fit_conversations and espeak is not None:
        ref, got = fit_round_trip(espeak, args.fit_conversations, args.seed, args.mix_seeds)
        print(
            f"\n== fit round trip ({args.fit_conversations} slow espeak recordings -> fit-timing ->"
        )
        print("   the espeak chat text mixed with the fitted knobs), from the audio")
        print(_row("recordings", ref["per_minute"]))
        print(_row("fitted mix", got["per_minute"], ref["per_minute"]) + "   ratio to recordings")
        print(
            _row(
                "natural (for scale)",
                measure(espeak, natural, args.seed, args.mix_seeds)["per_minute"],
                ref["per_minute"],
            )
        )
        bad = [
            k for k in KEYS if abs(got["per_minute"][k] / ref["per_minute"][k] - 1) > FIT_TOLERANCE
        ]
        fit_ok = not bad
        print(
            f"  fit round trip: {'all within' if not bad else 'OUTSIDE for ' + ', '.join(bad) + ';'} +-25%"
        )
    print()
    return chat_ok, fit_ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dialogues", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--contrast",
        type=int,
        default=100,
        help="dialogues mixed with omniflatten and lively for contrast (0: skip)",
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help="override a MixConfig knob of the natural preset (repeatable), e.g. --set fade_ms=50",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="4 chat dialogues per engine (~10 min of audio each), 60 generated dialogues",
    )
    ap.add_argument(
        "--chat-dialogues", type=int, default=8, help="chat dialogues per engine (0: skip)"
    )
    ap.add_argument("--engines", default="espeak,default", help="comma-separated: espeak,default")
    ap.add_argument(
        "--mix-seeds",
        type=int,
        default=3,
        help="mix each chat dialogue with this many seeds and pool (less scheduling noise)",
    )
    ap.add_argument("--fit-conversations", type=int, default=6, help="0: skip the fit round trip")
    args = ap.parse_args()
    if args.quick:
        args.dialogues, args.contrast = min(args.dialogues, 60), min(args.contrast, 30)
        args.chat_dialogues = min(args.chat_dialogues, 4)
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)
    natural = MixConfig.from_dict({"preset": "natural", **overrides})

    t0 = time.perf_counter()
    chat_ok = chat_section(args, natural) if args.chat_dialogues else None
    print("== generated short dialogues (1-4 exchanges), from the word timings, for speed")
    t_gen = time.perf_counter()
    dialogues = [make_dialogue(i, args.seed) for i in range(args.dialogues)]
    print(
        f"generated {len(dialogues)} dialogues in {time.perf_counter() - t_gen:.1f}s "
        "(synthetic speech-like bursts with known word times; no TTS)"
    )

    results = {"natural": run_preset(dialogues, natural, args.seed)}
    if args.contrast:
        for preset in ("omniflatten", "lively"):
            results[preset] = run_preset(
                dialogues[: args.contrast], MixConfig(preset=preset), args.seed
            )

    keys = ("ipu_s", "pause_s", "gap_s", "overlap_s")
    print()
    print(f"{'per minute of audio':<20}" + "".join(f"{k:>11}" for k in keys))
    print(f"{'human (Fisher)':<20}" + "".join(f"{FISHER_PER_MINUTE[k]:>11.2f}" for k in keys))
    for preset, (summary, _, _) in results.items():
        pm = summary["per_minute"]
        print(f"{preset:<20}" + "".join(f"{pm[k]:>11.2f}" for k in keys))

    summary, audio_s, cpu_s = results["natural"]
    pm = summary["per_minute"]
    print()
    for k in ("gap_s", "overlap_s"):
        ratio = pm[k] / FISHER_PER_MINUTE[k]
        print(
            f"natural {k:<10} {pm[k]:6.2f} s/min vs {FISHER_PER_MINUTE[k]:.1f} "
            f"-> {100 * (ratio - 1):+.0f}% (short dialogues: informational, no goal)"
        )
    g, o, c = summary["gap"], summary["overlap"], summary["counts_per_minute"]
    print(
        f"natural gaps: mean {g['mean_s']:.3f}s median {g['median_s']:.3f}s mode {g['mode_s']:.3f}s "
        f"<0.5s {100 * g['share_under_0_5_s']:.0f}%; overlaps: mean {o['mean_s']:.3f}s "
        f"median {o['median_s']:.3f}s; share of speech {100 * summary['overlap_share_of_speech']:.1f}%"
    )
    print(
        f"natural per minute: {c['backchannel']:.1f} backchannels, {c['interruption']:.2f} "
        f"interruptions, {c['gap']:.1f} gaps, {c['overlap']:.1f} overlaps "
        f"({summary['audio_hours'] * 60:.1f} min of audio)"
    )
    speed = audio_s / cpu_s
    print(
        f"\nmixing throughput (natural, 1 process): {audio_s:.0f} s of audio in {cpu_s:.2f} CPU s "
        f"= {speed:.0f}x real time (goal >= {GOAL_SPEED:.0f}x)"
    )
    realism = "not measured" if chat_ok is None else ("MET" if all(chat_ok) else "NOT MET")
    fit = (
        "not measured"
        if chat_ok is None or chat_ok[1] is None
        else ("MET" if chat_ok[1] else "NOT MET")
    )
    print(
        f"\nchat realism goal (+-20% of Fisher, every engine) {realism}; fit round trip goal "
        f"(+-25%) {fit}; speed goal {'MET' if speed >= GOAL_SPEED else 'NOT MET'}; "
        f"wall {time.perf_counter() - t0:.0f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
