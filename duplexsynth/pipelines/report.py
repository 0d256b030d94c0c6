"""The dataset card: ``OUT/README.md`` plus PNG plots and ``stats.json`` in ``OUT/report/``.

Reads the final shards (every column but the audio), ``OUT/rejects/<stage>/`` and
``OUT/summary.json``; counts hours, dialogues, turns, voices, rejects by stage and reason,
augmentation coverage (from ``params["augment"]``), and turn-taking realism against the human
reference with :mod:`duplexsynth.schedule.stats` (IPU/pause/gap/overlap per minute vs Fisher).
The card has a Hugging Face front matter so the folder can be pushed as a dataset repo as is.
Nothing in it depends on the clock: the same data gives the same card.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from duplexsynth import __version__
from duplexsynth.pipelines.write import dialogue_files
from duplexsynth.schemas.arrow import SCHEMA_VERSION, STAGES
from duplexsynth.schemas.records import ASSISTANT, KIND_BACKCHANNEL, USER, TimelineWord

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
    timing: Any = None  # duplexsynth.schedule.stats.TimingStats


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
    from duplexsynth.schedule import stats as timing

    st = DatasetStats()
    per_dialogue = []
    for path in dialogue_files(output_root):
        pf = pq.ParquetFile(path)
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
    root = Path(output_root) / "rejects"
    out: dict[str, dict[str, int]] = {}
    if not root.is_dir():
        return out
    stages = sorted(
        (p.name for p in root.iterdir() if p.is_dir()),
        key=lambda s: (STAGES.index(s) if s in STAGES else len(STAGES), s),
    )
    for stage in stages:
        counts: Counter = Counter()
        for f in sorted((root / stage).glob("part-*.parquet")):
            counts.update(pq.read_table(f, columns=["reason"]).column("reason").to_pylist())
        if counts:
            out[stage] = dict(sorted(counts.items()))
    return out


def read_summary(output_root: str | Path) -> dict[str, Any] | None:
    path = Path(output_root) / "summary.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


# -------------------------------------------------------------------------------------- plots
def _figure(width: float, height: float, rows: int = 1, cols: int = 1):
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from duplexsynth.pipelines.cjk_fonts import font_families

    matplotlib.rcParams["font.family"] = font_families()  # CJK voice ids and words render
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def _save(fig, path: Path) -> Path:
    from duplexsynth.pipelines.cjk_fonts import quiet_missing_glyphs

    with quiet_missing_glyphs():
        fig.tight_layout()
        # no timestamps/software tags in the PNG: same data, same bytes
        fig.savefig(path, format="png", metadata={"Software": None})
    return path


def plot_timing(st: DatasetStats, path: Path) -> Path:
    """Histograms of gaps (floor transfers with silence) and overlaps, with the human reference."""
    from duplexsynth.schedule import stats as timing

    fig, ax = _figure(10, 3.8, 1, 2)
    edges = np.asarray(timing.HIST_EDGES_S)
    for a, values, title, color in (
        (ax[0][0], st.timing.gaps, "gaps between speakers", "tab:blue"),
        (ax[0][1], st.timing.overlaps, "overlaps", "tab:orange"),
    ):
        vals = np.clip(np.asarray(values, dtype=float), edges[0], edges[-1] - 1e-9)
        a.hist(vals, bins=edges, color=color, edgecolor="white")
        a.set_title(f"{title} (n={len(values)})")
        a.set_xlabel("seconds")
        a.set_ylabel("count")
    ax[0][0].axvline(timing.HUMAN_GAP_MODE_S, color="k", ls="--", lw=1, label="human mode 0.2 s")
    ax[0][0].axvline(timing.HUMAN_GAP_MEAN_S, color="gray", ls=":", lw=1, label="human mean 0.23 s")
    ax[0][0].legend(fontsize=8)
    return _save(fig, path)


def plot_realism(summary: dict[str, Any], path: Path) -> Path:
    """Per-minute IPU, pause, gap and overlap seconds: this data beside Fisher."""
    from duplexsynth.schedule import stats as timing

    fig, ax = _figure(7, 3.6)
    a = ax[0][0]
    keys = ["ipu_s", "pause_s", "gap_s", "overlap_s"]
    ours = [summary["per_minute"][k] or 0.0 for k in keys]
    human = [timing.FISHER_PER_MINUTE[k] for k in keys]
    x = np.arange(len(keys))
    a.bar(x - 0.2, ours, 0.4, label="this dataset", color="tab:blue")
    a.bar(x + 0.2, human, 0.4, label="human (Fisher)", color="tab:gray")
    a.set_xticks(x, ["IPU", "pause", "gap", "overlap"])
    a.set_ylabel("seconds per minute")
    a.set_yscale("symlog", linthresh=1.0)
    a.legend(fontsize=8)
    a.set_title("turn-taking per minute of audio")
    return _save(fig, path)


def plot_durations(st: DatasetStats, path: Path) -> Path:
    fig, ax = _figure(10, 3.6, 1, 2)
    ax[0][0].hist(st.durations_s, bins=min(30, max(5, st.dialogues)), color="tab:green")
    ax[0][0].set_title(f"dialogue duration (n={st.dialogues})")
    ax[0][0].set_xlabel("seconds")
    ax[0][0].set_ylabel("dialogues")
    ax[0][1].hist(st.utterance_s, bins=30, color="tab:purple")
    ax[0][1].set_title(f"turn duration (n={len(st.utterance_s)})")
    ax[0][1].set_xlabel("seconds")
    ax[0][1].set_ylabel("turns")
    return _save(fig, path)


def plot_voices(st: DatasetStats, path: Path, top: int = 25) -> Path:
    """Dialogues per voice: the assistant voice(s) and the most used user voices."""
    items = [(f"assistant: {v}", n, "tab:red") for v, n in st.assistant_voices.most_common(5)]
    items += [(f"user: {v}", n, "tab:blue") for v, n in st.user_voices.most_common(top)]
    fig, ax = _figure(8, max(2.5, 0.3 * len(items) + 1.2))
    a = ax[0][0]
    if items:
        y = np.arange(len(items))
        a.barh(y, [n for _, n, _ in items], color=[c for _, _, c in items])
        a.set_yticks(y, [name for name, _, _ in items], fontsize=8)
        a.invert_yaxis()
    a.set_xlabel("dialogues")
    a.set_title(f"voices ({len(st.user_voices)} user, {len(st.assistant_voices)} assistant)")
    return _save(fig, path)


def plot_augmentation(st: DatasetStats, path: Path) -> Path:
    names = sorted(st.augmentation)
    fig, ax = _figure(7, max(2.5, 0.35 * len(names) + 1.2))
    a = ax[0][0]
    if names and st.augmented:
        shares = [100.0 * st.augmentation[n] / st.augmented for n in names]
        y = np.arange(len(names))
        a.barh(y, shares, color="tab:cyan")
        a.set_yticks(y, names, fontsize=8)
        a.invert_yaxis()
        a.set_xlim(0, 100)
    a.set_xlabel("% of dialogues")
    a.set_title("augmentation coverage")
    return _save(fig, path)


# --------------------------------------------------------------------------------------- card
def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _fmt(v: float | None, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def render_card(
    st: DatasetStats,
    realism: dict[str, Any],
    rejects: dict[str, dict[str, int]],
    summary: dict[str, Any] | None,
    plots: dict[str, str],
    reference: dict[str, Any] | None = None,
) -> str:
    """The Markdown of ``OUT/README.md`` (with a comparison section when ``reference`` is given)."""
    from duplexsynth.schedule import stats as timing

    hours = st.audio_s / 3600.0
    mean_s = st.audio_s / st.dialogues if st.dialogues else 0.0
    rates = ", ".join(f"{r} Hz" for r in sorted(st.sample_rates)) or "n/a"
    n_turns = sum(st.turns.values())
    out = [
        "---",
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: train",
        "    path: dialogues/part-*.parquet",
        "tags:",
        "- audio",
        "- speech",
        "- synthetic",
        "- full-duplex",
        "- spoken-dialogue",
        "---",
        "",
        "# Synthetic two-channel spoken dialogues",
        "",
        f"Made with duplexsynth {__version__} (schema {SCHEMA_VERSION}): text dialogues rewritten "
        "into spoken style, synthesized, word-aligned and scheduled into stereo conversations with "
        "gaps, overlaps, interruptions and backchannels. Channel 0 (left) is the assistant, "
        "channel 1 (right) the user, as moshi-finetune expects.",
        "",
        "## Contents",
        "",
        _table(
            ["", ""],
            [
                ["dialogues", st.dialogues],
                ["audio", f"{hours:.3f} h (mean {mean_s:.1f} s per dialogue)"],
                [
                    "turns",
                    f"{n_turns} ({st.turns.get(USER, 0)} user, {st.turns.get(ASSISTANT, 0)} assistant)",
                ],
                ["backchannels", st.backchannels],
                ["interruptions", f"{st.interruptions} ({st.stop_commands} with a stop command)"],
                ["words (aligned)", st.words],
                [
                    "voices",
                    f"{len(st.assistant_voices)} assistant, {len(st.user_voices)} user",
                ],
                ["audio format", f"stereo FLAC, {rates}"],
                [
                    "source formats",
                    ", ".join(f"{k}: {v}" for k, v in sorted(st.formats.items())) or "n/a",
                ],
            ],
        ),
        "",
    ]
    if summary and summary.get("stage") == "run":
        out += [
            "## Pipeline run",
            "",
            f"{summary['input_records']} input records -> {summary['dialogues_written']} dialogues "
            f"written, {sum(summary['rejected'].values())} rejected; seed {summary.get('seed')}, "
            f"{summary.get('wall_s', 0):.0f} s wall time. Every input record is either a "
            "dialogue here or a reject below.",
            "",
            _table(
                ["stage", "in", "kept", "rejected", "audio h"],
                [
                    [s, v["input"], v["kept"], v["rejected"], f"{v['audio_hours']:.4f}"]
                    for s, v in summary.get("per_stage", {}).items()
                ],
            ),
            "",
        ]
    out += ["## Rejects", ""]
    if rejects:
        rows = [[s, r, n] for s, reasons in rejects.items() for r, n in reasons.items()]
        out += [
            _table(["stage", "reason", "records"], rows),
            "",
            "Details per record: `OUT/rejects/<stage>/part-*.parquet` "
            "(source_file, source_index, record_id, reason, detail).",
            "",
        ]
    else:
        out += ["No rejects were recorded in `rejects/`.", ""]
    out += ["## Augmentation coverage", ""]
    if st.augmented:
        rows = [
            [name, st.augmentation[name], f"{100.0 * st.augmentation[name] / st.augmented:.0f}%"]
            for name in sorted(st.augmentation)
        ]
        out += [
            f"{st.augmented} of {st.dialogues} dialogues went through the augment stage; "
            "share of them with each augmentation applied (per channel):",
            "",
            _table(["augmentation", "dialogues", "share"], rows),
            "",
        ]
        if st.noise_kinds:
            kinds = ", ".join(f"{k}: {v}" for k, v in st.noise_kinds.most_common())
            out += [f"Noise kinds: {kinds}.", ""]
        out += [f"![augmentation coverage]({plots['augmentation']})", ""]
    else:
        out += ["No augmentation parameters in these rows.", ""]
    pm, ratio = realism["per_minute"], realism["ratio_to_fisher"]
    gap, ovl = realism["gap"], realism["overlap"]
    cpm = realism["counts_per_minute"]
    out += [
        "## Turn-taking realism against human conversation",
        "",
        "Measured from the aligned words with the usual definitions (IPU = speech bounded by "
        f">= {realism['min_silence_s']} s of silence; pause = silence between IPUs of one "
        "speaker; gap = silence between IPUs of different speakers; overlap = both speaking). "
        "The human reference is Fisher telephone conversations as measured in the Moshi paper "
        "(a turn-based cascade scores 0 pause and 0 overlap).",
        "",
        _table(
            ["seconds per minute", "this dataset", "human (Fisher)", "ratio"],
            [
                [
                    label,
                    _fmt(pm[k]),
                    f"{timing.FISHER_PER_MINUTE[k]:.1f}",
                    _fmt(ratio[k]),
                ]
                for k, label in (
                    ("ipu_s", "IPU"),
                    ("pause_s", "pause"),
                    ("gap_s", "gap"),
                    ("overlap_s", "overlap"),
                )
            ],
        ),
        "",
        _table(
            ["", "this dataset", "human reference"],
            [
                [
                    "gap mode / mean",
                    f"{_fmt(gap['mode_s'], 3)} / {_fmt(gap['mean_s'], 3)} s",
                    f"~{timing.HUMAN_GAP_MODE_S} / ~{timing.HUMAN_GAP_MEAN_S} s",
                ],
                [
                    "overlap count / median",
                    f"{ovl['count']} / {_fmt(ovl['median_s'], 3)} s",
                    "n/a",
                ],
                [
                    "overlap share of speech",
                    "n/a"
                    if realism["overlap_share_of_speech"] is None
                    else f"{100 * realism['overlap_share_of_speech']:.1f}%",
                    "10-20%",
                ],
                [
                    "backchannels per minute",
                    _fmt(cpm["backchannel"]),
                    f"~{realism['reference']['backchannels_per_minute']}",
                ],
                ["interruptions per minute", _fmt(cpm["interruption"]), "n/a"],
                [
                    "pause count / median",
                    f"{realism['pause']['count']} / {_fmt(realism['pause']['median_s'], 3)} s",
                    "n/a",
                ],
            ],
        ),
        "",
        *_reference_section(realism, reference),
        f"![gap and overlap histograms]({plots['timing']})",
        "",
        f"![per-minute figures against Fisher]({plots['realism']})",
        "",
        "## Durations and voices",
        "",
        f"![durations]({plots['durations']})",
        "",
        f"![voices]({plots['voices']})",
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import Audio, load_dataset",
        "",
        'ds = load_dataset("parquet", data_files="dialogues/part-*.parquet", split="train")',
        "# decode yourself (soundfile) or let datasets do it (needs torchcodec):",
        'ds = ds.cast_column("audio", Audio(decode=False))',
        "```",
        "",
        "Each row: `id`, source fields (`source_file`, `source_index`, `record_id`, `format`), "
        "`audio` (stereo FLAC `bytes` + `path`), `sample_rate`, `duration_s`, `words` (word, "
        "start_s, end_s, channel, speaker, turn_index on the stereo timeline), `turns` (text, "
        "voice, start_s/end_s, channel, kind, interrupted), `labels` (frame-level activity and "
        "states at 12.5 Hz), `events`, `params` (JSON of every sampled value, versions and "
        "seeds), and `clean_audio` (the mix before augmentation) when kept.",
        "",
        "Exports: `duplexsynth export moshi OUT DEST` (moshi-finetune) and "
        "`duplexsynth export lhotse OUT DEST` (Lhotse manifests).",
        "",
    ]
    return "\n".join(out)


def _reference_section(realism: dict[str, Any], reference: dict[str, Any] | None) -> list[str]:
    """The card's comparison with a fitted timing file or real recordings (empty without one)."""
    if not reference:
        return []
    pm, rpm = realism["per_minute"], reference["per_minute"]
    rows = []
    for k in ("ipu_s", "pause_s", "gap_s", "overlap_s"):
        ratio = pm[k] / rpm[k] if (pm.get(k) is not None and rpm.get(k)) else None
        rows.append(
            [k.replace("_s", "") + " s/min", _fmt(pm.get(k)), _fmt(rpm.get(k)), _fmt(ratio)]
        )

    def dist(d: dict[str, Any]) -> str:
        if not d or not d.get("count"):
            return "none"
        return " / ".join(_fmt(d[k], 3) for k in ("mean_s", "median_s", "p10_s", "p90_s"))

    dist_rows = [
        [name, dist(realism.get(name) or {}), dist(reference.get(name) or {})]
        for name in ("gap", "pause", "overlap")
    ]
    return [
        f"### Against the reference `{reference.get('source', 'reference')}`",
        "",
        _table(["", "this dataset", "reference", "ratio"], rows),
        "",
        _table(
            ["distribution (mean / median / p10 / p90 s)", "this dataset", "reference"], dist_rows
        ),
        "",
    ]


