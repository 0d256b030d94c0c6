"""The realism half of ``bench/mix.py``: real multi-turn chat, real TTS, figures from the audio.

``aligned_chat(engine, dialogues)`` synthesizes and aligns ``bench/chat_corpus.py`` dialogues once
with the CLI stages (filter -> rewrite -> synth -> align) and keeps the aligned shards under the
content cache (``$DUPLEXSYNTH_CACHE/bench-chat/<key>``), keyed by the corpus arguments, the voice
bank and the code of the stages before mix; later runs only mix. ``measure`` mixes every
dialogue, measures speech activity per channel from the stereo audio (energy VAD, IPUs bridged
over < 0.2 s) and returns the per-minute figures, the distributions, the backchannel placement
and rate, and the mixing CPU time. ``fit_round_trip`` builds slow stereo recordings from espeak
speech, fits them with ``fit-timing`` and mixes the chat dialogues with the fitted knobs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_corpus import write_corpus  # noqa: E402
from bench.slow_recordings import write_recordings  # noqa: E402
from duplexsynth.audio import decode_audio  # noqa: E402
from duplexsynth.cache import default_cache_dir  # noqa: E402
from duplexsynth.mix import MixConfig, mix_dialogue  # noqa: E402
from duplexsynth.mix.activity import backchannel_placement, stereo_runs  # noqa: E402
from duplexsynth.mix.fit import fit_timing  # noqa: E402
from duplexsynth.mix.stats import combine, ipu_timing, summarize  # noqa: E402
from duplexsynth.pipelines.io import read_folder_rows  # noqa: E402
from duplexsynth.schemas.records import Dialogue  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: voice bank per engine label
ENGINES = {"espeak": "espeak", "default": "default"}
_STAGE_CODE = ("filters", "rewrite", "synth", "align")


def _code_hash() -> str:
    h = hashlib.sha256()
    for sub in _STAGE_CODE:
        for p in sorted((ROOT / "duplexsynth" / sub).rglob("*.py")):
            h.update(p.read_bytes())
    h.update((ROOT / "bench" / "chat_corpus.py").read_bytes())
    return h.hexdigest()[:16]


def aligned_chat(engine: str, dialogues: int, seed: int = 0) -> list[Dialogue]:
    """Aligned chat dialogues for ``engine`` (synthesized once, then read from the cache)."""
    key = f"{engine}-{dialogues}-{seed}-{_code_hash()}"
    root = Path(default_cache_dir()) / "bench-chat" / key
    if not (root / "aligned").is_dir():
        tmp = Path(
            tempfile.mkdtemp(prefix=f".{key}-", dir=root.parent if root.parent.exists() else None)
        )
        corpus = tmp / "chat.jsonl"
        write_corpus(corpus, dialogues=dialogues, seed=seed)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cli = [sys.executable, "-m", "duplexsynth.cli"]
        steps = [
            ["filter", "-i", str(corpus)],
            ["rewrite", "-i", str(tmp)],
            ["synth", "-i", str(tmp), "--voice-bank", ENGINES[engine]],
            ["align", "-i", str(tmp)],
        ]
        t0 = time.perf_counter()
        for step in steps:
            subprocess.run(cli + step + ["-o", str(tmp)], check=True, env=env, capture_output=True)
        print(
            f"  synthesized {dialogues} chat dialogues with {engine} in {time.perf_counter() - t0:.0f}s"
        )
        root.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, root)
    return [Dialogue.from_row(r) for r in read_folder_rows(root / "aligned")]


def measure(dialogues: list[Dialogue], config: MixConfig, seed: int = 0, seeds: int = 1) -> dict:
    """Mix every dialogue with ``config`` (``seeds`` times: seeds ``seed`` .. ``seed+seeds-1``,
    pooled); figures measured from the stereo audio."""
    stats, cpu_s, audio_s = [], 0.0, 0.0
    ok = total = 0
    bc_count, other_speech_s = 0, 0.0
    for d in dialogues:
        for s in range(seed, seed + seeds):
            t0 = time.process_time()
            out = mix_dialogue(d, config, s)
            cpu_s += time.process_time() - t0
            if not isinstance(out, Dialogue):
                raise RuntimeError(f"{d.id} rejected: {out.detail}")
            x, sr = decode_audio(out.audio.bytes)
            runs = stereo_runs(x, sr)
            stats.append(ipu_timing(runs, out.duration_s, out.events))
            audio_s += out.duration_s
            good, n = backchannel_placement(out.turns, runs)
            ok, total = ok + good, total + n
            bc_count += n
            other_speech_s += sum(t.end_s - t.start_s for t in out.turns if t.kind == "turn")
    summary = summarize(combine(stats))
    summary["bc_well_placed"] = ok / total if total else None
    summary["bc_per_min_of_other_speech"] = (
        bc_count / (other_speech_s / 60.0) if other_speech_s else None
    )
    summary["cpu_s"] = cpu_s
    summary["audio_s"] = audio_s
    return summary


def fit_round_trip(
    dialogues: list[Dialogue], conversations: int = 6, seed: int = 0, seeds: int = 3
) -> tuple[dict, dict]:
    """(the recordings' measured summary, the fitted mix of ``dialogues`` measured, each
    dialogue mixed with ``seeds`` seeds and pooled: the recordings' timing is fixed, so more
    mixes only lower the sampling noise of the comparison)."""
    with tempfile.TemporaryDirectory() as tmp:
        write_recordings(tmp, conversations=conversations, seed=7)
        fit = fit_timing([tmp])
    return fit.measured, measure(dialogues, MixConfig.from_dict(fit.mix), seed, seeds)
