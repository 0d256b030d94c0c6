"""The dataset card: ``OUT/README.md`` plus PNG plots and ``stats.json`` in ``OUT/report/``.

Reads the final shards (every column but the audio), ``OUT/rejects/<stage>/`` and
``OUT/summary.json``; counts hours, dialogues, turns, voices, rejects by stage and reason,
augmentation coverage (from ``params["augment"]``), and turn-taking realism against the human
reference with :mod:`duplexsynth.mix.stats` (IPU/pause/gap/overlap per minute vs Fisher).
The card has a Hugging Face front matter so the folder can be pushed as a dataset repo as is.
Nothing in it depends on the clock: the same data gives the same card.

Everything is read and written through :mod:`duplexsynth.fs`, so ``OUT`` may be a local folder
or an object-store URL (``s3://bucket/run``, with Beam's filesystem options set first).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duplexsynth import fs
from duplexsynth.dataset.report_card import render_card
from duplexsynth.dataset.report_plots import (
    plot_augmentation,
    plot_durations,
    plot_realism,
    plot_timing,
    plot_voices,
)
from duplexsynth.dataset.shards import dialogue_files
from duplexsynth.pipelines import io
from duplexsynth.schemas.arrow import STAGES
from duplexsynth.schemas.records import KIND_BACKCHANNEL, TimelineWord

REPORT_DIR = "report"
#: the columns the report reads: everything but the audio
COLUMNS = [
    "id",
    "format",
    "duration_s",
    "sample_rate",
    "turns",
    "words",
    "events",
    "params",
    "assistant_voice",
    "user_voice",
]


@dataclass
class DatasetStats:
    """Everything the card shows, gathered in one pass over the shards."""

    dialogues: int = 0
    audio_s: float = 0.0
    durations_s: list[float] = field(default_factory=list)
    utterance_s: list[float] = field(default_factory=list)
    turns: Counter = field(default_factory=Counter)  # speaker -> spoken turns
    backchannels: int = 0
    interruptions: int = 0
    stop_commands: int = 0
    words: int = 0
    assistant_voices: Counter = field(default_factory=Counter)
    user_voices: Counter = field(default_factory=Counter)
    formats: Counter = field(default_factory=Counter)
    sample_rates: Counter = field(default_factory=Counter)
    augmented: int = 0  # rows with params["augment"]
    augmentation: Counter = field(default_factory=Counter)  # "user.noise" -> dialogues applied
    noise_kinds: Counter = field(default_factory=Counter)
    timing: Any = None  # duplexsynth.mix.stats.TimingStats


def _applied(tree: Any, prefix: str = "") -> list[tuple[str, dict]]:
    """``(path, record)`` for every dict with an ``applied`` key under ``tree``."""
    out: list[tuple[str, dict]] = []
    if isinstance(tree, dict):
        if "applied" in tree:
            return [(prefix, tree)]
        for k, v in tree.items():
            out += _applied(v, f"{prefix}.{k}" if prefix else str(k))
    return out


def _timeline_words(words: list[dict]) -> list[TimelineWord]:
    return [
        TimelineWord(
            str(w["word"]),
            float(w["start_s"]),
            float(w["end_s"]),
            int(w["channel"]),
            str(w["speaker"]),
            int(w["turn_index"]),
        )
        for w in words or []
    ]


def collect_stats(output_root: str | Path) -> DatasetStats:
    """One streaming pass over the final shards (audio columns are never read)."""
    from duplexsynth.mix import stats as timing

    st = DatasetStats()
    per_dialogue = []
    for path in dialogue_files(output_root):
        pf = io.parquet_file(path)
        try:
            cols = [c for c in COLUMNS if c in pf.schema_arrow.names]
            for batch in pf.iter_batches(batch_size=64, columns=cols):
                for row in batch.to_pylist():
                    _add_row(st, row)
                    per_dialogue.append(
                        timing.dialogue_timing(
                            _timeline_words(row.get("words")),
                            float(row.get("duration_s") or 0.0),
                            events=row.get("events") or (),
                        )
                    )
        finally:
            pf.close()
    st.timing = timing.combine(per_dialogue)
    return st


def _add_row(st: DatasetStats, row: dict[str, Any]) -> None:
    st.dialogues += 1
    dur = float(row.get("duration_s") or 0.0)
    st.audio_s += dur
    st.durations_s.append(dur)
    st.words += len(row.get("words") or [])
    st.formats[row.get("format") or "?"] += 1
    st.sample_rates[int(row.get("sample_rate") or 0)] += 1
    if row.get("assistant_voice"):
        st.assistant_voices[row["assistant_voice"]] += 1
    if row.get("user_voice"):
        st.user_voices[row["user_voice"]] += 1
    for t in row.get("turns") or []:
        if t.get("kind") == KIND_BACKCHANNEL:
            st.backchannels += 1
            continue
        st.turns[t.get("speaker") or "?"] += 1
        st.interruptions += bool(t.get("interrupted"))
        st.stop_commands += bool(t.get("stop_command"))
        if t.get("start_s") is not None and t.get("end_s") is not None:
            st.utterance_s.append(float(t["end_s"]) - float(t["start_s"]))
    params = row.get("params")
    params = json.loads(params) if isinstance(params, str) and params else (params or {})
    aug = params.get("augment")
    if aug:
        st.augmented += 1
        for path, rec in _applied(aug):
            name = path[len("channels.") :] if path.startswith("channels.") else path
            if rec.get("applied"):
                st.augmentation[name] += 1
                if name.endswith("noise") and rec.get("kind"):
                    st.noise_kinds[str(rec["kind"])] += 1
            else:
                st.augmentation.setdefault(name, 0)


def read_rejects(output_root: str | Path) -> dict[str, dict[str, int]]:
    """``{stage: {reason: n}}`` from ``OUT/rejects/<stage>/part-*.parquet`` (data-flow order)."""
    parts = fs.glob(fs.join(str(output_root), "rejects", "*", "part-*.parquet"))
    found = {p.rstrip("/").rsplit("/", 2)[-2] for p in parts}
    stages = sorted(found, key=lambda s: (STAGES.index(s) if s in STAGES else len(STAGES), s))
    out: dict[str, dict[str, int]] = {}
    for stage in stages:
        counts = io.reject_counts(output_root, stage)
        if counts:
            out[stage] = counts
    return out


def read_summary(output_root: str | Path) -> dict[str, Any] | None:
    """``OUT/summary.json``, or ``None`` when it is missing or not JSON."""
    try:
        return json.loads(fs.read_text(fs.join(str(output_root), "summary.json")))
    except (FileNotFoundError, ValueError):
        return None


def write_report(output_root: str | Path, reference: str | None = None) -> dict[str, Any]:
    """Write ``OUT/README.md``, ``OUT/report/*.png`` and ``OUT/report/stats.json``.

    ``reference`` (a ``fit-timing`` file or real stereo recordings) adds a comparison of the
    per-minute figures and the gap/pause/overlap distributions. ``output_root`` may be a URL;
    an unfinished run (``_RUNNING``/``_FAILED`` marker) is refused with a ``ValueError``.

    Returns ``{"card": path, "plots": {name: path}, "stats": path}``.
    """
    from duplexsynth.mix import stats as timing
    from duplexsynth.pipelines.outdir import require_finished

    root = str(output_root)
    require_finished(root, "report on")
    st = collect_stats(root)
    if not st.dialogues:
        raise ValueError(f"{root} has final shards but no dialogues in them: nothing to report")
    realism = timing.summarize(st.timing)
    ref = None
    if reference:
        from duplexsynth.mix.fit import reference_summary

        ref = {**reference_summary(reference), "source": reference}
    rejects = read_rejects(root)
    summary = read_summary(root)
    rdir = fs.join(root, REPORT_DIR)
    fs.makedirs(rdir)
    paths = {
        "timing": plot_timing(st, fs.join(rdir, "gaps_overlaps.png")),
        "realism": plot_realism(realism, fs.join(rdir, "realism.png")),
        "durations": plot_durations(st, fs.join(rdir, "durations.png")),
        "voices": plot_voices(st, fs.join(rdir, "voices.png")),
        "augmentation": plot_augmentation(st, fs.join(rdir, "augmentation.png")),
    }
    rel = {k: f"{REPORT_DIR}/{fs.basename(p)}" for k, p in paths.items()}
    card = fs.join(root, "README.md")
    fs.write_text(card, render_card(st, realism, rejects, summary, rel, ref))
    stats_path = fs.join(rdir, "stats.json")
    payload = {
        "dialogues": st.dialogues,
        "audio_hours": round(st.audio_s / 3600.0, 6),
        "turns": dict(st.turns),
        "backchannels": st.backchannels,
        "interruptions": st.interruptions,
        "words": st.words,
        "assistant_voices": dict(st.assistant_voices),
        "user_voices": dict(st.user_voices),
        "augmented": st.augmented,
        "augmentation": dict(sorted(st.augmentation.items())),
        "noise_kinds": dict(st.noise_kinds),
        "rejects": rejects,
        "realism": realism,
        "reference": ref,
    }
    fs.write_text(stats_path, json.dumps(payload, indent=2) + "\n")
    return {"card": card, "plots": paths, "stats": stats_path}
