"""Check final shards (``OUT/dialogues``) against the stage contract, record by record.

Per file: the schema version and stage in the metadata, every contract field with its type, the
Hugging Face features metadata. Per dialogue: a non-empty id unique across all shards; audio that
decodes to 2 channels at ``sample_rate`` (= the features' sampling rate) and lasts
``duration_s``; words with ``0 <= start <= end <= duration``, on channel 0 (assistant) or 1
(user) as their speaker says, each inside speech on its channel (an energy check around the
word, on the clean mix when the row has one); turns on their speaker's channel inside the audio,
and words consistent with turns (the word's turn exists, is on the same channel, and spans the
word; a spoken turn has words, in order, matching its text).

Problems come back as :class:`Problem` records naming the file, the dialogue id and what is
wrong; :func:`validate_output` returns them all (capped per dialogue) with counts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from duplexsynth import audio as audio_helpers
from duplexsynth.audio import amplitude_db, decode_audio
from duplexsynth.dataset.shards import dialogue_files
from duplexsynth.lang import has_han
from duplexsynth.schemas.arrow import SCHEMA_VERSION, stage_schema
from duplexsynth.schemas.records import CHANNEL_OF, KIND_BACKCHANNEL

#: tolerance for times that should agree (word vs duration, word vs its turn, duration vs audio)
TIME_TOL_S = 0.05
#: energy window: a word must have speech within this margin of its edges
ENERGY_MARGIN_S = 0.05
FRAME_S = 0.02
#: absolute floor for "speech" in a frame (dBFS of frame RMS)
SPEECH_FLOOR_DBFS = -60.0
#: ... and at least this far above the channel's noise floor (10th percentile of frame RMS)
SPEECH_ABOVE_NOISE_DB = 6.0
MAX_PROBLEMS_PER_DIALOGUE = 5

_NORM = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class Problem:
    """One contract violation: where, which dialogue (``None`` for file-level), what."""

    file: str
    id: str | None
    check: str
    message: str

    def __str__(self) -> str:
        where = f"{self.id}" if self.id is not None else Path(self.file).name
        return f"{where}: [{self.check}] {self.message}"


@dataclass
class ValidationResult:
    files: int = 0
    dialogues: int = 0
    words: int = 0
    audio_s: float = 0.0
    sample_rates: set[int] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    bad_dialogues: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return dict(Counter(p.check for p in self.problems).most_common())

    def summary_line(self) -> str:
        rates = ", ".join(f"{r} Hz" for r in sorted(self.sample_rates)) or "no audio"
        head = (
            f"{self.dialogues} dialogues, {self.audio_s / 3600:.4f} h, {self.words} words "
            f"in {self.files} shard(s) (schema {SCHEMA_VERSION}, {rates})"
        )
        if self.ok:
            return f"OK: {head}"
        return f"FAILED: {len(self.problems)} problem(s) in {len(self.bad_dialogues)} dialogue(s); {head}"


# ----------------------------------------------------------------------------------- schema
def check_schema(path: str, schema) -> list[Problem]:
    """File-level checks: metadata (version, stage, HF features) and contract fields/types."""
    problems = []
    meta = schema.metadata or {}
    version = meta.get(b"duplexsynth.schema_version", b"").decode()
    if version != SCHEMA_VERSION:
        problems.append(
            Problem(
                path, None, "schema", f"schema version {version!r}, expected {SCHEMA_VERSION!r}"
            )
        )
    stage = meta.get(b"duplexsynth.stage", b"").decode()
    if stage != "write":
        problems.append(
            Problem(path, None, "schema", f"stage {stage!r} in metadata, expected 'write'")
        )
    hf = meta.get(b"huggingface")
    try:
        feats = json.loads(hf)["info"]["features"] if hf else None
        if not feats or feats.get("audio", {}).get("_type") != "Audio":
            raise ValueError("no Audio feature for 'audio'")
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(Problem(path, None, "schema", f"Hugging Face features metadata: {exc}"))
    expected = stage_schema("write", keep_turn_audio="backchannels" in schema.names)
    for f in expected:
        if f.name not in schema.names:
            if f.name != "clean_audio":
                problems.append(Problem(path, None, "schema", f"missing field {f.name!r}"))
            continue
        got = schema.field(f.name).type
        if not got.equals(f.type):
            problems.append(
                Problem(path, None, "schema", f"field {f.name!r} has type {got}, expected {f.type}")
            )
    return problems


def features_sample_rate(schema) -> int | None:
    try:
        feats = json.loads((schema.metadata or {})[b"huggingface"])["info"]["features"]
        return int(feats["audio"]["sampling_rate"])
    except (KeyError, ValueError, TypeError):
        return None


# ----------------------------------------------------------------------------------- energy
def frame_rms(channel: np.ndarray, sample_rate: int) -> np.ndarray:
    """RMS of consecutive ``FRAME_S`` frames of one channel."""
    return audio_helpers.frame_rms(channel, max(1, int(FRAME_S * sample_rate)))


def speech_threshold(rms: np.ndarray) -> float:
    """Frame RMS a word's neighbourhood must reach: above an absolute floor and the noise floor."""
    floor = 10 ** (SPEECH_FLOOR_DBFS / 20)
    if rms.size == 0:
        return floor
    noise = float(np.percentile(rms, 10))
    return max(floor, noise * 10 ** (SPEECH_ABOVE_NOISE_DB / 20))


