"""The dataset card's PNG plots (matplotlib, drawn off-screen): timing, realism, durations,
voices and augmentation coverage.

Each plot is rendered to PNG bytes in memory and written through :mod:`duplexsynth.fs`, so the
report folder may be local or on object storage (``s3://bucket/run/report/``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from duplexsynth.dataset.report import DatasetStats


# -------------------------------------------------------------------------------------- plots
def _figure(width: float, height: float, rows: int = 1, cols: int = 1):
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from duplexsynth.dataset.cjk_fonts import font_families

    matplotlib.rcParams["font.family"] = font_families()  # CJK voice ids and words render
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def save_png(fig, path: str) -> str:
    """Lay out ``fig`` and write it as PNG to ``path`` (a local path or a URL); returns ``path``.

    The PNG carries no timestamp or software tag: the same figure gives the same bytes.
    """
    import io

    from duplexsynth import fs
    from duplexsynth.dataset.cjk_fonts import quiet_missing_glyphs

    buf = io.BytesIO()
    with quiet_missing_glyphs():
        fig.tight_layout()
        fig.savefig(buf, format="png", metadata={"Software": None})
    fs.write_bytes(path, buf.getvalue())
    return path


def plot_timing(st: DatasetStats, path: str) -> str:
    """Histograms of gaps (floor transfers with silence) and overlaps, with the human reference."""
    from duplexsynth.mix import stats as timing

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
    return save_png(fig, path)


def plot_realism(summary: dict[str, Any], path: str) -> str:
    """Per-minute IPU, pause, gap and overlap seconds: this data beside Fisher."""
    from duplexsynth.mix import stats as timing

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
    return save_png(fig, path)


def plot_durations(st: DatasetStats, path: str) -> str:
    fig, ax = _figure(10, 3.6, 1, 2)
    ax[0][0].hist(st.durations_s, bins=min(30, max(5, st.dialogues)), color="tab:green")
    ax[0][0].set_title(f"dialogue duration (n={st.dialogues})")
    ax[0][0].set_xlabel("seconds")
    ax[0][0].set_ylabel("dialogues")
    ax[0][1].hist(st.utterance_s, bins=30, color="tab:purple")
    ax[0][1].set_title(f"turn duration (n={len(st.utterance_s)})")
    ax[0][1].set_xlabel("seconds")
    ax[0][1].set_ylabel("turns")
    return save_png(fig, path)


def plot_voices(st: DatasetStats, path: str, top: int = 25) -> str:
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
    return save_png(fig, path)


def plot_augmentation(st: DatasetStats, path: str) -> str:
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
    return save_png(fig, path)
