"""Fit the mix stage's timing knobs to real two-channel conversations (``duplexsynth fit-timing``).

Inputs are stereo recordings with one speaker per channel (channel 0 = the side that plays the
assistant, channel 1 = the user, moshi-finetune's convention): WAV/FLAC files or folders of them
(a moshi-finetune export is such a folder), or a duplexsynth output root (its final, augmented or
mixed shards; the clean mix before augmentation when the rows keep it). Speech activity per
channel comes from the energy VAD of ``activity.py``; runs shorter than ``BACKCHANNEL_MAX_S``
that start while the other speaker holds the floor (inside their run, or in their silence with
the other resuming after) are backchannels, the rest are floor IPUs. From those:

* **gaps/overlaps per direction**: the offset from one speaker's last floor IPU to the other's
  next (channel 1 -> 0 = ``reply_*``; channel 0 -> 1 = ``user_gap_*``, overlaps there =
  interruptions, whose overlap lengths set the reaction delay); positive offsets fit a
  log-normal (mode and sigma from the log moments);
* **pauses**: silences between floor IPUs of one speaker; their lengths fit the pause
  log-normal, their count per minute of floor speech is ``pause_rate_per_min``;
* **backchannels**: rate per minute of the other's speech, onset after the other's run end,
  how far they run into the other's next run, level relative to the other's speech RMS.

The result is a :class:`TimingFit`: ``mix`` (MixConfig knobs, natural preset underneath) and
``measured`` (the recordings' own stats summary), written as YAML for ``--timing``/``--reference``.
"""

from __future__ import annotations

import glob
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from duplexsynth.mix.activity import run_rms, stereo_bytes, stereo_runs
from duplexsynth.mix.stats import TimingStats, combine, ipu_timing, summarize

BACKCHANNEL_MAX_S = 1.0
#: an overlapping start longer than this is an interruption, not an early start
EARLY_START_MAX_S = 0.8
#: mean time from an interruption's reaction point to the end of the word being said
WORD_REST_S = 0.18
AUDIO_EXTENSIONS = (".wav", ".flac")
TIMING_VERSION = 1


@dataclass
class Recording:
    """One stereo conversation: its name and per-channel speech runs (plus levels)."""

    name: str
    duration_s: float
    runs: dict[int, list[tuple[float, float]]]
    rms: dict[int, list[float]]


def _stereo(audio: np.ndarray, name: str) -> np.ndarray:
    if audio.ndim != 2 or audio.shape[1] != 2:
        shape = audio.shape[1] if audio.ndim == 2 else 1
        raise ValueError(f"{name}: expected 2 channels (one speaker each), got {shape}")
    return audio


def measure(audio: np.ndarray, sample_rate: int, name: str) -> Recording:
    """Speech runs and their RMS for both channels of one stereo array."""
    audio = _stereo(audio, name)
    runs = stereo_runs(audio, sample_rate)
    rms = {ch: run_rms(audio[:, ch], sample_rate, runs[ch]) for ch in (0, 1)}
    return Recording(name, audio.shape[0] / sample_rate, runs, rms)


def _audio_files(path: str) -> list[str]:
    if os.path.isfile(path):
        return [path]
    found = []
    for ext in AUDIO_EXTENSIONS:
        found += glob.glob(os.path.join(path, "**", f"*{ext}"), recursive=True)
    return sorted(found)


def _parquet_folder(path: str) -> str | None:
    for name in ("dialogues", "augmented", "mixed", ""):
        folder = os.path.join(path, name) if name else path
        if glob.glob(os.path.join(folder, "part-*.parquet")):
            return folder
    return None


def iter_recordings(inputs: Iterable[str], limit: int | None = None) -> Iterator[Recording]:
    """Every stereo conversation under ``inputs`` (files, folders, duplexsynth outputs)."""
    import soundfile as sf

    n = 0
    for path in inputs:
        if not os.path.exists(path):
            raise ValueError(f"fit-timing input {path!r} does not exist")
        folder = _parquet_folder(path) if os.path.isdir(path) else None
        if folder is not None:
            import pyarrow.parquet as pq

            from duplexsynth.audio import decode_audio

            for f in sorted(glob.glob(os.path.join(folder, "part-*.parquet"))):
                pf = pq.ParquetFile(f)
                cols = [c for c in ("id", "audio", "clean_audio") if c in pf.schema_arrow.names]
                for batch in pf.iter_batches(batch_size=8, columns=cols):
                    for row in batch.to_pylist():
                        if limit is not None and n >= limit:
                            return
                        data = stereo_bytes(row)
                        if data is None:
                            continue
                        audio, sr = decode_audio(data, always_2d=True)
                        n += 1
                        yield measure(audio, sr, f"{f}:{row['id']}")
            continue
        files = _audio_files(path)
        if not files:
            raise ValueError(f"no .wav/.flac files or duplexsynth shards under {path!r}")
        for f in files:
            if limit is not None and n >= limit:
                return
            audio, sr = sf.read(f, dtype="float32", always_2d=True)
            n += 1
            yield measure(audio, int(sr), f)


