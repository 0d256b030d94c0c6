"""Render one dialogue: a PNG of both channels (waveform, turns, word boundaries, events) and
its stereo WAV for listening (channel 0 = assistant on the left, 1 = user on the right)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from duplexsynth.audio import decode_audio
from duplexsynth.dataset.shards import dialogue_files
from duplexsynth.schemas.records import KIND_BACKCHANNEL

PREVIEW_DIR = "preview"
CHANNEL_NAMES = ("channel 0: assistant", "channel 1: user")
CHANNEL_COLORS = ("tab:red", "tab:blue")
EVENT_MARKERS = {
    "turn_start": ("v", "tab:green"),
    "turn_end": ("^", "tab:gray"),
    "backchannel": ("*", "tab:orange"),
    "interruption_onset": ("X", "black"),
    "assistant_stop": ("s", "tab:purple"),
    "stop_command": ("o", "tab:brown"),
}


def find_dialogue(output_root: str | Path, dialogue_id: str) -> dict[str, Any]:
    """The final row with ``id == dialogue_id`` (reads ids first, then only the matching row)."""
    for path in dialogue_files(output_root):
        pf = pq.ParquetFile(path)
        ids = pf.read(columns=["id"]).column("id")
        hits = pc.index(ids, dialogue_id).as_py()
        if hits is None or hits < 0:
            continue
        offset = 0
        for rg in range(pf.metadata.num_row_groups):
            n = pf.metadata.row_group(rg).num_rows
            if hits < offset + n:
                return pf.read_row_group(rg).slice(hits - offset, 1).to_pylist()[0]
            offset += n
    raise ValueError(
        f"no dialogue with id {dialogue_id!r} under {output_root}; list ids with: "
        f"python -c \"import pyarrow.dataset as d; print(d.dataset('{output_root}/dialogues').to_table(columns=['id']))\""
    )


def _envelope(x: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min/max per bucket: draws hours of audio as quickly as seconds."""
    n = len(x)
    buckets = max(1, min(buckets, n))
    edges = np.linspace(0, n, buckets + 1).astype(int)
    lo = np.minimum.reduceat(x, edges[:-1]) if n else np.zeros(0)
    hi = np.maximum.reduceat(x, edges[:-1]) if n else np.zeros(0)
    return edges[:-1], lo, hi


def render_preview(row: dict[str, Any], png_path: str | Path, *, words: bool = True) -> Path:
    """Draw ``row`` (a final row) to ``png_path``; returns the path."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from duplexsynth.dataset.cjk_fonts import font_families, quiet_missing_glyphs

    matplotlib.rcParams["font.family"] = font_families()  # Chinese words render with a CJK font
    audio, sr = decode_audio(row["audio"]["bytes"], always_2d=True)
    duration = audio.shape[0] / sr
    width = float(np.clip(4 + duration * 0.6, 10, 40))
    fig = Figure(figsize=(width, 6.0), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1, sharex=True)
    turns = row.get("turns") or []
    by_channel: dict[int, list[dict]] = {0: [], 1: []}
    for w in row.get("words") or []:
        by_channel.setdefault(int(w["channel"]), []).append(w)
    peak = float(np.abs(audio).max()) or 1.0
    for ch, ax in enumerate(axes):
        idx, lo, hi = _envelope(audio[:, ch], int(width * 100))
        t = idx / sr
        ax.fill_between(t, lo, hi, color=CHANNEL_COLORS[ch], lw=0)
        for turn in turns:
            if turn.get("channel") != ch or turn.get("start_s") is None:
                continue
            bc = turn.get("kind") == KIND_BACKCHANNEL
            ax.axvspan(
                turn["start_s"],
                turn["end_s"],
                color="tab:orange" if bc else CHANNEL_COLORS[ch],
                alpha=0.10 if not bc else 0.25,
                lw=0,
            )
            label = f"#{turn['turn_index']}" + (" bc" if bc else "")
            if turn.get("interrupted"):
                label += " (interrupted)"
                if turn.get("cut_s") is not None:
                    ax.axvline(turn["cut_s"], color="black", lw=1.5, ls="-")
            ax.text(turn["start_s"], 0.97 * peak, label, fontsize=7, va="top")
        if words:
            for w in by_channel.get(ch, []):
                ax.axvline(w["start_s"], color="black", lw=0.4, alpha=0.5)
                ax.axvline(w["end_s"], color="black", lw=0.4, alpha=0.2, ls=":")
                ax.text(
                    w["start_s"],
                    -0.95 * peak,
                    str(w["word"]),
                    fontsize=6,
                    rotation=90,
                    va="bottom",
                    ha="left",
                    clip_on=True,
                )
        placed: list[float] = []  # events at (nearly) the same time are stacked upwards
        for e in sorted(row.get("events") or [], key=lambda e: (e["time_s"], e["kind"])):
            if int(e["channel"]) != ch:
                continue
            marker, color = EVENT_MARKERS.get(e["kind"], ("o", "black"))
            level = sum(1 for t in placed if abs(t - e["time_s"]) < 0.01 * duration)
            placed.append(e["time_s"])
            y = (1.05 + 0.12 * level) * peak
            ax.plot([e["time_s"]], [y], marker=marker, color=color, ms=6, ls="none")
        ax.set_ylim(-1.1 * peak, 1.45 * peak)
        ax.set_ylabel(CHANNEL_NAMES[ch])
        ax.set_xlim(0, duration)
    axes[-1].set_xlabel("seconds")
    kinds = sorted({e["kind"] for e in row.get("events") or []})
    legend = "  ".join(f"{EVENT_MARKERS.get(k, ('o', ''))[0]} {k}" for k in kinds)
    fig.suptitle(f"{row['id']}  ({duration:.1f} s, {sr} Hz)    events: {legend}", fontsize=10)
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    with quiet_missing_glyphs():
        fig.tight_layout()
        fig.savefig(png_path, format="png", metadata={"Software": None})
    return png_path


def write_wav(row: dict[str, Any], wav_path: str | Path) -> Path:
    """The dialogue's stereo audio as 16-bit WAV."""
    import soundfile as sf

    audio, sr = decode_audio(row["audio"]["bytes"], always_2d=True)
    wav_path = Path(wav_path)
    wav_path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(wav_path, audio, sr, subtype="PCM_16")
    return wav_path


def preview(
    output_root: str | Path, dialogue_id: str, dest: str | Path | None = None, *, words: bool = True
) -> tuple[Path, Path]:
    """Write ``<dest>/<id>.png`` and ``<dest>/<id>.wav`` (dest defaults to ``OUT/preview``)."""
    from duplexsynth.dataset.export.common import safe_name

    row = find_dialogue(output_root, dialogue_id)
    folder = Path(dest) if dest else Path(output_root) / PREVIEW_DIR
    name = safe_name(dialogue_id)
    png = render_preview(row, folder / f"{name}.png", words=words)
    wav = write_wav(row, folder / f"{name}.wav")
    return png, wav
