"""Alignment backends: the TTS engine's own timings, faster-whisper, whisper-timestamped."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duplexsynth.align.base import AsrAligner
    from duplexsynth.align.config import AlignConfig


def make_asr_aligner(backend: str, config: AlignConfig) -> AsrAligner:
    """A (not yet loaded) recogniser-based aligner for ``backend`` configured from ``config``."""
    common = dict(
        language=config.language,
        beam_size=config.beam_size,
        vad=config.vad,
        vad_min_duration_s=config.vad_min_duration_s,
        prompt_with_text=config.prompt_with_text,
        min_match_ratio=config.min_match_ratio,
        min_heard_fraction=config.min_heard_fraction,
        max_wer=config.max_wer,
        trim_to_sound=config.trim_to_sound,
        silence_db=config.silence_db,
        min_pause_s=config.min_pause_s,
    )
    if backend == "faster-whisper":
        from duplexsynth.align.backends.faster_whisper import FasterWhisperAligner

        return FasterWhisperAligner(
            config.model_for(backend),
            device=config.device,
            compute_type=config.compute_type,
            cpu_threads=config.cpu_threads,
            **common,
        )
    if backend == "whisper-timestamped":
        from duplexsynth.align.backends.whisper_ts import WhisperTimestampedAligner

        return WhisperTimestampedAligner(
            config.model_for(backend),
            device=config.device,
            download_root=config.whisper_download_root,
            vad_method=config.vad_method,
            **common,
        )
    raise ValueError(f"{backend!r} is not a speech-recognition backend")
