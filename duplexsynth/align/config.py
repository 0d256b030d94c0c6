"""Every knob of the align stage, with its offline default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: the stage's backends, as the CLI and the YAML ``align`` section spell them
BACKENDS = ("tts", "faster-whisper", "whisper-timestamped")
#: what a turn without TTS word timings falls back to (``none`` rejects the dialogue)
FALLBACKS = ("faster-whisper", "whisper-timestamped", "none")
#: per-word ``method`` value of each backend
METHOD_OF = {
    "tts": "tts",
    "faster-whisper": "faster_whisper",
    "whisper-timestamped": "whisper_timestamped",
}
VAD_METHODS = ("silero", "auditok")
#: what a turn that can not be aligned costs the dialogue
ON_TURN_FAILURE = ("exchange", "tail")


@dataclass
class AlignConfig:
    """Configuration of ``duplexsynth align`` (YAML section ``align``).

    ``backend`` picks where word times come from: ``tts`` copies the TTS engine's own timings
    (``turns[].tts_words``) and uses ``fallback`` for turns that have none; ``faster-whisper`` and
    ``whisper-timestamped`` run speech recognition and map the recognised words onto the known
    text. ``whisper_model`` names the recogniser's weights: ``None`` means the backend's default
    (the bundled tiny.en for faster-whisper, ``medium`` for whisper-timestamped as in
    moshi-finetune); a local path works for both.
    """

    backend: str = "tts"
    fallback: str = "faster-whisper"
    whisper_model: str | None = None
    #: whisper-timestamped only: where openai-whisper keeps/downloads checkpoints
    whisper_download_root: str | None = None
    language: str = "en"
    #: voice activity detection before recognition (turns of at least ``vad_min_duration_s``)
    vad: bool = False
    #: whisper-timestamped's VAD: "silero" (fetched through torch.hub) or "auditok";
    #: faster-whisper always uses the Silero model bundled in its wheel
    vad_method: str = "silero"
    #: moshi-finetune turns VAD on only for clips longer than 10 s
    vad_min_duration_s: float = 10.0
    device: str = "cpu"
    #: faster-whisper (CTranslate2) compute type: int8, int8_float32, float16, float32, default
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 1
    #: give the known text to the recogniser as its initial prompt (fewer mis-hearings)
    prompt_with_text: bool = True
    #: tighten recognised word spans onto the sound inside them (Whisper's spans tile the audio)
    trim_to_sound: bool = True
    #: frames this far below the loudest frame count as silence when trimming
    silence_db: float = -40.0
    #: silences at least this long near a word boundary count as the pause between the words
    min_pause_s: float = 0.08
    #: a word counts as heard when at least this share of its letters matches the recogniser
    min_match_ratio: float = 0.34
    #: a turn whose heard share of words is below this is an align_error when, in addition,
    #: the recogniser's words disagree with the text by a word error rate above ``max_wer``
    #: (the synth QC's default threshold); below it the missed words are interpolated
    min_heard_fraction: float = 0.5
    max_wer: float = 0.4
    #: words that stick out of the audio by at most this much are clamped (else an error)
    clamp_tolerance_s: float = 0.25
    #: overlaps between neighbouring words up to this long are trimmed (else an error)
    overlap_tolerance_s: float = 0.05
    #: shorter words are widened into the free space around them
    min_word_s: float = 0.02
    #: what a turn that can not be aligned costs: ``exchange`` drops that user/assistant
    #: exchange and keeps aligning the rest (recorded in ``params["align"]["dropped_exchanges"]``);
    #: ``tail`` cuts the dialogue before it (the clean prefix, ``params["align"]["cut"]``)
    on_turn_failure: str = "exchange"
    #: cache recogniser output by content hash of (audio, text, backend, options)
    cache: bool = True
    #: cache folder; None = $DUPLEXSYNTH_CACHE or ~/.cache/duplexsynth
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        self.backend = _canon(self.backend)
        self.fallback = _canon(self.fallback)
        self.validate()

    # ------------------------------------------------------------------------------ checking
    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad value."""
        if self.backend not in BACKENDS:
            raise ValueError(
                f"align.backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}"
            )
        if self.fallback not in FALLBACKS:
            raise ValueError(
                f"align.fallback must be one of {', '.join(FALLBACKS)}, got {self.fallback!r}"
            )
        if self.vad_method not in VAD_METHODS:
            raise ValueError(
                f"align.vad_method must be one of {', '.join(VAD_METHODS)}, got {self.vad_method!r}"
            )
        if self.on_turn_failure not in ON_TURN_FAILURE:
            raise ValueError(
                f"align.on_turn_failure must be one of {', '.join(ON_TURN_FAILURE)}, "
                f"got {self.on_turn_failure!r}"
            )
        if not isinstance(self.language, str) or not self.language:
            raise ValueError(f"align.language must be a language code, got {self.language!r}")
        for name in ("min_match_ratio", "min_heard_fraction", "max_wer"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"align.{name} must be in [0, 1], got {value!r}")
        for name in (
            "vad_min_duration_s",
            "clamp_tolerance_s",
            "overlap_tolerance_s",
            "min_word_s",
            "min_pause_s",
        ):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"align.{name} must be a number >= 0, got {value!r}")
        if not isinstance(self.silence_db, (int, float)) or not -90.0 <= self.silence_db < 0.0:
            raise ValueError(f"align.silence_db must be in [-90, 0), got {self.silence_db!r}")
        for name in ("beam_size", "cpu_threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"align.{name} must be an integer >= 0, got {value!r}")
        if self.beam_size < 1:
            raise ValueError(f"align.beam_size must be >= 1, got {self.beam_size!r}")

    # ------------------------------------------------------------------------------ derived
    @property
    def asr_backend(self) -> str | None:
        """The recogniser this run may use: the backend itself, or the tts backend's fallback."""
        if self.backend != "tts":
            return self.backend
        return None if self.fallback == "none" else self.fallback

    def model_for(self, backend: str) -> str:
        """The model name/path ``backend`` loads (its default when ``whisper_model`` is None)."""
        if self.whisper_model:
            return self.whisper_model
        return "medium" if backend == "whisper-timestamped" else "bundled:tiny.en"

    # ------------------------------------------------------------------------------ dict I/O
    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AlignConfig:
        """Build from a plain dict (YAML section); ``ValueError`` names unknown keys/bad values."""
        if not isinstance(d, dict):
            raise ValueError(f"align config must be a mapping, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(
                f"unknown align option(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        values = dict(d)
        for key in (
            "clamp_tolerance_s",
            "overlap_tolerance_s",
            "min_word_s",
            "min_pause_s",
            "vad_min_duration_s",
            "silence_db",
        ):
            if isinstance(values.get(key), int) and not isinstance(values.get(key), bool):
                values[key] = float(values[key])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe dict of every field."""
        return dataclasses.asdict(self)


def _canon(name: Any) -> Any:
    """Accept ``faster_whisper`` as well as ``faster-whisper`` (and any case)."""
    return name.strip().lower().replace("_", "-") if isinstance(name, str) else name