def _norm_tokens(text: str) -> list[str]:
    return [t for t in (_NORM.sub("", w).lower() for w in text.split()) if t]


def _said_differs(said: list[str], text: str) -> bool:
    """The words do not spell the text (Chinese: compared as one run of characters)."""
    if has_han(text):
        return "".join(_norm_tokens(" ".join(said))) != "".join(_norm_tokens(text))
    return _norm_tokens(" ".join(said)) != _norm_tokens(text)


# ------------------------------------------------------------------------------- dialogues
class _Checker:
    def __init__(self, path: str, row: dict[str, Any], hf_rate: int | None) -> None:
        self.path = path
        self.row = row
        self.id = row.get("id")
        self.hf_rate = hf_rate
        self.problems: list[Problem] = []

    def bad(self, check: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.id, check, message))

    def run(self) -> tuple[list[Problem], float, int]:
        row = self.row
        if not self.id:
            self.bad("id", "empty id")
        audio = self._audio()
        if audio is None:
            return self.problems, 0.0, 0
        sr = int(row["sample_rate"])
        duration = audio.shape[0] / sr
        reference = self._clean(audio.shape, sr)
        rms = [frame_rms((reference if reference is not None else audio)[:, c], sr) for c in (0, 1)]
        thresholds = [speech_threshold(r) for r in rms]
        turns = {int(t["turn_index"]): t for t in row.get("turns") or []}
        self._turns(turns, duration)
        words = row.get("words") or []
        self._words(words, turns, duration, rms, thresholds, sr)
        self._turn_words(turns, words)
        return self.problems, duration, len(words)

    def _audio(self) -> np.ndarray | None:
        row = self.row
        data = (row.get("audio") or {}).get("bytes")
        if not data:
            self.bad("audio", "no audio bytes")
            return None
        try:
            audio, sr = decode_audio(data, always_2d=True)
        except Exception as exc:  # soundfile's own error types
            self.bad("audio", f"audio does not decode: {exc}")
            return None
        if audio.shape[1] != 2:
            self.bad("audio", f"audio has {audio.shape[1]} channel(s), expected 2")
            return None
        if row.get("sample_rate") != sr:
            self.bad("audio", f"audio is {sr} Hz but sample_rate says {row.get('sample_rate')}")
            return None
        if self.hf_rate is not None and self.hf_rate != sr:
            self.bad("audio", f"audio is {sr} Hz but the features metadata says {self.hf_rate}")
        expected = f"{self.id}.flac"
        if (row.get("audio") or {}).get("path") != expected:
            self.bad("audio", f"audio path {row['audio'].get('path')!r}, expected {expected!r}")
        dur = row.get("duration_s")
        if dur is None or abs(audio.shape[0] / sr - float(dur)) > TIME_TOL_S:
            self.bad(
                "duration", f"duration_s {dur} but the audio lasts {audio.shape[0] / sr:.3f} s"
            )
        return audio

    def _clean(self, shape: tuple[int, ...], sr: int) -> np.ndarray | None:
        data = (self.row.get("clean_audio") or {}).get("bytes")
        if not data:
            return None
        try:
            clean, csr = decode_audio(data, always_2d=True)
        except Exception as exc:
            self.bad("audio", f"clean_audio does not decode: {exc}")
            return None
        if clean.shape != shape or csr != sr:
            self.bad(
                "audio", f"clean_audio is {clean.shape} at {csr} Hz, audio is {shape} at {sr} Hz"
            )
            return None
        return clean

    def _turns(self, turns: dict[int, dict], duration: float) -> None:
        if not turns:
            self.bad("turns", "no turns")
        for ti, t in turns.items():
            speaker, ch = t.get("speaker"), t.get("channel")
            if speaker not in CHANNEL_OF:
                self.bad("turns", f"turn {ti}: speaker {speaker!r} is not user/assistant")
            elif ch != CHANNEL_OF[speaker]:
                self.bad(
                    "turns",
                    f"turn {ti} ({speaker}) on channel {ch}, expected {CHANNEL_OF[speaker]}",
                )
            s, e = t.get("start_s"), t.get("end_s")
            if s is None or e is None:
                self.bad("turns", f"turn {ti} has no start_s/end_s")
            elif not (-TIME_TOL_S <= s < e <= duration + TIME_TOL_S):
                self.bad(
                    "turns", f"turn {ti} spans [{s:.3f}, {e:.3f}] s, audio lasts {duration:.3f} s"
                )

    def _words(self, words, turns, duration, rms, thresholds, sr) -> None:
        last_start = {0: -1.0, 1: -1.0}
        for i, w in enumerate(words):
            s, e, ch = float(w["start_s"]), float(w["end_s"]), w.get("channel")
            label = f"word {i} {w['word']!r} [{s:.3f}, {e:.3f}]"
            if ch not in (0, 1):
                self.bad("words", f"{label}: channel {ch}, expected 0 or 1")
                continue
            if CHANNEL_OF.get(w.get("speaker")) != ch:
                self.bad("words", f"{label}: speaker {w.get('speaker')!r} on channel {ch}")
            if not (0.0 <= s <= e <= duration + TIME_TOL_S):
                self.bad("words", f"{label}: outside the audio (0 .. {duration:.3f} s)")
                continue
            if s < last_start[ch] - 1e-9:
                self.bad("words", f"{label}: starts before the previous word on channel {ch}")
            last_start[ch] = s
            t = turns.get(int(w["turn_index"]))
            if t is None:
                self.bad("turns", f"{label}: turn_index {w['turn_index']} has no turn")
            else:
                if t.get("channel") != ch:
                    self.bad("turns", f"{label}: on channel {ch}, its turn on {t.get('channel')}")
                ts, te = t.get("start_s"), t.get("end_s")
                if (
                    ts is not None
                    and te is not None
                    and not (ts - TIME_TOL_S <= s and e <= te + TIME_TOL_S)
                ):
                    self.bad(
                        "turns",
                        f"{label}: outside its turn {w['turn_index']} [{ts:.3f}, {te:.3f}]",
                    )
            a = max(0, int((s - ENERGY_MARGIN_S) / FRAME_S))
            b = max(a + 1, int(np.ceil((e + ENERGY_MARGIN_S) / FRAME_S)))
            peak = float(rms[ch][a:b].max()) if rms[ch][a:b].size else 0.0
            if peak < thresholds[ch]:
                self.bad(
                    "speech",
                    f"{label}: no speech on channel {ch} (peak {amplitude_db(peak):.0f} dBFS, "
                    f"needs {amplitude_db(thresholds[ch]):.0f})",
                )

    def _turn_words(self, turns: dict[int, dict], words: list[dict]) -> None:
        by_turn: dict[int, list[str]] = {}
        for w in words:
            by_turn.setdefault(int(w["turn_index"]), []).append(str(w["word"]))
        for ti, t in turns.items():
            text = t.get("text") if t.get("text") is not None else t.get("spoken_text")
            said = by_turn.get(ti, [])
            if not text or not text.strip():
                continue
            if not said:
                if t.get("kind") != KIND_BACKCHANNEL:
                    self.bad("turns", f"turn {ti} says {text[:40]!r} but has no words")
                continue
            if _said_differs(said, text):
                self.bad(
                    "turns",
                    f"turn {ti}: words {' '.join(said)[:60]!r} do not match its text {text[:60]!r}",
                )


