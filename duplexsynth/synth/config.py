"""Every knob of the synth stage, with its offline default (units in the names)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import model_validator

from duplexsynth.config import Seconds, StageConfig, folder, setting
from duplexsynth.lang import LANGUAGE_CHOICES, VOICED_LANGUAGES

#: listener tokens synthesized once per voice and attached to every row as ``backchannels``
DEFAULT_BACKCHANNELS: tuple[str, ...] = (
    "Mm-hmm.",
    "Yeah.",
    "Right.",
    "I see.",
    "Okay.",
    "Uh-huh.",
    "Oh, wow.",
    "Sure.",
    "Really?",
    "Got it.",
)

#: openers the user says when cutting in (user voice only; the mix stage finds them by text)
DEFAULT_STOP_COMMANDS: tuple[str, ...] = ("Wait, stop.", "Hold on.", "Sorry, wait.")
#: the Mandarin listener tokens and stop commands (used for Chinese dialogues)
DEFAULT_BACKCHANNELS_ZH: tuple[str, ...] = (
    "嗯。",
    "对。",
    "好的。",
    "是吗？",
    "嗯嗯。",
    "明白。",
    "没错。",
    "真的吗？",
    "这样啊。",
    "对对对。",
)
DEFAULT_STOP_COMMANDS_ZH: tuple[str, ...] = ("等一下，停一下。", "等一下。", "停一下。")


class SynthConfig(StageConfig):
    """Configuration of :class:`duplexsynth.synth.SynthProcessor` (YAML section ``synth``).

    ``voice_bank``: a YAML/JSON voice bank file, or the name of a bundled bank (``default``:
    Piper assistant + Kokoro users; ``espeak``: fast robotic voices for tests and quick looks).
    Loudness: each utterance is normalized to ``loudness_lufs`` (ITU-R BS.1770 integrated
    loudness via pyloudnorm; clips shorter than 0.4 s use their active-speech RMS in dBFS as the
    level), then the gain is lowered if needed so the true peak (4x oversampled) stays at or
    below ``max_true_peak_dbfs``.
    """

    SECTION: ClassVar[str] = "synth"

    voice_bank: str = setting(
        "default",
        "Voice bank: a YAML/JSON file, or a bundled bank: `default` (Piper joe as the assistant, "
        "10 Kokoro voices and blends as users, all offline) or `espeak` (fast robotic voices for "
        "quick looks). Format: docs/stages/synth.md.",
        flag=True,
        min_length=1,
    )
    language: Literal[LANGUAGE_CHOICES] = setting(  # type: ignore[valid-type]
        "en",
        "Language of the dialogues: en, zh (voiced with --voice-bank-zh and the Chinese "
        "backchannels) or auto (per dialogue, from its script).",
        flag=True,
    )
    voice_bank_zh: str = setting(
        "espeak_zh",
        "Voice bank of Chinese dialogues (bundled `espeak_zh`: espeak-ng cmn voices, offline).",
        flag=True,
        min_length=1,
    )
    sample_rate_hz: int = setting(
        24000,
        "Output sample rate in Hz (24 kHz = Mimi's rate); engines' audio is resampled with soxr.",
        flag="--sample-rate",
        old_key="sample_rate",
        ge=8000,
        le=192000,
    )
    loudness_lufs: float = setting(
        -23.0,
        "Per-utterance loudness target (BS.1770 integrated loudness; true peak kept <= -1 dBFS).",
        flag=True,
        ge=-70,
        le=-5,
    )
    max_true_peak_dbfs: float = setting(
        -1.0, "Gain is lowered so the true peak stays at or below this.", ge=-20.0, le=0.0
    )
    trim_silence: bool = setting(True, "Trim leading/trailing silence of each utterance.")
    trim_pad_ms: float = setting(40.0, "Silence kept around the trimmed speech.", ge=0)
    silence_threshold_dbfs: float = setting(-50.0, "Level below which audio counts as silence.")
    empty_peak_dbfs: float = setting(-45.0, "QC: an utterance whose peak is below this is empty.")
    min_active_s: float = setting(0.1, "QC: least active speech an utterance must have.")
    min_words_per_s: float = setting(0.6, "QC: slowest speaking rate accepted (words/s).", gt=0)
    max_words_per_s: float = setting(7.0, "QC: fastest speaking rate accepted (words/s).")
    min_chars_per_s: float = setting(2.0, "QC: slowest rate accepted (characters/s).", gt=0)
    max_chars_per_s: float = setting(35.0, "QC: fastest rate accepted (characters/s).")
    slow_slack_s: Seconds = setting(1.0, "QC: seconds of slack before a turn counts as too slow.")
    fast_slack_s: Seconds = setting(0.25, "QC: seconds of slack before a turn counts as too fast.")
    clip_level: float = setting(0.99, "QC: sample magnitude that counts as clipped.", gt=0, le=1)
    max_clipped_fraction: float = setting(
        0.001, "QC: highest share of clipped samples accepted.", ge=0, lt=1
    )
    asr_check: bool = setting(
        False,
        "Transcribe each utterance with faster-whisper (bundled tiny.en) and reject turns whose "
        "WER exceeds --wer-threshold (tts_unintelligible). Costs ~0.2x real time.",
        flag=True,
    )
    wer_threshold: float = setting(
        0.4,
        "Highest WER accepted by the ASR check (texts of 3+ words).",
        flag=True,
        gt=0,
        le=10,
    )
    asr_min_words: int = setting(3, "ASR check: texts with fewer words are not checked.", ge=1)
    asr_model: str | None = setting(
        None, "ASR check: faster-whisper model (null: bundled tiny.en)."
    )
    keep_prefix: bool = setting(
        True,
        "When a turn fails QC, keep the dialogue's clean prefix ending on an assistant turn "
        "(at least one exchange) instead of rejecting the whole dialogue.",
        flag=True,
    )
    cosyvoice_model: str | None = folder(
        "Local CosyVoice 2/3 model folder (e.g. pretrained_models/CosyVoice2-0.5B) for voices "
        "with backend `cosyvoice`; runs on the GPU when torch sees one."
    )
    cosyvoice_repo: str | None = folder(
        "CosyVoice source checkout to import from, when it is not installed in the environment."
    )
    cosyvoice_fp16: bool = setting(False, "Half precision for CosyVoice (GPU only).", flag=True)
    tts_base_url: str | None = setting(
        None,
        "OpenAI-compatible server for voices with backend `openai`, e.g. http://tts-host:8880/v1 "
        "(API key from $OPENAI_API_KEY when the server needs one).",
        flag=True,
    )
    tts_model: str = setting(
        "tts-1",
        "Model name sent to the speech server (a voice's params.model overrides it).",
        flag=True,
    )
    tts_api_key_env: str = setting("OPENAI_API_KEY", "Variable holding the speech server's key.")
    tts_response_format: Literal["wav", "flac", "pcm"] = setting(
        "wav", "Audio format requested from the speech server."
    )
    tts_timeout_s: float = setting(60.0, "Seconds before one speech request is abandoned.", gt=0)
    tts_max_retries: int = setting(2, "Retries of a failed speech request.", ge=0)
    tts_concurrency: int = setting(
        4, "Concurrent requests per worker to the speech server.", flag=True, ge=1
    )
    engine_threads: int = setting(
        0, "CPU threads per engine (0 = the engine's default).", flag=True, ge=0
    )
    cache: bool = setting(
        True,
        "Reuse finished utterances from the content-addressed cache (a rerun synthesizes "
        "nothing twice).",
        flag=True,
    )
    cache_dir: str | None = folder(
        "Cache root for synthesized audio [default: $DUPLEXSYNTH_CACHE or ~/.cache/duplexsynth]."
    )
    backchannels: tuple[str, ...] = setting(
        DEFAULT_BACKCHANNELS, "Listener tokens synthesized once per voice (English)."
    )
    stop_commands: tuple[str, ...] = setting(
        DEFAULT_STOP_COMMANDS, "Openers the user says when cutting in (English)."
    )
    backchannels_zh: tuple[str, ...] = setting(
        DEFAULT_BACKCHANNELS_ZH, "Listener tokens of Chinese dialogues."
    )
    stop_commands_zh: tuple[str, ...] = setting(
        DEFAULT_STOP_COMMANDS_ZH, "Stop commands of Chinese dialogues."
    )

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SynthConfig:
        if not self.min_words_per_s < self.max_words_per_s:
            raise ValueError(
                f"need min_words_per_s < max_words_per_s, got {self.min_words_per_s}, "
                f"{self.max_words_per_s}"
            )
        if not self.min_chars_per_s < self.max_chars_per_s:
            raise ValueError(
                f"need min_chars_per_s < max_chars_per_s, got {self.min_chars_per_s}, "
                f"{self.max_chars_per_s}"
            )
        if any(not b.strip() for b in self.backchannels + self.backchannels_zh):
            raise ValueError(
                f"backchannels must be non-empty strings, got {list(self.backchannels)!r}"
            )
        return self

    def languages(self) -> tuple[str, ...]:
        """The languages this run may voice (both for ``auto``)."""
        return VOICED_LANGUAGES if self.language == "auto" else (self.language,)

    def for_language(self, language: str) -> SynthConfig:
        """This config as it applies to one language's dialogues: its bank and its lexicon."""
        if language == "zh":
            return self.model_copy(
                update={
                    "language": "zh",
                    "voice_bank": self.voice_bank_zh,
                    "backchannels": self.backchannels_zh,
                    "stop_commands": self.stop_commands_zh,
                }
            )
        return self.model_copy(update={"language": language})
