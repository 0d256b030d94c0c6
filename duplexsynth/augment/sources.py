"""Indexes of audio files on disk (noise corpora, measured RIRs), tolerant of odd files.

A directory is scanned recursively in sorted order (so the index, and every choice made from
it, is the same on every machine). Files whose extension is not audio are counted and skipped;
audio files that cannot be read, are empty or are too short are skipped with a warning naming
the file; low sample rates and multichannel files are kept (resampled / downmixed on read)
with a warning. Nothing here ever fails a run over one bad file. Directories may also be
object-store prefixes (``s3://bucket/noise``, ``gs://...``): listed and read through Beam's
FileSystems (:mod:`duplexsynth.fs`).
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from duplexsynth import fs
from duplexsynth.audio import resample

log = logging.getLogger("duplexsynth.augment")

AUDIO_EXTENSIONS = (
    ".wav",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".mp3",
    ".aif",
    ".aiff",
    ".au",
    ".w64",
    ".caf",
    ".sph",
)
#: below this rate a noise file is kept but a warning says it is band-limited
LOW_RATE_HZ = 16000


@dataclass(frozen=True)
class AudioFile:
    """One usable audio file of an index."""

    path: str  # absolute path or object-store URL
    rel_path: str  # relative to its root, "/"-separated
    root_index: int  # which of the scanned directories
    sample_rate: int
    frames: int
    channels: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def category(self) -> str:
        """First folder under the root (MUSAN: noise/music/speech or free-sound/sound-bible)."""
        parts = self.rel_path.split("/")
        return parts[0] if len(parts) > 1 else ""


@dataclass
class AudioIndex:
    """Usable files plus what was skipped and why."""

    roots: tuple[str, ...]
    files: tuple[AudioFile, ...]
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.files)

    def summary(self) -> str:
        parts = [f"{len(self.files)} usable file(s)"]
        for reason, paths in sorted(self.skipped.items()):
            parts.append(f"{len(paths)} {reason}")
        return ", ".join(parts)


def scan_audio_dirs(
    dirs: tuple[str, ...] | list[str],
    *,
    what: str,
    include: tuple[str, ...] | list[str] = (),
    min_duration_s: float = 0.0,
) -> AudioIndex:
    """Index the audio files under ``dirs`` (recursive). ``what`` names them in log lines.

    ``include``: glob patterns on the path relative to its root (empty = all audio files).
    Raises ``ValueError`` only for a directory that does not exist (a configuration error).
    """
    files: list[AudioFile] = []
    skipped: dict[str, list[str]] = {}

    def skip(reason: str, path: str, detail: str = "", warn: bool = True) -> None:
        skipped.setdefault(reason, []).append(path)
        if warn:
            log.warning(
                "%s: skipping %s (%s%s)", what, path, reason, f": {detail}" if detail else ""
            )

    for ri, root in enumerate(dirs):
        for full, rel in _listing(root, what):
            name = rel.rsplit("/", 1)[-1]
            if name.startswith("."):
                continue
            if not name.lower().endswith(AUDIO_EXTENSIONS):
                skip("not audio", full, warn=False)
                continue
            if include and not any(fnmatch.fnmatch(rel, pat) for pat in include):
                skipped.setdefault("excluded", []).append(full)
                continue
            entry = _probe(full, rel, ri, min_duration_s, skip, what)
            if entry is not None:
                files.append(entry)
    index = AudioIndex(roots=tuple(str(d) for d in dirs), files=tuple(files), skipped=skipped)
    if skipped.get("not audio"):
        examples = ", ".join(os.path.basename(p) for p in skipped["not audio"][:3])
        log.warning(
            "%s: ignored %d file(s) without an audio extension (e.g. %s)",
            what,
            len(skipped["not audio"]),
            examples,
        )
    log.info("%s index: %s", what, index.summary())
    if dirs and not files:
        log.warning("%s: no usable audio file under %s", what, ", ".join(map(str, dirs)))
    return index


def _listing(root: str | os.PathLike[str], what: str) -> Iterator[tuple[str, str]]:
    """``(path, path relative to root with "/" separators)`` of every file under ``root`` (a
    local directory walked in sorted order, or an object-store prefix)."""
    if not fs.is_local(str(root)):
        yield from _remote_files(str(root), what)
        return
    root_path = Path(root)
    if not root_path.is_dir():
        raise ValueError(f"{what} directory {root!r} does not exist or is not a directory")
    for dirpath, dirnames, filenames in os.walk(root_path, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            yield full, os.path.relpath(full, root_path).replace(os.sep, "/")


def _remote_files(root: str, what: str) -> list[tuple[str, str]]:
    """``(url, path relative to root)`` of every object under an object-store prefix."""
    base = root.rstrip("/") + "/"
    found = [(f, f[len(base) :]) for f in fs.list_tree(root) if f.startswith(base)]
    if not found:
        raise ValueError(f"{what} directory {root!r} does not exist or holds no files")
    return found


def _probe(
    full: str, rel: str, ri: int, min_duration_s: float, skip, what: str
) -> AudioFile | None:
    local = fs.is_local(full)
    try:
        if (os.path.getsize(full) if local else fs.sizes([full]).get(full, 0)) == 0:
            skip("empty", full, "0 bytes")
            return None
        if local:
            info = sf.info(full)
        else:
            with fs.open_read(full) as fh:
                info = sf.info(fh)
    except Exception as exc:  # not really audio, truncated header, unsupported codec
        skip("unreadable", full, f"{type(exc).__name__}: {str(exc).strip()[:120]}")
        return None
    frames = int(info.frames)
    sr = int(info.samplerate)
    if frames <= 0 or sr <= 0:
        skip("empty", full, "no samples")
        return None
    if frames / sr < min_duration_s:
        skip("too short", full, f"{frames} samples = {frames / sr:.3f} s < {min_duration_s} s")
        return None
    if sr < LOW_RATE_HZ:
        log.warning(
            "%s: %s is %d Hz; it is resampled on use but carries no energy above %d Hz",
            what,
            full,
            sr,
            sr // 2,
        )
    if info.channels > 1:
        log.info("%s: %s has %d channels; it is downmixed on use", what, full, info.channels)
    return AudioFile(
        path=os.path.abspath(full) if local else full,
        rel_path=rel,
        root_index=ri,
        sample_rate=sr,
        frames=frames,
        channels=int(info.channels),
    )


def read_mono(
    entry: AudioFile, sample_rate: int, start: int = 0, frames: int = -1, channel: int | None = None
) -> np.ndarray:
    """Frames ``[start, start + frames)`` of a file as float32 mono at ``sample_rate``.

    Multichannel files are averaged (or ``channel`` is taken).
    """
    if fs.is_local(entry.path):
        data, sr = sf.read(entry.path, start=start, frames=frames, dtype="float32", always_2d=True)
    else:
        with fs.open_read(entry.path) as fh:
            data, sr = sf.read(fh, start=start, frames=frames, dtype="float32", always_2d=True)
    if data.shape[1] == 1:
        mono = data[:, 0]
    elif channel is not None:
        mono = data[:, min(channel, data.shape[1] - 1)]
    else:
        mono = data.mean(axis=1)
    return resample(np.ascontiguousarray(mono, dtype=np.float32), sr, sample_rate)
