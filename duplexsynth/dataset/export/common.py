"""Helpers shared by the exporters: atomic file writes and export summaries."""

from __future__ import annotations

import gzip
import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duplexsynth.pipelines.progress import ProgressBoard


@dataclass
class ExportSummary:
    """What an export did: dialogues written, skipped (already there) and audio seconds."""

    format: str
    dest: str
    written: int = 0
    skipped: int = 0
    audio_s: float = 0.0
    files: dict[str, str] = field(default_factory=dict)

    @property
    def dialogues(self) -> int:
        return self.written + self.skipped

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dest": self.dest,
            "dialogues": self.dialogues,
            "written": self.written,
            "skipped_existing": self.skipped,
            "audio_hours": round(self.audio_s / 3600.0, 6),
            "files": self.files,
        }


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(dialogue_id: str) -> str:
    """A file-name-safe form of a dialogue id (other characters become ``_``)."""
    name = _UNSAFE.sub("_", str(dialogue_id)).lstrip(".")
    if not name:
        raise ValueError(f"dialogue id {dialogue_id!r} gives an empty file name")
    return name


class NameRegistry:
    """Raises ``ValueError`` when two dialogue ids map to the same file name."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def name(self, dialogue_id: str) -> str:
        name = safe_name(dialogue_id)
        other = self.seen.setdefault(name, dialogue_id)
        if other != dialogue_id:
            raise ValueError(
                f"dialogue ids {other!r} and {dialogue_id!r} map to the same file name {name!r}"
            )
        return name


def _tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_jsonl_atomic(path: str | os.PathLike[str], items: Iterable[dict[str, Any]]) -> int:
    """Write one JSON object per line (gzip-compressed when ``path`` ends in ``.gz``).

    The gzip header carries no name or time, so the same items give the same bytes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    n = 0
    with open(tmp, "wb") as raw:
        gz = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
            if path.suffix == ".gz"
            else None
        )
        sink = gz if gz is not None else raw
        for item in items:
            sink.write((json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8"))
            n += 1
        if gz is not None:
            gz.close()
    os.replace(tmp, path)
    return n


def export_progress(name: str, every_s: float = 10.0) -> ProgressBoard:
    """The exporter's progress board: ``[export NAME ...]`` lines, dialogues counted as kept."""
    return ProgressBoard(f"export {name}", every_s)
