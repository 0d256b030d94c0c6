"""``duplexsynth stats``: turn-taking figures of a written OUT's most final stage folder."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import ClassVar, Literal

from duplexsynth.config import StageConfig, setting

#: folders searched under OUT, most final first
STATS_FOLDERS = ("dialogues", "augmented", "mixed")
_COLUMNS = ("id", "duration_s", "words", "events")


class StatsOptions(StageConfig):
    """What ``duplexsynth stats`` reads and how it measures (its flags)."""

    SECTION: ClassVar[str] = "stats"

    folder: str | None = setting(
        None,
        "Read this folder of part-*.parquet files instead of OUT's stage folders.",
        flag=True,
        click_type="dir",
    )
    limit: int | None = setting(
        None, "Use only the first N dialogues (in file order).", flag=True, ge=1
    )
    min_silence_s: float = setting(
        0.2,
        "Silences shorter than this do not end an IPU (0.2 s is the usual definition).",
        flag=True,
        ge=0,
    )
    measure: Literal["audio", "words"] = setting(
        "audio",
        "Speech activity from the stereo audio (energy VAD: what a listener hears, engine "
        "silences included) or from the timeline words.",
        flag=True,
    )
    reference: str | None = setting(
        None,
        "Also compare with this reference: a timing.yaml from `fit-timing`, or real stereo "
        "recordings (WAV/FLAC file or folder, or a duplexsynth output), measured from their "
        "audio.",
        flag=True,
    )


def find_stats_folder(out: str | None, folder: str | None) -> Path:
    """The folder to read: ``folder`` if given, else the most final of OUT's stage folders."""
    if folder:
        path = Path(folder)
        if not glob.glob(os.path.join(str(path), "part-*.parquet")):
            raise ValueError(f"no part-*.parquet files in --folder {folder!r}")
        return path
    if not out:
        raise ValueError("give the output root OUT (or --folder DIR)")
    for name in STATS_FOLDERS:
        path = Path(out) / name
        if glob.glob(os.path.join(str(path), "part-*.parquet")):
            return path
    raise ValueError(
        f"none of {', '.join(n + '/' for n in STATS_FOLDERS)} under {out!r} holds part files: "
        f"run `duplexsynth mix --output {out}` first (or point --folder at a folder of shards)"
    )


def folder_timing(path: Path, options: StatsOptions | None = None):
    """Pooled :class:`TimingStats` of the rows in ``path`` (reads only the timing columns).

    ``measure="audio"`` takes each channel's speech activity from the stereo audio (energy VAD,
    ``mix/activity.py``; the clean mix before augmentation when the rows keep it) instead
    of the timeline words, so every silence an engine left inside a turn counts as a listener
    hears it."""
    options = options or StatsOptions()
    limit, min_silence_s = options.limit, options.min_silence_s
    if options.measure == "audio":
        return _audio_timing(path, limit, min_silence_s)
    import pyarrow.parquet as pq

    from duplexsynth.mix.stats import TimingStats, dialogue_timing
    from duplexsynth.schemas.records import TimelineWord

    total = TimingStats()
    seen = 0
    for f in sorted(glob.glob(os.path.join(str(path), "part-*.parquet"))):
        pf = pq.ParquetFile(f)
        cols = [c for c in _COLUMNS if c in pf.schema_arrow.names]
        if "words" not in cols or "duration_s" not in cols:
            raise ValueError(f"{f} has no timeline words: it is not a mixed stage's output")
        for batch in pf.iter_batches(batch_size=256, columns=cols):
            for row in batch.to_pylist():
                if limit is not None and seen >= limit:
                    return total
                seen += 1
                if not row.get("words") or not row.get("duration_s"):
                    continue
                words = [
                    TimelineWord(
                        w["word"],
                        w["start_s"],
                        w["end_s"],
                        int(w["channel"]),
                        w["speaker"],
                        int(w["turn_index"]),
                        w.get("kind") or "turn",
                    )
                    for w in row["words"]
                ]
                total = total + dialogue_timing(
                    words, float(row["duration_s"]), min_silence_s, row.get("events") or ()
                )
    return total


def _audio_timing(path: Path, limit: int | None, min_silence_s: float):
    import pyarrow.parquet as pq

    from duplexsynth.audio import decode_audio
    from duplexsynth.mix.activity import VadConfig, stereo_bytes, stereo_runs
    from duplexsynth.mix.stats import TimingStats, ipu_timing

    total = TimingStats()
    seen = 0
    vad = VadConfig(min_silence_s=min_silence_s)
    for f in sorted(glob.glob(os.path.join(str(path), "part-*.parquet"))):
        pf = pq.ParquetFile(f)
        if "audio" not in pf.schema_arrow.names:
            raise ValueError(f"{f} has no audio column: use --measure words")
        cols = [c for c in ("id", "audio", "clean_audio", "events") if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=8, columns=cols):
            for row in batch.to_pylist():
                if limit is not None and seen >= limit:
                    return total
                seen += 1
                data = stereo_bytes(row)
                if data is None:
                    continue
                audio, sr = decode_audio(data, always_2d=True)
                if audio.shape[1] != 2:
                    continue
                runs = stereo_runs(audio, sr, vad)
                total = total + ipu_timing(runs, audio.shape[0] / sr, row.get("events") or ())
    return total