def validate_output(output_root: str | Path, max_problems: int | None = None) -> ValidationResult:
    """Validate every final shard under ``output_root`` (see module doc).

    An output root marked as unfinished (``_RUNNING``: killed or still running; ``_FAILED``)
    is refused with one ``run`` problem before any shard is read.
    """
    from duplexsynth.pipelines.io import parquet_file
    from duplexsynth.pipelines.outdir import incomplete_reason

    result = ValidationResult()
    unfinished = incomplete_reason(str(output_root))
    if unfinished is not None:
        result.problems.append(Problem(str(output_root), None, "run", unfinished))
        return result
    seen: dict[str, str] = {}
    for path in dialogue_files(output_root):
        result.files += 1
        pf = parquet_file(path)
        schema = pf.schema_arrow
        file_problems = check_schema(path, schema)
        result.problems.extend(file_problems)
        if any("missing field" in p.message for p in file_problems):
            continue
        hf_rate = features_sample_rate(schema)
        for batch in pf.iter_batches(batch_size=4):
            for row in batch.to_pylist():
                result.dialogues += 1
                did = row.get("id")
                problems: list[Problem] = []
                if did in seen:
                    problems.append(
                        Problem(path, did, "id", f"duplicate id (also in {Path(seen[did]).name})")
                    )
                elif did:
                    seen[did] = path
                found, duration, n_words = _Checker(path, row, hf_rate).run()
                problems.extend(found)
                result.audio_s += duration
                result.words += n_words
                if row.get("sample_rate"):
                    result.sample_rates.add(int(row["sample_rate"]))
                if problems:
                    result.bad_dialogues.add(str(did))
                    result.problems.extend(problems[:MAX_PROBLEMS_PER_DIALOGUE])
                    if len(problems) > MAX_PROBLEMS_PER_DIALOGUE:
                        more = len(problems) - MAX_PROBLEMS_PER_DIALOGUE
                        result.problems.append(Problem(path, did, "more", f"... and {more} more"))
                if max_problems is not None and len(result.problems) >= max_problems:
                    return result
    return result
