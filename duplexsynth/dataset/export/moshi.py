"""Export final shards to kyutai moshi-finetune's format.

Layout written under ``DEST``::

    DEST/<manifest>.jsonl              {"path": "data_stereo/<id>.wav", "duration": 24.52} per line
    DEST/data_stereo/<id>.wav          stereo 16-bit WAV; channel 0 (left) = assistant, 1 = user
    DEST/data_stereo/<id>.json         {"alignments": [[word, [start_s, end_s], speaker], ...]}

Paths in the manifest are relative to the manifest's folder (as in moshi-finetune's example).
The alignments hold the words of both speakers sorted by start time (moshi-finetune bisects them
on start time to find a training window's words); the assistant is ``"SPEAKER_MAIN"`` (the only
words that become the text stream when training with its default ``keep_main_only``), the user
``"SPEAKER_USER"``. Words with zero or negative duration are dropped (moshi-finetune drops them
too). Files are written atomically and existing ones are kept unless ``overwrite``.
"""

from __future__ import annotations

import io as _io
import json
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from duplexsynth.audio import decode_audio, resample
from duplexsynth.dataset.export.common import (
    ExportSummary,
    NameRegistry,
    export_progress,
    write_bytes_atomic,
    write_jsonl_atomic,
    write_text_atomic,
)
from duplexsynth.dataset.shards import iter_dialogues
from duplexsynth.pipelines.outdir import require_finished

SPEAKER_MAIN = "SPEAKER_MAIN"
SPEAKER_USER = "SPEAKER_USER"
AUDIO_DIR = "data_stereo"
DEFAULT_MANIFEST = "dataset.jsonl"
#: the columns the exporter reads (the rest of the row is never loaded)
COLUMNS = ["id", "audio", "sample_rate", "duration_s", "words"]


def moshi_alignments(
    words: list[dict[str, Any]] | None, *, main_channel: int = 0, include_user: bool = True
) -> list[list[Any]]:
    """``[[word, [start, end], speaker], ...]`` sorted by start time across both speakers.

    Channel ``main_channel`` is ``SPEAKER_MAIN``; the other channel is ``SPEAKER_USER`` (left out
    when ``include_user`` is false). Words with ``end <= start`` are dropped.
    """
    out = []
    for w in words or []:
        start, end = float(w["start_s"]), float(w["end_s"])
        if end <= start:
            continue
        main = int(w["channel"]) == main_channel
        if not main and not include_user:
            continue
        speaker = SPEAKER_MAIN if main else SPEAKER_USER
        out.append((start, end, 0 if main else 1, str(w["word"]).strip(), speaker))
    out.sort(key=lambda t: (t[0], t[1], t[2]))
    return [[word, [round(s, 3), round(e, 3)], spk] for s, e, _, word, spk in out if word]


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV bytes of float ``audio`` ``(n, 2)``."""
    buf = _io.BytesIO()
    sf.write(buf, np.clip(audio, -1.0, 1.0), int(sample_rate), format="WAV", subtype="PCM_16")
    return buf.getvalue()


def export_moshi(
    output_root: str | Path,
    dest: str | Path,
    *,
    manifest_name: str = DEFAULT_MANIFEST,
    overwrite: bool = False,
    sample_rate: int | None = None,
    include_user_words: bool = True,
    progress_every_s: float = 10.0,
) -> ExportSummary:
    """Write ``dest`` in moshi-finetune's format from ``output_root``'s final shards.

    ``sample_rate`` resamples the WAVs (moshi-finetune resamples to 24 kHz itself on load).
    Returns what was written; the manifest always lists every dialogue. An unfinished run
    (``_RUNNING``/``_FAILED`` marker in ``output_root``) is refused with a ``ValueError``.
    """
    require_finished(str(output_root), "export")
    dest = Path(dest)
    if not manifest_name.endswith(".jsonl") or "/" in manifest_name:
        raise ValueError(
            f"manifest name must be a file name ending in .jsonl, got {manifest_name!r}"
        )
    summary = ExportSummary("moshi", str(dest))
    progress = export_progress("moshi", progress_every_s)
    entries: list[dict[str, Any]] = []
    names = NameRegistry()
    for row in iter_dialogues(output_root, columns=COLUMNS):
        did = row["id"]
        rel = f"{AUDIO_DIR}/{names.name(did)}.wav"
        wav_path = dest / rel
        json_path = wav_path.with_suffix(".json")
        if wav_path.exists() and json_path.exists() and not overwrite:
            duration = float(row["duration_s"])
            summary.skipped += 1
        else:
            audio, sr = decode_audio(row["audio"]["bytes"], always_2d=True)
            if audio.shape[1] != 2:
                raise ValueError(f"dialogue {did}: audio has {audio.shape[1]} channels, expected 2")
            if sample_rate and sample_rate != sr:
                audio, sr = resample(audio, sr, sample_rate), int(sample_rate)
            duration = audio.shape[0] / sr
            alignments = moshi_alignments(row["words"], include_user=include_user_words)
            # the .json first: a .wav without its alignments is never left behind
            write_text_atomic(json_path, json.dumps({"alignments": alignments}, ensure_ascii=False))
            write_bytes_atomic(wav_path, wav_bytes(audio, sr))
            summary.written += 1
        summary.audio_s += duration
        entries.append({"path": rel, "duration": round(float(duration), 3)})
        progress.add("moshi", kept=1, audio_s=duration)
    manifest = dest / manifest_name
    write_jsonl_atomic(manifest, entries)
    summary.files = {"manifest": str(manifest), "audio_dir": str(dest / AUDIO_DIR)}
    return summary