def write_report(output_root: str | Path, reference: str | None = None) -> dict[str, Any]:
    """Write ``OUT/README.md``, ``OUT/report/*.png`` and ``OUT/report/stats.json``.

    ``reference`` (a ``fit-timing`` file or real stereo recordings) adds a comparison of the
    per-minute figures and the gap/pause/overlap distributions.

    Returns ``{"card": path, "plots": {name: path}, "stats": path}``.
    """
    from duplexsynth.pipelines.export.common import write_text_atomic
    from duplexsynth.schedule import stats as timing

    root = Path(output_root)
    st = collect_stats(root)
    if not st.dialogues:
        raise ValueError(f"{root} has final shards but no dialogues in them: nothing to report")
    realism = timing.summarize(st.timing)
    ref = None
    if reference:
        from duplexsynth.schedule.fit import reference_summary

        ref = {**reference_summary(reference), "source": reference}
    rejects = read_rejects(root)
    summary = read_summary(root)
    rdir = root / REPORT_DIR
    rdir.mkdir(parents=True, exist_ok=True)
    paths = {
        "timing": plot_timing(st, rdir / "gaps_overlaps.png"),
        "realism": plot_realism(realism, rdir / "realism.png"),
        "durations": plot_durations(st, rdir / "durations.png"),
        "voices": plot_voices(st, rdir / "voices.png"),
        "augmentation": plot_augmentation(st, rdir / "augmentation.png"),
    }
    rel = {k: f"{REPORT_DIR}/{p.name}" for k, p in paths.items()}
    card = root / "README.md"
    write_text_atomic(card, render_card(st, realism, rejects, summary, rel, ref))
    stats_path = rdir / "stats.json"
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
    write_text_atomic(stats_path, json.dumps(payload, indent=2) + "\n")
    return {
        "card": str(card),
        "plots": {k: str(p) for k, p in paths.items()},
        "stats": str(stats_path),
    }
