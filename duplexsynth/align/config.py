"""Every knob of the align stage, with its offline default."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

import click
from pydantic import field_validator

from duplexsynth.config import Fraction, Seconds, StageConfig, folder, setting

#: the stage's backends, as the CLI and the YAML ``align`` section spell them
Backend = Literal["tts", "faster-whisper", "whisper-timestamped"]
BACKENDS: tuple[str, ...] = get_args(Backend)
#: what a turn without TTS word timings falls back to (``none`` rejects the dialogue)
Fallback = Literal["faster-whisper", "whisper-timestamped", "none"]
FALLBACKS: tuple[str, ...] = get_args(Fallback)
#: per-word ``method`` value of each backend
METHOD_OF = {
    "tts": "tts",
    "faster-whisper": "faster_whisper",
    "whisper-timestamped": "whisper_timestamped",
}
VadMethod = Literal["silero", "auditok"]
VAD_METHODS: tuple[str, ...] = get_args(VadMethod)
#: what a turn that can not be aligned costs the dialogue
OnTurnFailure = Literal["exchange", "tail"]
ON_TURN_FAILURE: tuple[str, ...] = get_args(OnTurnFailure)


class AlignConfig(StageConfig):
    """Configuration of ``duplexsynth align`` (YAML section ``align``).

    ``backend`` picks where word times come from: ``tts`` copies the TTS engine's own timings
    (``turns[].tts_words``) and uses ``fallback`` for turns that have none; ``faster-whisper`` and
    ``whisper-timestamped`` run speech recognition and map the recognised words onto the known
    text. ``whisper_model`` names the recogniser's weights: ``None`` means the backend's default
    (the bundled tiny.en for faster-whisper, ``medium`` for whisper-timestamped as in
    moshi-finetune); a local path works for both. ``backend``/``fallback`` accept any case and
    ``_`` for ``-``.
    """

    SECTION: ClassVar[str] = "align"

    backend: Backend = setting(
        "tts",
        "Where word times come from: `tts` copies the TTS engine's own timings (exact, free); "
        "`faster-whisper` / `whisper-timestamped` recognise the audio and map the words onto the "
        "known text.",
        flag=True,
        click_type=click.Choice(BACKENDS, case_sensitive=False),
    )
    fallback: Fallback = setting(
        "faster-whisper",
        "With --backend tts: recogniser for turns whose TTS engine gave no (usable) timings; "
        "`none` rejects such dialogues as align_error.",
        flag=True,
        click_type=click.Choice(FALLBACKS, case_sensitive=False),
    )
    whisper_model: str | None = setting(
        None,
        "Recogniser weights. faster-whisper: a CTranslate2 Whisper folder [default: the bundled "
        "tiny.en]. whisper-timestamped: an openai-whisper name (`medium`, as moshi-finetune uses; "
        "downloaded on first use) or a local .pt checkpoint [default: medium].",
        flag=True,
        metavar="NAME_OR_PATH",
        show_default=False,
    )
    whisper_download_root: str | None = folder(
        "whisper-timestamped: folder holding/receiving openai-whisper checkpoints "
        "[default: ~/.cache/whisper]."
    )
    language: str = setting("en", "Language code given to the recogniser.", flag=True, min_length=1)
    vad: bool = setting(
        False,
        "Voice activity detection before recognising turns of 10 s or more "
        "(moshi-finetune's rule; the `vad_min_duration_s` config knob changes the length).",
        flag=True,
    )
    vad_method: VadMethod = setting(
        "silero",
        "whisper-timestamped's VAD (silero is fetched through torch.hub on first use); "
        "faster-whisper always uses the Silero model inside its wheel.",
        flag=True,
    )
    vad_min_duration_s: Seconds = setting(
        10.0, "VAD runs only on turns at least this long (moshi-finetune: 10 s)."
    )
    device: str = setting(
        "cpu", "Recogniser device: cpu or cuda (faster-whisper also accepts auto).", flag=True
    )
    compute_type: str = setting(
        "int8",
        "faster-whisper (CTranslate2) compute type: int8, int8_float16, float16, float32, ...",
        flag=True,
    )
    cpu_threads: int = setting(
        2, "faster-whisper CPU threads per worker (0 = CTranslate2's default).", flag=True, ge=0
    )
    beam_size: int = setting(
        1,
        "Recogniser beam size (1 = greedy; the text is known, so greedy is usually enough).",
        flag=True,
        ge=1,
    )
    prompt_with_text: bool = setting(
        True,
        "Give the known text to the recogniser as its initial prompt (fewer mis-hearings).",
        flag=True,
    )
    trim_to_sound: bool = setting(
        True,
        "Move recognised word boundaries onto nearby pauses and shrink spans onto their sound.",
        flag=True,
    )
    silence_db: float = setting(
        -40.0,
        "Frames this far below the loudest frame count as silence when trimming.",
        ge=-90.0,
        lt=0.0,
    )
    min_pause_s: Seconds = setting(
        0.08,
        "Silences at least this long near a word boundary count as the pause between the words.",
    )
    min_match_ratio: Fraction = setting(
        0.34,
        "A word counts as heard when at least this share of its letters matches the recogniser.",
    )
    min_heard_fraction: Fraction = setting(
        0.5,
        "A turn whose heard share of words is below this is an align_error when, in addition, "
        "the recogniser's word error rate is above max_wer; otherwise missed words are "
        "interpolated.",
    )
    max_wer: Fraction = setting(
        0.4, "Word error rate above which a poorly heard turn fails (see min_heard_fraction)."
    )
    clamp_tolerance_s: Seconds = setting(
        0.25,
        "Words that stick out of the audio by at most this much are clamped (else an error).",
    )
    overlap_tolerance_s: Seconds = setting(
        0.05,
        "Overlaps between neighbouring words up to this long are trimmed (else an error).",
    )
    min_word_s: Seconds = setting(
        0.02, "Shorter words are widened into the free space around them."
    )
    on_turn_failure: OnTurnFailure = setting(
        "exchange",
        "What a turn that can not be aligned costs: `exchange` drops that user/assistant "
        "exchange (params.align.dropped_exchanges); `tail` cuts the dialogue before it.",
    )
    cache: bool = setting(
        True,
        "Reuse transcriptions from the content-addressed cache (a rerun recognises nothing twice).",
        flag=True,
    )
    cache_dir: str | None = folder(
        "Cache root for ASR transcripts [default: $DUPLEXSYNTH_CACHE or ~/.cache/duplexsynth]."
    )

    @field_validator("backend", "fallback", mode="before")
    @classmethod
    def _canonical_name(cls, value: Any) -> Any:
        return _canon(value)

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


def _canon(name: Any) -> Any:
    """Accept ``faster_whisper`` as well as ``faster-whisper`` (and any case)."""
    return name.strip().lower().replace("_", "-") if isinstance(name, str) else name