# ----------------------------------------------------------------------------- classification
@dataclass
class Events:
    """Everything measured from a set of recordings, pooled."""

    duration_s: float = 0.0
    floor_speech_s: dict[int, float] = field(default_factory=lambda: {0: 0.0, 1: 0.0})
    offsets: dict[int, list[float]] = field(default_factory=lambda: {0: [], 1: []})  # by new ch
    pauses: list[float] = field(default_factory=list)
    bc_count: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0})  # by listener ch
    bc_onsets: list[float] = field(default_factory=list)
    bc_levels_db: list[float] = field(default_factory=list)
    bc_in_silence: int = 0
    bc_resume_overlaps: list[float] = field(default_factory=list)  # into the other's next run
    stats: list[TimingStats] = field(default_factory=list)


def _inside(t: float, runs: list[tuple[float, float]]) -> int | None:
    for i, (a, b) in enumerate(runs):
        if a <= t < b:
            return i
    return None


def classify(rec: Recording, ev: Events) -> None:
    """Add one recording's backchannels, transitions and pauses to ``ev``."""
    ev.duration_s += rec.duration_s
    ev.stats.append(ipu_timing(rec.runs, rec.duration_s))
    floor: list[tuple[float, float, int, float]] = []
    for ch in (0, 1):
        other = rec.runs[1 - ch]
        other_level = float(np.median(rec.rms[1 - ch])) if rec.rms[1 - ch] else 0.0
        for (a, b), level in zip(rec.runs[ch], rec.rms[ch]):
            if b - a < BACKCHANNEL_MAX_S:
                inside = _inside(a, other)
                before = [e for s, e in other if e <= a]
                after = [s for s, e in other if s >= b]
                resumes = after and (after[0] - b) < 1.5 and before
                if inside is not None and other[inside][1] > b or (inside is None and resumes):
                    ev.bc_count[ch] += 1
                    if inside is None:
                        ev.bc_in_silence += 1
                        ev.bc_onsets.append(a - before[-1])
                        ev.bc_resume_overlaps.append(max(0.0, b - after[0]))
                    if level > 0 and other_level > 0:
                        ev.bc_levels_db.append(20 * math.log10(level / other_level))
                    continue
            floor.append((a, b, ch, level))
    floor.sort()
    for ch in (0, 1):
        ev.floor_speech_s[ch] += sum(b - a for a, b, c, _ in floor if c == ch)
    for (_, b0, c0, _), (a1, _, c1, _) in zip(floor, floor[1:]):
        if c1 == c0:
            if a1 > b0:
                ev.pauses.append(a1 - b0)
        else:
            ev.offsets[c1].append(a1 - b0)


# ------------------------------------------------------------------------------------ fitting
def fit_lognormal(values: list[float]) -> tuple[float, float] | None:
    """(mode, sigma) of the log-normal with the log-moments of ``values`` (> 0); None if < 5."""
    x = np.asarray([v for v in values if v > 0], dtype=np.float64)
    if x.size < 5:
        return None
    logs = np.log(x)
    mu, sigma = float(logs.mean()), float(logs.std())
    return math.exp(mu - sigma * sigma), sigma


def _pct(values: list[float], q: float, default: float) -> float:
    return float(np.percentile(values, q)) if values else default


def _variation(ev: Events) -> float:
    """Spread between recordings: the standard deviation of the log of each recording's mean
    gap and of its pause share (0 with fewer than three recordings), at most 0.5."""
    gaps = [math.log(float(np.mean(s.gaps))) for s in ev.stats if s.gaps]
    pauses = [
        math.log(sum(s.pauses) / s.duration_s) for s in ev.stats if s.pauses and s.duration_s > 0
    ]
    spreads = [float(np.std(v)) for v in (gaps, pauses) if len(v) >= 3]
    return min(0.5, float(np.mean(spreads))) if spreads else 0.0


