"""Render one dialogue: a PNG of both channels (waveform, turns, word boundaries, events) and
its stereo WAV for listening (channel 0 = assistant on the left, 1 = user on the right).

Shards are read and both files written through :mod:`duplexsynth.fs`: ``OUT`` and the
destination may be local folders or object-store URLs (``s3://bucket/run``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc

from duplexsynth import fs
from duplexsynth.audio import decode_audio
from duplexsynth.dataset.shards import dialogue_files
from duplexsynth.pipelines.io import parquet_file
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
        pf = parquet_file(path)
        try:
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
        finally:
            pf.close()
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


def render_preview(row: dict[str, Any], png_path: str, *, words: bool = True) -> str:
    """Draw ``row`` (a final row) to ``png_path`` (a local path or a URL); returns the path."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from duplexsynth.dataset.cjk_fonts import font_families
    from duplexsynth.dataset.report_plots import save_png

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
    return save_png(fig, png_path)


def write_wav(row: dict[str, Any], wav_path: str) -> str:
    """The dialogue's stereo audio as 16-bit WAV at ``wav_path`` (a local path or a URL)."""
    import io

    import soundfile as sf

    audio, sr = decode_audio(row["audio"]["bytes"], always_2d=True)
    buf = io.BytesIO()
    sf.write(buf, audio, sr, subtype="PCM_16", format="WAV")
    fs.write_bytes(wav_path, buf.getvalue())
    return wav_path


def preview(
    output_root: str | Path, dialogue_id: str, dest: str | Path | None = None, *, words: bool = True
) -> tuple[str, str]:
    """Write ``<dest>/<id>.png`` and ``<dest>/<id>.wav`` (dest defaults to ``OUT/preview``).

    An unfinished run (``_RUNNING``/``_FAILED`` marker in ``OUT``) is refused with a
    ``ValueError``; so is an id that is not in the shards.
    """
    from duplexsynth.dataset.export.common import safe_name
    from duplexsynth.pipelines.outdir import require_finished

    require_finished(str(output_root), "preview")
    row = find_dialogue(output_root, dialogue_id)
    folder = str(dest) if dest else fs.join(str(output_root), PREVIEW_DIR)
    name = safe_name(dialogue_id)
    png = render_preview(row, fs.join(folder, f"{name}.png"), words=words)
    wav = write_wav(row, fs.join(folder, f"{name}.wav"))
    return png, wav
