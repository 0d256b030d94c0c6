"""The final ``write`` step: augmented (or mixed) dialogues -> ``OUT/dialogues/part-*.parquet``.

One row per dialogue with the stage contract's fields (``stage_schema("write")``). ``audio`` is a
Hugging Face Audio struct (stereo FLAC ``bytes``, ``path`` = ``<id>.flac``; channel 0 the
assistant, channel 1 the user) and the schema metadata carries the ``datasets`` features JSON,
so ``datasets.load_dataset("parquet", data_files=...)`` reports an ``Audio`` feature. Per-turn mono
audio and the backchannel lexicon are dropped unless ``keep_turn_audio``.

The Beam side (``WriteTransform``, ``WriteDialogues``) is in
``duplexsynth.pipelines.transforms.write``; this module is plain Python (no Beam import). The
readers of the written shards (``validate``/``export``/``report``) are in
:mod:`duplexsynth.dataset.shards`.

Rows are checked at this boundary (stereo audio that decodes, duration, words and turns present);
a row that fails becomes a ``bad_input`` reject naming the problem, never a broken shard.
"""

from __future__ import annotations

import io as _io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import soundfile as sf

from duplexsynth import __version__
from duplexsynth.audio import decode_audio, encode_flac, resample
from duplexsynth.pipelines.config import WriteConfig
from duplexsynth.schemas.arrow import SCHEMA_VERSION, STAGE_FOLDERS, stage_schema
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import AudioRef, Dialogue, Reject, make_reject

STAGE = "write"
#: tolerated difference between ``duration_s`` and the audio's own length
DURATION_TOLERANCE_S = 0.05


def huggingface_features(sample_rate: int, clean_audio: bool) -> dict[str, Any]:
    """The ``datasets`` features JSON for the final rows' audio columns.

    Only the Audio columns are described: ``datasets`` infers every other column from the Arrow
    schema (checked by the tests with ``load_dataset("parquet")``).
    """
    from duplexsynth.schemas.arrow import huggingface_metadata

    meta = json.loads(huggingface_metadata(sample_rate))
    if clean_audio:
        meta["info"]["features"]["clean_audio"] = dict(meta["info"]["features"]["audio"])
    return meta


def final_schema(config: WriteConfig) -> pa.Schema:
    """``stage_schema("write")`` plus the Hugging Face features metadata (``b"huggingface"``)."""
    schema = stage_schema(STAGE, keep_turn_audio=config.keep_turn_audio)
    if not config.keep_clean_audio:
        schema = schema.remove(schema.get_field_index("clean_audio"))
    meta = dict(schema.metadata or {})
    features = huggingface_features(config.sample_rate_hz, clean_audio=config.keep_clean_audio)
    meta[b"huggingface"] = json.dumps(features).encode()
    meta[b"duplexsynth.sample_rate"] = str(config.sample_rate_hz).encode()
    return schema.with_metadata(meta)


def audio_info(data: bytes) -> tuple[int, int, int]:
    """``(channels, sample_rate, frames)`` of encoded audio, reading only its header."""
    info = sf.info(_io.BytesIO(data))
    return int(info.channels), int(info.samplerate), int(info.frames)


