"""``FilterConfig``: every knob of corpus ingestion and the TTS-suitability filter."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

#: formats the readers know; ``auto`` detects per record
FORMATS: tuple[str, ...] = (
    "alpaca",
    "sharegpt",
    "openai",
    "ultrachat",
    "openorca",
    "belle",
    "moss",
)
FORMAT_CHOICES: tuple[str, ...] = ("auto", *FORMATS)

#: the per-turn checks, in the order they are tried (the first that fires names the turn's reason)
CHECKS: tuple[str, ...] = (
    "empty",
    "table",
    "code",
    "url",
    "math",
    "symbols",
    "too_long",
    "language",
)

#: bump when a rule changes so that outputs record which rules judged them
FILTER_VERSION = "1"


@dataclass
class FilterConfig:
    """Configuration of the ``filter`` stage (YAML section ``filter``).

    Defaults are the offline defaults used by ``duplexsynth filter`` and ``duplexsynth run``.
    """

    #: ``auto`` detects each record's format; a format name forces it for every record
    format: str = "auto"
    #: target language code (``en``, ``fr``, ``de``, ``es``, ``it``, ``pt``, ``nl``, ``ru``,
    #: ``zh``, ``ja``, ``ko``, ``ar``, ``hi``, ``el``, ``he``, ``th``), ``any`` to skip the check,
    #: or ``auto`` to keep the languages a run can voice (English and Chinese)
    language: str = "en"
    #: turns with fewer words than this are judged by script only (stopwords need some words)
    language_min_words: int = 4
    #: a turn with more words than this is rejected as ``too_long``
    max_words_per_turn: int = 200
    #: a turn with more characters than this is rejected as ``too_long`` before any other check
    #: (so a pathological turn costs no more than a normal one)
    max_chars_per_turn: int = 4000
    #: a turn whose longest whitespace-free token has more characters than this is ``too_long``
    #: (a 500,000-character "word" passes a word count; URLs are caught earlier as ``url``)
    max_token_chars: int = 60
    #: which per-turn checks run (subset of CHECKS); ``empty`` can not be turned off
    checks: list[str] = field(default_factory=lambda: list(CHECKS))
    #: merge consecutive messages of one speaker into one turn (else reject ``malformed``)
    merge_consecutive: bool = True
    #: drop assistant messages before the first user message (else reject ``malformed``)
    drop_leading_assistant: bool = True
    #: keep at most this many exchanges (``None``: no cap)
    max_exchanges: int | None = None
    #: drop exact and near duplicates (keeps the lowest id of each group)
    dedup: bool = True
    #: also drop near duplicates (MinHash over character shingles); exact ones always go
    near_dup: bool = True
    #: estimated Jaccard similarity at or above which two dialogues are near duplicates
    near_dup_threshold: float = 0.8
    #: character shingle length for near-duplicate detection
    shingle_chars: int = 5
    #: MinHash values per signature (one-permutation bins)
    minhash_perm: int = 64
    #: LSH bands x rows (bands * rows <= minhash_perm); more bands = more recall, more work
    minhash_bands: int = 10
    minhash_rows: int = 6
    #: Hugging Face sources (``hf:NAME``): split, config name, revision, streaming, cache dir
    hf_split: str = "train"
    hf_config: str | None = None
    hf_revision: str | None = None
    hf_streaming: bool = False
    hf_cache_dir: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad value."""
        from duplexsynth.filters.language import SUPPORTED_LANGUAGES

        if self.format not in FORMAT_CHOICES:
            raise ValueError(
                f"filter.format: unknown format {self.format!r}; expected one of {', '.join(FORMAT_CHOICES)}"
            )
        if self.language not in ("any", "auto") and self.language not in SUPPORTED_LANGUAGES:
            raise ValueError(
                f"filter.language: unsupported language {self.language!r}; expected 'any', 'auto' or one of "
                f"{', '.join(sorted(SUPPORTED_LANGUAGES))}"
            )
        _int_at_least("language_min_words", self.language_min_words, 0)
        _int_at_least("max_words_per_turn", self.max_words_per_turn, 1)
        _int_at_least("max_chars_per_turn", self.max_chars_per_turn, 1)
        _int_at_least("max_token_chars", self.max_token_chars, 1)
        if self.max_exchanges is not None:
            _int_at_least("max_exchanges", self.max_exchanges, 1)
        if isinstance(self.checks, str) or not isinstance(self.checks, (list, tuple)):
            raise ValueError(f"filter.checks: expected a list of check names, got {self.checks!r}")
        unknown = [c for c in self.checks if c not in CHECKS]
        if unknown:
            raise ValueError(
                f"filter.checks: unknown check(s) {unknown}; expected names from {', '.join(CHECKS)}"
            )
        for name in (
            "merge_consecutive",
            "drop_leading_assistant",
            "dedup",
            "near_dup",
            "hf_streaming",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"filter.{name}: expected true/false, got {getattr(self, name)!r}")
        t = self.near_dup_threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 < float(t) <= 1.0:
            raise ValueError(f"filter.near_dup_threshold: expected a number in (0, 1], got {t!r}")
        _int_at_least("shingle_chars", self.shingle_chars, 1)
        _int_at_least("minhash_perm", self.minhash_perm, 1)
        _int_at_least("minhash_bands", self.minhash_bands, 1)
        _int_at_least("minhash_rows", self.minhash_rows, 1)
        if self.minhash_bands * self.minhash_rows > self.minhash_perm:
            raise ValueError(
                f"filter.minhash_bands * minhash_rows = {self.minhash_bands * self.minhash_rows} "
                f"exceeds minhash_perm = {self.minhash_perm}"
            )
        if not isinstance(self.hf_split, str) or not self.hf_split:
            raise ValueError(f"filter.hf_split: expected a split name, got {self.hf_split!r}")
        for name in ("hf_config", "hf_revision", "hf_cache_dir"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, str):
                raise ValueError(f"filter.{name}: expected a string or null, got {v!r}")

    # ------------------------------------------------------------------ conversion
    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> FilterConfig:
        """Build from a mapping (a YAML ``filter`` section); ``ValueError`` names unknown keys."""
        d = dict(d or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(
                f"filter: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        if "checks" in d and isinstance(d["checks"], tuple):
            d["checks"] = list(d["checks"])
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-safe dict of every field."""
        out = dataclasses.asdict(self)
        out["checks"] = list(self.checks)
        return out

    def digest(self) -> str:
        """A short hash of the settings that change verdicts (recorded in every kept row)."""
        payload = {k: v for k, v in self.to_dict().items() if not k.startswith("hf_")}
        payload["version"] = FILTER_VERSION
        text = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _int_at_least(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"filter.{name}: expected an integer >= {low}, got {value!r}")
