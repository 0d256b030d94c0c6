"""The dataset card's text, ``OUT/README.md``: Hugging Face front matter, the figures and the
tables, and the comparison with a reference when one is given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duplexsynth import __version__
from duplexsynth.schemas.arrow import SCHEMA_VERSION
from duplexsynth.schemas.records import ASSISTANT, USER

if TYPE_CHECKING:
    from duplexsynth.dataset.report import DatasetStats


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
    from duplexsynth.mix import stats as timing

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
