"""Turn-taking realism statistics, with the usual definitions, from timeline word timings.

* **IPU** (inter-pausal unit): a stretch of one channel's speech bounded by silences of at
  least ``min_silence_s`` (0.2 s): the channel's word spans merged across shorter silences.
* **overlap**: time where both channels are inside an IPU.
* **pause**: a stretch where neither channel speaks, between two IPUs of the *same* channel.
* **gap**: a stretch where neither channel speaks, between IPUs of *different* channels.

Silence before the first and after the last IPU of a dialogue is neither. Figures are reported
as cumulative seconds (and counts) per minute of audio, so ``ipu - overlap + pause + gap`` plus
the lead/trail silence is 60 s. Backchannels are speech like any other. The human reference is
Fisher telephone conversations as measured in the Moshi paper (Table 9: IPU 51.1, pause 6.4,
gap 4.2, overlap 3.3 s per minute; a turn-based cascade scores 0.0 pause and 0.0 overlap).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from duplexsynth.schemas.records import TimelineWord

MIN_SILENCE_S = 0.2

#: Fisher, cumulative seconds per minute of dialogue (Moshi paper, Table 9)
FISHER_PER_MINUTE: dict[str, float] = {
    "ipu_s": 51.1,
    "pause_s": 6.4,
    "gap_s": 4.2,
    "overlap_s": 3.3,
}
#: a turn-based cascade on the same measure: never pauses inside a turn, never overlaps
CASCADE_PER_MINUTE: dict[str, float] = {"pause_s": 0.0, "overlap_s": 0.0}
#: floor-transfer offsets across ten languages: mode ~200 ms, mean ~230 ms
HUMAN_GAP_MODE_S = 0.2
HUMAN_GAP_MEAN_S = 0.23
#: overlap as a share of speaking time in conversational telephone speech
HUMAN_OVERLAP_SHARE = (0.10, 0.20)
#: backchannels per hour of conversation (CANDOR, order of magnitude)
HUMAN_BACKCHANNELS_PER_HOUR = 1000.0

#: histogram edges (seconds) for the gap and overlap distributions
HIST_EDGES_S: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(0, 31))  # 0 .. 1.5 s
_EPS = 1e-6


def merge_intervals(
    intervals: Iterable[tuple[float, float]], min_silence_s: float = MIN_SILENCE_S
) -> list[tuple[float, float]]:
    """Merge intervals whose separating silence is shorter than ``min_silence_s``."""
    out: list[list[float]] = []
    for a, b in sorted(intervals):
        if b < a:
            a, b = b, a
        if out and a - out[-1][1] < min_silence_s - 1e-9:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def channel_ipus(
    words: Sequence[TimelineWord], channel: int, min_silence_s: float = MIN_SILENCE_S
) -> list[tuple[float, float]]:
    """IPUs of one channel: its word spans merged across silences shorter than ``min_silence_s``."""
    spans = [(w.start_s, w.end_s) for w in words if w.channel == channel and w.end_s > w.start_s]
    return merge_intervals(spans, min_silence_s)


def _intersections(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[float]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo + _EPS:
            out.append(hi - lo)
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


@dataclass(frozen=True)
class TimingStats:
    """Durations of every IPU, pause, gap and overlap over ``duration_s`` of audio."""

    duration_s: float = 0.0
    dialogues: int = 0
    ipus: tuple[float, ...] = ()
    pauses: tuple[float, ...] = ()
    gaps: tuple[float, ...] = ()
    overlaps: tuple[float, ...] = ()
    backchannels: int = 0
    interruptions: int = 0
    speech_s: float = field(default=0.0)  # union of both channels' IPUs

    def __add__(self, other: TimingStats) -> TimingStats:
        return TimingStats(
            duration_s=self.duration_s + other.duration_s,
            dialogues=self.dialogues + other.dialogues,
            ipus=self.ipus + other.ipus,
            pauses=self.pauses + other.pauses,
            gaps=self.gaps + other.gaps,
            overlaps=self.overlaps + other.overlaps,
            backchannels=self.backchannels + other.backchannels,
            interruptions=self.interruptions + other.interruptions,
            speech_s=self.speech_s + other.speech_s,
        )


def dialogue_timing(
    words: Sequence[TimelineWord],
    duration_s: float,
    min_silence_s: float = MIN_SILENCE_S,
    events: Sequence | None = None,
) -> TimingStats:
    """IPUs, pauses, gaps and overlaps of one dialogue from its timeline words.

    ``events`` (optional, ``Event`` records or dicts with ``kind``) adds backchannel and
    interruption counts.
    """
    ipus = {ch: channel_ipus(words, ch, min_silence_s) for ch in (0, 1)}
    return ipu_timing(ipus, duration_s, events)


def ipu_timing(
    ipus: dict[int, list[tuple[float, float]]],
    duration_s: float,
    events: Sequence | None = None,
) -> TimingStats:
    """IPUs, pauses, gaps and overlaps of one dialogue from each channel's sorted IPUs
    (from word timings, :func:`channel_ipus`, or from the audio, ``activity.stereo_runs``)."""
    ordered = sorted((a, b, ch) for ch in (0, 1) for a, b in ipus[ch])
    pauses: list[float] = []
    gaps: list[float] = []
    cur_end = -math.inf
    last: set[int] = set()
    union = 0.0
    seg_start = None
    for a, b, ch in ordered:
        if a > cur_end + _EPS:
            if seg_start is not None:
                union += cur_end - seg_start
                (pauses if ch in last else gaps).append(a - cur_end)
            seg_start = a
        if b > cur_end + _EPS:
            cur_end, last = b, {ch}
        elif abs(b - cur_end) <= _EPS:
            last.add(ch)
    if seg_start is not None:
        union += cur_end - seg_start
    n_bc = n_int = 0
    for e in events or ():
        kind = e["kind"] if isinstance(e, dict) else e.kind
        n_bc += kind == "backchannel"
        n_int += kind == "interruption_onset"
    return TimingStats(
        duration_s=float(duration_s),
        dialogues=1,
        ipus=tuple(b - a for ch in (0, 1) for a, b in ipus[ch]),
        pauses=tuple(pauses),
        gaps=tuple(gaps),
        overlaps=tuple(_intersections(ipus[0], ipus[1])),
        backchannels=n_bc,
        interruptions=n_int,
        speech_s=union,
    )


def combine(stats: Iterable[TimingStats]) -> TimingStats:
    """Pool the statistics of many dialogues."""
    total = TimingStats()
    for s in stats:
        total = total + s
    return total


def distribution(values: Sequence[float]) -> dict:
    """Count, mean, median, 10th/90th percentiles, histogram mode and 50 ms histogram."""
    arr = np.asarray(values, dtype=np.float64)
    edges = np.asarray(HIST_EDGES_S)
    if arr.size == 0:
        return {
            "count": 0,
            "mean_s": None,
            "median_s": None,
            "p10_s": None,
            "p90_s": None,
            "mode_s": None,
            "share_under_0_5_s": None,
            "histogram": {"edges_s": list(HIST_EDGES_S), "counts": [0] * (len(edges) - 1)},
        }
    counts, _ = np.histogram(np.clip(arr, edges[0], edges[-1] - 1e-9), bins=edges)
    top = int(np.argmax(counts))
    return {
        "count": int(arr.size),
        "mean_s": round(float(arr.mean()), 4),
        "median_s": round(float(np.median(arr)), 4),
        "p10_s": round(float(np.percentile(arr, 10)), 4),
        "p90_s": round(float(np.percentile(arr, 90)), 4),
        "mode_s": round(float((edges[top] + edges[top + 1]) / 2), 4),
        "share_under_0_5_s": round(float(np.mean(arr < 0.5)), 4),
        "histogram": {"edges_s": list(HIST_EDGES_S), "counts": [int(c) for c in counts]},
    }


def summarize(stats: TimingStats, min_silence_s: float = MIN_SILENCE_S) -> dict:
    """Per-minute figures, counts, distributions and the human reference, JSON-safe.

    ``min_silence_s`` is only recorded: pass the value the stats were computed with.
    """
    minutes = stats.duration_s / 60.0 if stats.duration_s > 0 else float("nan")

    def per_min(x: float) -> float | None:
        return round(x / minutes, 3) if minutes == minutes and minutes > 0 else None

    per_minute = {
        "ipu_s": per_min(sum(stats.ipus)),
        "pause_s": per_min(sum(stats.pauses)),
        "gap_s": per_min(sum(stats.gaps)),
        "overlap_s": per_min(sum(stats.overlaps)),
    }
    counts = {
        "ipu": per_min(len(stats.ipus)),
        "pause": per_min(len(stats.pauses)),
        "gap": per_min(len(stats.gaps)),
        "overlap": per_min(len(stats.overlaps)),
        "backchannel": per_min(stats.backchannels),
        "interruption": per_min(stats.interruptions),
    }
    ratio = {
        k: (round(v / FISHER_PER_MINUTE[k], 3) if v is not None else None)
        for k, v in per_minute.items()
    }
    ipu_total = sum(stats.ipus)
    return {
        "dialogues": stats.dialogues,
        "audio_hours": round(stats.duration_s / 3600.0, 6),
        "min_silence_s": min_silence_s,
        "per_minute": per_minute,
        "counts_per_minute": counts,
        "ratio_to_fisher": ratio,
        "overlap_share_of_speech": round(sum(stats.overlaps) / ipu_total, 4) if ipu_total else None,
        "gap": distribution(stats.gaps),
        "overlap": distribution(stats.overlaps),
        "pause": distribution(stats.pauses),
        "reference": {
            "fisher_per_minute": dict(FISHER_PER_MINUTE),
            "cascade_per_minute": dict(CASCADE_PER_MINUTE),
            "gap_mode_s": HUMAN_GAP_MODE_S,
            "gap_mean_s": HUMAN_GAP_MEAN_S,
            "overlap_share_of_speech": list(HUMAN_OVERLAP_SHARE),
            "backchannels_per_minute": round(HUMAN_BACKCHANNELS_PER_HOUR / 60.0, 2),
        },
    }


def format_summary(summary: dict) -> str:
    """A human-readable table of :func:`summarize`'s result beside the Fisher reference."""
    pm, ratio = summary["per_minute"], summary["ratio_to_fisher"]
    lines = [
        f"{summary['dialogues']} dialogues, {summary['audio_hours'] * 60:.2f} min of audio "
        f"(IPU = speech bounded by >= {summary['min_silence_s']} s of silence)",
        "",
        f"{'per minute of audio':<22}{'this data':>11}{'human (Fisher)':>16}{'ratio':>8}",
    ]
    for key, label in (
        ("ipu_s", "IPU s"),
        ("pause_s", "pause s"),
        ("gap_s", "gap s"),
        ("overlap_s", "overlap s"),
    ):
        v = pm[key]
        r = ratio[key]
        lines.append(f"{label:<22}{_fmt(v):>11}{FISHER_PER_MINUTE[key]:>16.1f}{_fmt(r, 2):>8}")
    c = summary["counts_per_minute"]
    lines += [
        "",
        "counts per minute: "
        + ", ".join(
            f"{k} {_fmt(c[k], 2)}"
            for k in ("ipu", "pause", "gap", "overlap", "backchannel", "interruption")
        ),
        f"  (human backchannels: about {summary['reference']['backchannels_per_minute']}/min)",
    ]
    for name, ref in (
        ("gap", f"human mode ~{HUMAN_GAP_MODE_S}s, mean ~{HUMAN_GAP_MEAN_S}s"),
        ("overlap", None),
    ):
        d = summary[name]
        if not d["count"]:
            lines.append(f"{name}s: none")
            continue
        lines.append(
            f"{name}s: n={d['count']} mean {d['mean_s']:.3f}s median {d['median_s']:.3f}s "
            f"p10 {d['p10_s']:.3f}s p90 {d['p90_s']:.3f}s mode {d['mode_s']:.3f}s "
            f"<0.5s {100 * d['share_under_0_5_s']:.0f}%" + (f"  ({ref})" if ref else "")
        )
    share = summary.get("overlap_share_of_speech")
    if share is not None:
        lo, hi = summary["reference"]["overlap_share_of_speech"]
        lines.append(
            f"overlap share of speech: {100 * share:.1f}% (human {100 * lo:.0f}-{100 * hi:.0f}%)"
        )
    return "\n".join(lines)


