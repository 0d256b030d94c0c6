"""Export final shards as Lhotse manifests (written as plain JSON: lhotse is not imported).

Layout written under ``DEST``::

    DEST/audio/<id>.flac                 the dialogue's stereo FLAC, byte for byte from the shard
    DEST/recordings.jsonl.gz             one 2-channel Recording per dialogue (channel_ids [0, 1])
    DEST/supervisions.jsonl.gz           one SupervisionSegment per utterance (turn or backchannel)
    DEST/cuts.jsonl.gz                   one MultiCut per dialogue (both channels, its supervisions)
    DEST/shar/                           with ``shar=True``: Lhotse Shar (needs lhotse installed)

A supervision carries ``channel`` (0 assistant, 1 user), ``speaker`` (the voice name, or the role
when the row has none), ``text`` (what was actually said, cut at an interruption), ``language``
(``auto``: English or Chinese per dialogue, from its script) and ``alignment={"word": [[symbol, start, duration, score], ...]}`` (Lhotse's serialised
``AlignmentItem``; times relative to the recording, like the supervision's ``start``);
``custom`` holds ``role``, ``kind``, ``turn_index`` and ``interrupted``. Recording sources are
absolute paths (Lhotse resolves relative paths against the working directory; use
``RecordingSet.with_path_prefix`` after moving the folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duplexsynth.dataset.export.common import (
    ExportSummary,
    NameRegistry,
    export_progress,
    write_bytes_atomic,
    write_jsonl_atomic,
)
from duplexsynth.dataset.shards import iter_dialogues
from duplexsynth.lang import text_language
from duplexsynth.pipelines.outdir import require_finished
from duplexsynth.pipelines.write import audio_info

COLUMNS = ["id", "audio", "sample_rate", "duration_s", "words", "turns"]
AUDIO_DIR = "audio"
TIME_DECIMALS = 6


def _r(x: float) -> float:
    return round(float(x), TIME_DECIMALS)


def recording_dict(recording_id: str, path: str, sample_rate: int, num_samples: int) -> dict:
    """A Lhotse ``Recording`` as ``Recording.to_dict()`` writes it (2 channels, one file)."""
    return {
        "id": recording_id,
        "sources": [{"type": "file", "channels": [0, 1], "source": path}],
        "sampling_rate": int(sample_rate),
        "num_samples": int(num_samples),
        "duration": num_samples / sample_rate,
        "channel_ids": [0, 1],
    }


def supervision_dicts(
    recording_id: str, row: dict[str, Any], duration_s: float, language: str
) -> list[dict[str, Any]]:
    """One Lhotse ``SupervisionSegment`` dict per utterance of ``row`` (sorted by start)."""
    words_by_turn: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for w in row.get("words") or []:
        words_by_turn.setdefault((int(w["turn_index"]), int(w["channel"])), []).append(w)
    out = []
    for t in row.get("turns") or []:
        if t.get("start_s") is None or t.get("end_s") is None or t.get("channel") is None:
            continue
        start = max(0.0, float(t["start_s"]))
        end = float(t["end_s"])
        if t.get("interrupted") and t.get("cut_s") is not None:
            end = min(end, float(t["cut_s"]))
        end = min(end, duration_s)
        if end <= start:
            continue
        channel = int(t["channel"])
        items = []
        for w in sorted(
            words_by_turn.get((int(t["turn_index"]), channel), []), key=lambda w: w["start_s"]
        ):
            ws, we = float(w["start_s"]), min(float(w["end_s"]), duration_s)
            if we > ws:
                items.append([str(w["word"]).strip(), _r(ws), _r(we - ws), None])
        text = t.get("text") or t.get("spoken_text") or " ".join(i[0] for i in items)
        seg: dict[str, Any] = {
            "id": f"{recording_id}-{int(t['turn_index']):03d}",
            "recording_id": recording_id,
            "start": _r(start),
            "duration": _r(end - start),
            "channel": channel,
            "text": text,
            "language": language,
            "speaker": t.get("voice") or t.get("speaker"),
            "custom": {
                "role": t.get("speaker"),
                "kind": t.get("kind"),
                "turn_index": int(t["turn_index"]),
                "interrupted": bool(t.get("interrupted")),
            },
        }
        if items:
            seg["alignment"] = {"word": items}
        out.append(seg)
    out.sort(key=lambda s: (s["start"], s["channel"]))
    return out


#: language code -> the name Lhotse recipes write in ``SupervisionSegment.language``
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese"}


def row_language(row: dict[str, Any], language: str) -> str:
    """``language``, or for ``auto`` the language the row's turns are written in (English or
    Chinese, from their script)."""
    if language != "auto":
        return language
    return LANGUAGE_NAMES[text_language(t.get("spoken_text") for t in row.get("turns") or [])]


def export_lhotse(
    output_root: str | Path,
    dest: str | Path,
    *,
    overwrite: bool = False,
    shar: bool = False,
    shar_shard_size: int = 1000,
    language: str = "auto",
    progress_every_s: float = 10.0,
) -> ExportSummary:
    """Write Lhotse manifests (and optionally Shar) for ``output_root``'s final shards.

    An unfinished run (``_RUNNING``/``_FAILED`` marker in ``output_root``) is refused with a
    ``ValueError``.
    """
    require_finished(str(output_root), "export")
    dest = Path(dest).resolve()
    summary = ExportSummary("lhotse", str(dest))
    progress = export_progress("lhotse", progress_every_s)
    recordings: list[dict[str, Any]] = []
    supervisions: list[dict[str, Any]] = []
    cuts: list[dict[str, Any]] = []
    names = NameRegistry()
    for row in iter_dialogues(output_root, columns=COLUMNS):
        rid = row["id"]
        path = dest / AUDIO_DIR / f"{names.name(rid)}.flac"
        channels, sr, frames = audio_info(row["audio"]["bytes"])
        if channels != 2:
            raise ValueError(f"dialogue {rid}: audio has {channels} channels, expected 2")
        if path.exists() and not overwrite:
            summary.skipped += 1
        else:
            write_bytes_atomic(path, row["audio"]["bytes"])
            summary.written += 1
        rec = recording_dict(rid, str(path), sr, frames)
        sups = supervision_dicts(rid, row, rec["duration"], row_language(row, language))
        recordings.append(rec)
        supervisions.extend(sups)
        cuts.append(
            {
                "id": rid,
                "start": 0.0,
                "duration": rec["duration"],
                "channel": [0, 1],
                "supervisions": sups,
                "recording": rec,
                "type": "MultiCut",
            }
        )
        summary.audio_s += rec["duration"]
        progress.add("lhotse", kept=1, audio_s=rec["duration"])
    files = {
        "recordings": dest / "recordings.jsonl.gz",
        "supervisions": dest / "supervisions.jsonl.gz",
        "cuts": dest / "cuts.jsonl.gz",
    }
    write_jsonl_atomic(files["recordings"], recordings)
    write_jsonl_atomic(files["supervisions"], supervisions)
    write_jsonl_atomic(files["cuts"], cuts)
    summary.files = {k: str(v) for k, v in files.items()}
    if shar:
        summary.files["shar"] = str(write_shar(files["cuts"], dest / "shar", shar_shard_size))
    return summary


def write_shar(cuts_path: Path, shar_dir: Path, shard_size: int) -> Path:
    """Lhotse Shar (``cuts.NNNNNN.jsonl.gz`` + ``recording.NNNNNN.tar``) from the cuts manifest.

    Needs lhotse (``pip install 'duplexsynth[lhotse]'``, with the CPU torch wheel first).
    """
    try:
        from lhotse import CutSet
    except ImportError as exc:
        raise ValueError(
            "--shar needs lhotse: pip install torch==2.13.0 (CPU wheel) then "
            "pip install 'duplexsynth[lhotse]'"
        ) from exc
    shar_dir.mkdir(parents=True, exist_ok=True)
    cuts = CutSet.from_file(cuts_path)
    cuts.to_shar(shar_dir, fields={"recording": "flac"}, shard_size=shard_size)
    return shar_dir
