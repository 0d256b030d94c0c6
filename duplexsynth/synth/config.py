"""Every knob of the synth stage, with its offline default (units in the names)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from duplexsynth.lang import VOICED_LANGUAGES, check_language

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


@dataclass
class SynthConfig:
    """Configuration of :class:`duplexsynth.synth.SynthProcessor`.

    ``voice_bank``: a YAML/JSON voice bank file, or the name of a bundled bank (``default``:
    Piper assistant + Kokoro users; ``espeak``: fast robotic voices for tests and quick looks).
    Loudness: each utterance is normalized to ``loudness_lufs`` (ITU-R BS.1770 integrated
    loudness via pyloudnorm; clips shorter than 0.4 s use their active-speech RMS in dBFS as the
    level), then the gain is lowered if needed so the true peak (4x oversampled) stays at or
    below ``max_true_peak_dbfs``.
    """

    voice_bank: str = "default"
    #: language the dialogues are voiced in: ``en``, ``zh`` (Mandarin: ``voice_bank_zh`` and the
    #: ``_zh`` lexicon) or ``auto`` (per dialogue, from the script of its text)
    language: str = "en"
    #: the voice bank of Chinese dialogues (bundled ``espeak_zh``: espeak-ng ``cmn`` voices)
    voice_bank_zh: str = "espeak_zh"
    sample_rate: int = 24000
    loudness_lufs: float = -23.0
    max_true_peak_dbfs: float = -1.0
    trim_silence: bool = True
    trim_pad_ms: float = 40.0
    silence_threshold_dbfs: float = -50.0
    # quality control
    empty_peak_dbfs: float = -45.0
    min_active_s: float = 0.1
    min_words_per_s: float = 0.6
    max_words_per_s: float = 7.0
    min_chars_per_s: float = 2.0
    max_chars_per_s: float = 35.0
    slow_slack_s: float = 1.0
    fast_slack_s: float = 0.25
    clip_level: float = 0.99
    max_clipped_fraction: float = 0.001
    asr_check: bool = False
    wer_threshold: float = 0.4
    asr_min_words: int = 3
    asr_model: str | None = None
    keep_prefix: bool = True
    # backends
    cosyvoice_model: str | None = None
    cosyvoice_repo: str | None = None
    cosyvoice_fp16: bool = False
    tts_base_url: str | None = None
    tts_model: str = "tts-1"
    tts_api_key_env: str = "OPENAI_API_KEY"
    tts_response_format: str = "wav"
    tts_timeout_s: float = 60.0
    tts_max_retries: int = 2
    tts_concurrency: int = 4
    engine_threads: int = 0
    # cache and lexicon
    cache: bool = True
    cache_dir: str | None = None
    backchannels: tuple[str, ...] = field(default_factory=lambda: DEFAULT_BACKCHANNELS)
    stop_commands: tuple[str, ...] = field(default_factory=lambda: DEFAULT_STOP_COMMANDS)
    backchannels_zh: tuple[str, ...] = field(default_factory=lambda: DEFAULT_BACKCHANNELS_ZH)
    stop_commands_zh: tuple[str, ...] = field(default_factory=lambda: DEFAULT_STOP_COMMANDS_ZH)

    def __post_init__(self) -> None:
        for name in ("backchannels", "stop_commands", "backchannels_zh", "stop_commands_zh"):
            setattr(self, name, tuple(getattr(self, name)))
        self.validate()

    def languages(self) -> tuple[str, ...]:
        """The languages this run may voice (both for ``auto``)."""
        return VOICED_LANGUAGES if self.language == "auto" else (self.language,)

    def for_language(self, language: str) -> SynthConfig:
        """This config as it applies to one language's dialogues: its bank and its lexicon."""
        if language == "zh":
            return dataclasses.replace(
                self,
                language="zh",
                voice_bank=self.voice_bank_zh,
                backchannels=self.backchannels_zh,
                stop_commands=self.stop_commands_zh,
            )
        return dataclasses.replace(self, language=language)

    def validate(self) -> None:
        """``ValueError`` naming the first bad value."""
        if not isinstance(self.voice_bank, str) or not self.voice_bank:
            raise ValueError(
                f"voice_bank must be a file path or bundled bank name, got {self.voice_bank!r}"
            )
        if not 8000 <= int(self.sample_rate) <= 192000:
            raise ValueError(f"sample_rate must be within 8000-192000 Hz, got {self.sample_rate}")
        if not -70.0 <= self.loudness_lufs <= -5.0:
            raise ValueError(f"loudness_lufs must be within -70..-5, got {self.loudness_lufs}")
        if not -20.0 <= self.max_true_peak_dbfs <= 0.0:
            raise ValueError(
                f"max_true_peak_dbfs must be within -20..0, got {self.max_true_peak_dbfs}"
            )
        if self.trim_pad_ms < 0:
            raise ValueError(f"trim_pad_ms must be >= 0, got {self.trim_pad_ms}")
        if not 0 < self.min_words_per_s < self.max_words_per_s:
            raise ValueError(
                f"need 0 < min_words_per_s < max_words_per_s, got {self.min_words_per_s}, {self.max_words_per_s}"
            )
        if not 0 < self.min_chars_per_s < self.max_chars_per_s:
            raise ValueError(
                f"need 0 < min_chars_per_s < max_chars_per_s, got {self.min_chars_per_s}, {self.max_chars_per_s}"
            )
        if self.slow_slack_s < 0 or self.fast_slack_s < 0:
            raise ValueError(
                f"slow_slack_s and fast_slack_s must be >= 0, got {self.slow_slack_s}, {self.fast_slack_s}"
            )
        if not 0 < self.clip_level <= 1:
            raise ValueError(f"clip_level must be within (0, 1], got {self.clip_level}")
        if not 0 <= self.max_clipped_fraction < 1:
            raise ValueError(
                f"max_clipped_fraction must be within [0, 1), got {self.max_clipped_fraction}"
            )
        if not 0 < self.wer_threshold <= 10:
            raise ValueError(f"wer_threshold must be > 0, got {self.wer_threshold}")
        if self.asr_min_words < 1:
            raise ValueError(f"asr_min_words must be >= 1, got {self.asr_min_words}")
        if self.tts_response_format not in ("wav", "flac", "pcm"):
            raise ValueError(
                f"tts_response_format must be wav, flac or pcm, got {self.tts_response_format!r}"
            )
        if self.tts_concurrency < 1 or self.tts_max_retries < 0 or self.tts_timeout_s <= 0:
            raise ValueError(
                "tts_concurrency must be >= 1, tts_max_retries >= 0, tts_timeout_s > 0"
            )
        if self.engine_threads < 0:
            raise ValueError(
                f"engine_threads must be >= 0 (0 = engine default), got {self.engine_threads}"
            )
        check_language(self.language, "synth.language")
        if not isinstance(self.voice_bank_zh, str) or not self.voice_bank_zh:
            raise ValueError(
                f"voice_bank_zh must be a file path or bundled bank name, got {self.voice_bank_zh!r}"
            )
        if any(
            not isinstance(b, str) or not b.strip()
            for b in self.backchannels + self.backchannels_zh
        ):
            raise ValueError(
                f"backchannels must be non-empty strings, got {list(self.backchannels)!r}"
            )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SynthConfig:
        """Build from a mapping (a YAML ``synth`` section); unknown keys raise ``ValueError``."""
        if not isinstance(d, dict):
            raise ValueError(f"synth config must be a mapping, got {type(d).__name__}")
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ValueError(
                f"unknown synth config key(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        values: dict[str, Any] = {}
        defaults = cls()
        for key, value in d.items():
            default = getattr(defaults, key)
            values[key] = _coerce(key, value, default)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-safe dict (tuples become lists)."""
        out = dataclasses.asdict(self)
        for name in ("backchannels", "stop_commands", "backchannels_zh", "stop_commands_zh"):
            out[name] = list(getattr(self, name))
        return out


def _coerce(key: str, value: Any, default: Any) -> Any:
    if value is None:
        return None
    try:
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise TypeError
            return value
        if isinstance(default, int):
            if isinstance(value, bool) or float(value) != int(value):
                raise TypeError
            return int(value)
        if isinstance(default, float):
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if isinstance(default, tuple):
            if isinstance(value, str) or not isinstance(value, (list, tuple)):
                raise TypeError
            return tuple(value)
        if default is None or isinstance(default, str):
            if not isinstance(value, str):
                raise TypeError
            return value
    except (TypeError, ValueError):
        raise ValueError(f"synth config {key!r}: bad value {value!r}") from None
    return value