def _fmt(v: float | None, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def format_comparison(summary: dict, reference: dict, name: str = "reference") -> str:
    """Per-minute figures and gap/pause/overlap distributions beside another ``summarize``."""
    pm, rpm = summary["per_minute"], reference["per_minute"]
    lines = [
        f"against {name}:",
        f"{'per minute of audio':<22}{'this data':>11}{'reference':>11}{'ratio':>8}",
    ]
    for key in ("ipu_s", "pause_s", "gap_s", "overlap_s"):
        v, r = pm.get(key), rpm.get(key)
        ratio = v / r if (v is not None and r) else None
        lines.append(f"{key:<22}{_fmt(v):>11}{_fmt(r):>11}{_fmt(ratio, 2):>8}")
    lines.append(f"{'distribution (s)':<22}{'this: mean/median/p10/p90':>30}{'reference':>30}")
    for name_ in ("gap", "pause", "overlap"):
        cells = []
        for d in (summary.get(name_) or {}, reference.get(name_) or {}):
            if not d.get("count"):
                cells.append("none")
                continue
            cells.append(
                "/".join(_fmt(d[k], 3) for k in ("mean_s", "median_s", "p10_s", "p90_s"))
                + f" n={d['count']}"
            )
        lines.append(f"{name_:<22}{cells[0]:>30}{cells[1]:>30}")
    return "\n".join(lines)
