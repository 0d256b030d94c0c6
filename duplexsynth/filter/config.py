"""``FilterConfig``: every knob of corpus ingestion and the TTS-suitability filter."""

from __future__ import annotations

import hashlib
import json
from typing import ClassVar, Literal, get_args

from pydantic import field_validator, model_validator

from duplexsynth.config import StageConfig, folder, setting

Format = Literal["auto", "alpaca", "sharegpt", "openai", "ultrachat", "openorca", "belle", "moss"]
Check = Literal["empty", "table", "code", "url", "math", "symbols", "too_long", "language"]

#: formats the readers know; ``auto`` detects per record
FORMAT_CHOICES: tuple[str, ...] = get_args(Format)
FORMATS: tuple[str, ...] = FORMAT_CHOICES[1:]

#: the per-turn checks, in the order they are tried (the first that fires names the turn's reason)
CHECKS: tuple[str, ...] = get_args(Check)

#: bump when a rule changes so that outputs record which rules judged them
FILTER_VERSION = "1"


class FilterConfig(StageConfig):
    """Configuration of the ``filter`` stage (YAML section ``filter``).

    Defaults are the offline defaults used by ``duplexsynth filter`` and ``duplexsynth run``.
    """

    SECTION: ClassVar[str] = "filter"

    format: Format = setting("auto", "Record format; 'auto' detects it per record.", flag=True)
    language: str = setting(
        "en",
        "Target language (en, fr, de, es, it, pt, nl, ru, zh, ja, ko, ar, hi, el, he, th), "
        "'auto' to keep English and Chinese, or 'any' to keep every language.",
        flag=True,
    )
    language_min_words: int = setting(
        4, "Turns with fewer words than this are judged by script only.", ge=0
    )
    max_words_per_turn: int = setting(
        200, "Turns with more words than this are too_long.", flag="--max-words", ge=1
    )
    max_chars_per_turn: int = setting(
        4000,
        "A turn with more characters than this is too_long, checked before anything else.",
        ge=1,
    )
    max_token_chars: int = setting(
        60, "A turn whose longest whitespace-free token is longer than this is too_long.", ge=1
    )
    checks: list[Check] = setting(
        default_factory=lambda: list(CHECKS),
        description="Per-turn checks to run (repeatable; giving any replaces the default set).",
        flag="--check",
    )
    merge_consecutive: bool = setting(
        True,
        "Merge consecutive messages of one speaker into one turn (else: malformed).",
        flag=True,
    )
    drop_leading_assistant: bool = setting(
        True, "Drop assistant messages before the first user message (else: malformed)."
    )
    max_exchanges: int | None = setting(
        None,
        "Keep at most this many user/assistant exchanges per dialogue (default: all).",
        flag=True,
        ge=1,
    )
    dedup: bool = setting(
        True, "Drop exact and near duplicates (keeps the lowest id of each group).", flag=True
    )
    near_dup: bool = setting(
        True,
        "With --dedup: also drop near duplicates (MinHash), not only exact ones.",
        flag=True,
    )
    near_dup_threshold: float = setting(
        0.8,
        "Estimated Jaccard similarity of character 5-grams at which two dialogues are near "
        "duplicates.",
        flag=True,
        gt=0.0,
        le=1.0,
    )
    shingle_chars: int = setting(5, "Character shingle length for near-duplicate detection.", ge=1)
    minhash_perm: int = setting(64, "MinHash values per signature (one-permutation bins).", ge=1)
    minhash_bands: int = setting(
        10, "LSH bands (bands * rows <= minhash_perm); more bands = more recall, more work.", ge=1
    )
    minhash_rows: int = setting(6, "LSH rows per band.", ge=1)
    hf_split: str = setting(
        "train", "Split of hf: inputs (an input's ?split= wins).", flag=True, min_length=1
    )
    hf_config: str | None = setting(None, "Config name of hf: inputs.", flag=True)
    hf_revision: str | None = setting(None, "Revision of hf: inputs.", flag=True)
    hf_streaming: bool = setting(
        False, "Stream hf: inputs instead of downloading and caching them first.", flag=True
    )
    hf_cache_dir: str | None = folder(
        "Cache folder for hf: inputs.", show_default="datasets' default (~/.cache/huggingface)"
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        from duplexsynth.filter.language import SUPPORTED_LANGUAGES

        if value not in ("any", "auto") and value not in SUPPORTED_LANGUAGES:
            raise ValueError(
                f"unsupported language {value!r}; expected 'any', 'auto' or one of "
                f"{', '.join(sorted(SUPPORTED_LANGUAGES))}"
            )
        return value

    @model_validator(mode="after")
    def _bands_fit(self) -> FilterConfig:
        if self.minhash_bands * self.minhash_rows > self.minhash_perm:
            raise ValueError(
                f"minhash_bands * minhash_rows = {self.minhash_bands * self.minhash_rows} "
                f"exceeds minhash_perm = {self.minhash_perm}"
            )
        return self

    def digest(self) -> str:
        """A short hash of the settings that change verdicts (recorded in every kept row)."""
        payload = {k: v for k, v in self.to_dict().items() if not k.startswith("hf_")}
        payload["version"] = FILTER_VERSION
        text = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]