class FinalRowProcessor:
    """Checks one mixed/augmented dialogue and shapes it into a final row (see module doc)."""

    def __init__(self, config: WriteConfig | None = None, seed: int | None = None) -> None:
        self.config = config or WriteConfig()
        self.seed = seed

    def __call__(self, d: Dialogue) -> Dialogue | Reject:
        problem = self._check(d)
        if problem:
            return make_reject(d, STAGE, Reason.BAD_INPUT, f"dialogue {d.id}: {problem}")
        cfg = self.config
        channels, sr, frames = audio_info(d.audio.bytes)
        audio_bytes = d.audio.bytes
        clean = d.clean_audio if cfg.keep_clean_audio else None
        if sr != cfg.sample_rate_hz:
            audio_bytes, frames = _resampled(audio_bytes, cfg.sample_rate_hz)
            if clean is not None:
                clean = AudioRef(_resampled(clean.bytes, cfg.sample_rate_hz)[0], clean.path)
        duration_s = round(frames / cfg.sample_rate_hz, 6)
        params = {
            "sample_rate": cfg.sample_rate_hz,
            "source_sample_rate": sr,
            "keep_turn_audio": cfg.keep_turn_audio,
            "keep_clean_audio": cfg.keep_clean_audio,
            "schema_version": SCHEMA_VERSION,
            "duplexsynth_version": __version__,
        }
        if self.seed is not None:
            params["seed"] = int(self.seed)
        return d.replace(
            audio=AudioRef(audio_bytes, f"{d.id}.flac"),
            clean_audio=None if clean is None else AudioRef(clean.bytes, f"{d.id}.clean.flac"),
            sample_rate=cfg.sample_rate_hz,
            duration_s=duration_s,
        ).with_params(STAGE, params)

    def _check(self, d: Dialogue) -> str | None:
        if d.audio is None or not d.audio.bytes:
            return "no stereo audio (the mix stage has not run on this row)"
        try:
            channels, sr, frames = audio_info(d.audio.bytes)
        except Exception as exc:  # soundfile raises its own error types
            return f"audio does not decode: {exc}"
        if channels != 2:
            return f"audio has {channels} channel(s), expected 2 (0 = assistant, 1 = user)"
        if d.sample_rate is not None and int(d.sample_rate) != sr:
            return f"sample_rate column says {d.sample_rate} Hz but the audio is {sr} Hz"
        if frames == 0:
            return "audio is empty"
        if (
            d.duration_s is not None
            and abs(frames / sr - float(d.duration_s)) > DURATION_TOLERANCE_S
        ):
            return f"duration_s {d.duration_s:.3f} s but the audio lasts {frames / sr:.3f} s"
        if d.words is None:
            return "no timeline words (the mix stage has not run on this row)"
        if not d.turns:
            return "no turns"
        if any(t.start_s is None or t.end_s is None or t.channel is None for t in d.turns):
            return "a turn has no start_s/end_s/channel on the timeline"
        if d.clean_audio is not None and self.config.keep_clean_audio:
            try:
                c_ch, c_sr, _ = audio_info(d.clean_audio.bytes)
            except Exception as exc:
                return f"clean_audio does not decode: {exc}"
            if c_ch != 2 or c_sr != sr:
                return f"clean_audio is {c_ch} ch at {c_sr} Hz, audio is 2 ch at {sr} Hz"
        return None


def _resampled(data: bytes, to_rate: int) -> tuple[bytes, int]:
    audio, sr = decode_audio(data, always_2d=True)
    out = resample(audio, sr, to_rate)
    return encode_flac(np.asarray(out, dtype=np.float32), to_rate), int(out.shape[0])


def finalize_rows(
    rows: list[dict[str, Any]], config: WriteConfig | None = None, seed: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Without Beam: ``(final rows, reject rows)`` for already-mixed rows."""
    proc = FinalRowProcessor(config, seed)
    kept, rejects = [], []
    for row in rows:
        result = proc(Dialogue.from_row(row))
        if isinstance(result, Reject):
            rejects.append(result.to_row())
        else:
            kept.append(result.to_row())
    return kept, rejects


def write_dialogue_rows(
    output_root: str | Path, final_rows: list[dict[str, Any]], config: WriteConfig | None = None
) -> list[str]:
    """Without Beam: write final rows as ``OUT/dialogues/part-*.parquet`` (same bytes as Beam)."""
    import uuid

    from duplexsynth import fs
    from duplexsynth.pipelines import io
    from duplexsynth.schemas.arrow import conform_row

    cfg = config or WriteConfig()
    schema = final_schema(cfg)
    folder = fs.join(str(output_root), STAGE_FOLDERS[STAGE])
    tmp = fs.join(folder, f".tmp-{uuid.uuid4().hex[:12]}")
    path = io.write_sorted_temp(
        tmp,
        [conform_row(r, schema) for r in final_rows],
        schema,
        io.row_sort_key,
        cfg.row_group_rows,
    )
    written = io.finalize_shards(
        [path],
        str(folder),
        schema,
        io.row_sort_key,
        target_shard_mb=cfg.target_shard_mb,
        row_group_rows=cfg.row_group_rows,
    )
    fs.remove_tree(tmp)
    return written