def fit_knobs(ev: Events) -> dict[str, Any]:
    """MixConfig knobs (natural underneath) that reproduce the measured timing."""
    knobs: dict[str, Any] = {"preset": "natural"}
    for ch, prefix in ((0, "reply"), (1, "user")):
        offs = ev.offsets[ch]
        if not offs:
            continue
        gaps = [o for o in offs if o > 0]
        fitted = fit_lognormal(gaps)
        if fitted:
            mode, sigma = fitted
            knobs[f"{prefix}_gap_mode_s"] = round(max(mode, 0.01), 4)
            knobs[f"{prefix}_gap_sigma"] = round(sigma, 4)
            knobs[f"{prefix}_gap_max_s"] = round(max(_pct(gaps, 99, mode), mode), 4)
        overlaps = [-o for o in offs if o <= 0]
        if ch == 0:  # replies: early starts
            early = [o for o in overlaps if o <= EARLY_START_MAX_S]
            knobs["reply_overlap_prob"] = round(len(early) / len(offs), 4)
            if early:
                knobs["reply_overlap_s_min"] = round(_pct(early, 10, 0.05), 4)
                knobs["reply_overlap_s_max"] = round(max(_pct(early, 90, 0.4), 0.05), 4)
        else:  # the user starting over the assistant: interruptions
            knobs["interruption_prob"] = round(len(overlaps) / len(offs), 4)
            if overlaps:
                # the overlap lasts the reaction delay plus the rest of the word being said
                lo = max(0.0, _pct(overlaps, 10, 0.25) - WORD_REST_S)
                knobs["reaction_delay_s_min"] = round(lo, 4)
                knobs["reaction_delay_s_max"] = round(
                    max(lo, _pct(overlaps, 90, 0.5) - WORD_REST_S), 4
                )
    fitted = fit_lognormal(ev.pauses)
    if fitted:
        mode, sigma = fitted
        knobs["pause_mode_s"] = round(max(mode, 0.2), 4)
        knobs["pause_sigma"] = round(sigma, 4)
        knobs["pause_min_s"] = round(min(max(_pct(ev.pauses, 5, 0.25), 0.2), 0.5), 4)
        knobs["pause_max_s"] = round(max(_pct(ev.pauses, 99, 1.5), knobs["pause_min_s"]), 4)
    speech_min = sum(ev.floor_speech_s.values()) / 60.0
    if speech_min > 0:
        knobs["pause_rate_per_min"] = round(len(ev.pauses) / speech_min, 3)
    listener_speech = {ch: ev.floor_speech_s[1 - ch] / 60.0 for ch in (0, 1)}
    heard = sum(listener_speech.values())
    if heard > 0:
        knobs["backchannel_rate_per_min"] = round(sum(ev.bc_count.values()) / heard, 3)
        knobs["backchannels"] = sum(ev.bc_count.values()) > 0
        for ch, name in ((0, "assistant_backchannels"), (1, "user_backchannels")):
            knobs[name] = ev.bc_count[ch] > 0
    if len(ev.bc_onsets) >= 5:
        knobs["backchannel_onset_s_min"] = round(max(0.0, _pct(ev.bc_onsets, 10, 0.1)), 4)
        knobs["backchannel_onset_s_max"] = round(
            max(_pct(ev.bc_onsets, 90, 0.3), knobs["backchannel_onset_s_min"]), 4
        )
    if len(ev.bc_resume_overlaps) >= 5:
        knobs["backchannel_overlap_max_s"] = round(_pct(ev.bc_resume_overlaps, 90, 0.5), 4)
    if len(ev.bc_levels_db) >= 5:
        lo = min(_pct(ev.bc_levels_db, 10, -8.0), 12.0)
        knobs["backchannel_level_db_min"] = round(lo, 3)
        knobs["backchannel_level_db_max"] = round(
            min(max(_pct(ev.bc_levels_db, 90, -3.0), lo), 12.0), 3
        )
    knobs["dialogue_variation_sigma"] = round(_variation(ev), 4)
    return knobs


@dataclass(frozen=True)
class TimingFit:
    """The fitted knobs and what they were fitted to."""

    mix: dict[str, Any]
    measured: dict[str, Any]
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": TIMING_VERSION,
            "sources": list(self.sources),
            "mix": self.mix,
            "measured": self.measured,
        }


def fit_timing(inputs: list[str], limit: int | None = None) -> TimingFit:
    """Measure every recording under ``inputs`` and fit the knobs."""
    ev = Events()
    names = []
    for rec in iter_recordings(inputs, limit):
        classify(rec, ev)
        names.append(rec.name)
    if not names:
        raise ValueError(f"no stereo recordings found under {', '.join(inputs)}")
    measured = summarize(combine(ev.stats))
    measured["backchannels"] = {
        "per_minute_of_other_speech": fit_knobs(ev).get("backchannel_rate_per_min"),
        "count": sum(ev.bc_count.values()),
        "share_in_other_silence": round(ev.bc_in_silence / max(1, sum(ev.bc_count.values())), 4),
    }
    return TimingFit(mix=fit_knobs(ev), measured=measured, sources=tuple(inputs))


def load_timing(path: str | Path) -> dict[str, Any]:
    """A ``timing.yaml`` written by ``fit-timing`` (a local path or an object-store URL, read
    through :mod:`duplexsynth.fs`); ``ValueError`` naming what is wrong."""
    import yaml

    from duplexsynth import fs

    p = str(path)
    try:
        text = fs.read_text(p)
    except (FileNotFoundError, IsADirectoryError):
        raise ValueError(f"timing file {p!r} does not exist") from None
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("mix"), dict):
        raise ValueError(f"{p}: not a timing file (expected a mapping with a `mix` section)")
    return data


def reference_summary(reference: str) -> dict[str, Any]:
    """Figures to compare with: a ``fit-timing`` file's ``measured`` section (local or a URL),
    or real recordings (local stereo WAV/FLAC file or folder, or a duplexsynth output) measured
    now."""
    from duplexsynth import fs

    timing_file = os.path.isfile(reference) if fs.is_local(reference) else fs.exists(reference)
    if timing_file and reference.endswith((".yaml", ".yml", ".json")):
        measured = load_timing(reference).get("measured")
        if not isinstance(measured, dict) or "per_minute" not in measured:
            raise ValueError(f"{reference}: the timing file has no `measured` figures")
        return measured
    return fit_timing([reference]).measured
