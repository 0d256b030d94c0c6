"""Word-alignment accuracy and speed of each backend (issue 5).

    .venv/bin/python bench/align.py [--utterances 8] [--seed 0]

1. Known-timing speech (``duplexsynth.align.accuracy``): words synthesized one by one with
   Piper, trimmed, joined by known silences; truth = where each clip was placed. Reports median
   and 90th-percentile absolute start/end errors and the real-time factor (wall-clock compute
   seconds per audio second; cpuRTF counts CPU seconds of all threads, less sensitive to load).
   Goals: median start error <= 30 ms on the default (tts) path, <= 80 ms ASR-based.
2. Connected speech (whole sentences): the reference is Piper's own phoneme timing, not an exact
   truth, so these figures say how far a recogniser lands from the TTS timing.

whisper-timestamped is measured when it is installed (the ``whisper`` extra): with the checkpoint
named by DUPLEXSYNTH_WHISPER_TS_MODEL, else the bundled tiny.en converted to openai-whisper's
format (``duplexsynth.align.convert``); otherwise it is listed as skipped.
Figures vary a little between runs (Piper's VITS samples noise) and with machine load.

    .venv/bin/python bench/align.py --yield [--quick] [--code-root DIR ...]

3. Yield (``bench/align_yield.py``): turns kept and words per alignment path when a TTS server
   gives no word timings, on multi-turn chat; ``--code-root`` measures other checkouts beside.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from duplexsynth.align.accuracy import (
    Accuracy,
    asr_align,
    build_connected,
    build_corpus,
    measure,
    tts_align,
)
from duplexsynth.align.backends.faster_whisper import FasterWhisperAligner


def row(label: str, acc: Accuracy) -> str:
    return (
        f"{label:<38} {acc.words:>5} {acc.start_median_ms:>8.1f} {acc.start_p90_ms:>8.1f} "
        f"{acc.end_median_ms:>8.1f} {acc.end_p90_ms:>8.1f} {acc.interpolated:>6} "
        f"{acc.failed_utterances:>5} {acc.rtf:>7.3f} {acc.cpu_rtf:>7.3f}"
    )


HEADER = (
    f"{'backend':<38} {'words':>5} {'start50':>8} {'start90':>8} {'end50':>8} {'end90':>8} "
    f"{'interp':>6} {'fail':>5} {'RTF':>7} {'cpuRTF':>7}"
)


def asr_backends() -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for label, trim in (("faster-whisper tiny.en", True), ("  ...without pause refinement", False)):
        aligner = FasterWhisperAligner(cpu_threads=2, trim_to_sound=trim)
        aligner.load()
        out.append((label, aligner))
    model = os.environ.get("DUPLEXSYNTH_WHISPER_TS_MODEL")
    try:
        import whisper_timestamped  # noqa: F401

        have_wt = True
    except ImportError:
        have_wt = False
    if have_wt:
        from duplexsynth.align.backends.whisper_ts import WhisperTimestampedAligner

        if not model:  # the bundled tiny.en, converted to openai-whisper's format once
            from duplexsynth.align.convert import convert_ct2_to_openai
            from duplexsynth.cache import default_cache_dir

            model = os.path.join(default_cache_dir(), "align", "tiny.en-openai.pt")
            if not os.path.exists(model):
                convert_ct2_to_openai(None, model)
        wt = WhisperTimestampedAligner(model, device="cpu")
        wt.load()
        out.append((f"whisper-timestamped {os.path.basename(model)}", wt))
    else:
        print("(whisper-timestamped skipped: not installed; pip install 'duplexsynth[whisper]')")
    return out


def main() -> int:
    if "--yield" in sys.argv[1:]:  # the yield of each alignment path on served TTS (issue 15)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from align_yield import main as yield_main

        return yield_main([a for a in sys.argv[1:] if a != "--yield"])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--utterances", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    corpus = build_corpus(args.utterances, seed=args.seed)
    audio_s = sum(c.duration_s for c in corpus)
    print(
        f"known-timing corpus: {len(corpus)} utterances, {sum(len(c.truth) for c in corpus)} words, "
        f"{audio_s:.1f} s audio (built in {time.perf_counter() - t0:.1f} s)"
    )
    backends = asr_backends()
    print("\n1. known timing (errors in ms, |predicted - true|)")
    print(HEADER)
    print(row("tts (default path)", measure("tts", corpus, tts_align)))
    for label, aligner in backends:
        print(row(label, measure(label, corpus, asr_align(aligner))))

    connected = build_connected()
    print(
        f"\n2. connected speech: {len(connected)} sentences, "
        f"{sum(len(c.truth) for c in connected)} words; reference = Piper's own timing"
    )
    print(HEADER)
    for label, aligner in backends:
        print(row(label, measure(label, connected, asr_align(aligner))))
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
