"""Configuration of the product layer: the final ``write`` step and the whole-DAG ``run``.

A run config file (YAML or TOML) has one section per stage, named as in :data:`RUN_SECTIONS`,
plus an optional ``run`` section (:class:`RunOptions`: ``seed``, ``input``, ``limit``,
``from_stage``, ``shard``, ``workers``, ``progress_every_s``)::

    run:   {seed: 7, limit: 20}
    filter: {max_words_per_turn: 120}
    mix:   {preset: natural}
    write: {target_shard_mb: 128}

Each stage section is loaded into that stage's config class with ``from_dict`` (unknown keys are
errors naming the key, with a did-you-mean suggestion; stage configs are pydantic models, see
:mod:`duplexsynth.config`). Stage config classes are imported lazily, so this module works even
while a stage is not installed.

The flags of ``duplexsynth run`` come from here too: one per :class:`RunOptions` field, and the
:data:`RUN_SHORTCUTS` that set keys of stage sections (``--preset`` -> ``mix.preset``); the docs
tables of both are rendered from the same declarations (``scripts/config_tables.py``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import field_validator

from duplexsynth.config import StageConfig, setting
from duplexsynth.schemas.arrow import STAGES

#: stage -> (module, class) of its config model: ``duplexsynth.<stage>.config.<Stage>Config``,
#: except the final ``write`` step's, which is in this module
CONFIG_CLASSES: dict[str, tuple[str, str]] = {
    stage: (f"duplexsynth.{stage}.config", f"{stage.capitalize()}Config")
    for stage in STAGES
    if stage != "write"
} | {"write": (__name__, "WriteConfig")}
#: the sections a run config file may hold, in data-flow order, plus "run"
RUN_SECTIONS: tuple[str, ...] = ("run", *STAGES)


class WriteConfig(StageConfig):
    """The final ``write`` step: ``OUT/dialogues/part-*.parquet``, one row per dialogue."""

    SECTION: ClassVar[str] = "write"

    sample_rate_hz: int = setting(
        24000,
        "Sample rate (Hz) of the final audio; rows at another rate are resampled "
        "(24 kHz = Mimi's rate).",
        old_key="sample_rate",
        ge=8000,
        le=192000,
    )
    keep_turn_audio: bool = setting(
        False, "Keep each turn's mono audio and the backchannel lexicon in the final rows."
    )
    keep_clean_audio: bool = setting(
        True, "Keep the clean (pre-augmentation) stereo mix in clean_audio when the row has one."
    )
    target_shard_mb: float = setting(
        256.0,
        "Cut shards at about this many MB (Hugging Face suggests shards well under 1 GB).",
        gt=0,
    )
    row_group_rows: int = setting(
        8, "Rows per Parquet row group; small because every row carries a stereo FLAC.", ge=1
    )


class RunOptions(StageConfig):
    """The ``run`` section: the run's own settings, each also a flag of ``duplexsynth run``
    (``--seed``/``--limit`` of every stage command, too)."""

    SECTION: ClassVar[str] = "run"

    seed: int = setting(
        1234,
        "Run seed; every random choice comes from an RNG seeded by (seed, dialogue id).",
        flag=True,
    )
    input: list[str] = setting(
        default_factory=list,
        description="Corpus file, glob or hf:NAME spec (repeatable); without it the bundled "
        "sample corpus. With --from STAGE: the output root of the stage before STAGE.",
        flag=True,
        short="-i",
        doc_default="the bundled sample",
    )
    limit: int | None = setting(
        None, "Process only the first N input records (in file order).", flag=True, ge=1
    )
    from_stage: Literal[STAGES] = setting(  # type: ignore[valid-type]
        "filter",
        "Start at this stage, reading --input as an existing output root "
        "(e.g. --from mix --input OUT reads OUT/aligned).",
        flag="--from",
    )
    shard: str | None = setting(
        None,
        "Make only part I of N (0 <= I < N): the dialogues whose id hashes to I. The N parts, "
        "each written to its own --output, together hold exactly the rows of one whole run.",
        flag=True,
        metavar="I/N",
    )
    workers: int = setting(
        0,
        "Worker processes of a local (DirectRunner) run; 0 = one per available core. "
        "Output bytes are the same for any number. Ignored on other runners.",
        flag=True,
        ge=0,
    )
    progress_every_s: float = setting(
        5.0,
        "Seconds between progress lines (per-stage counts and audio hours) on stderr.",
        flag="--progress-every",
        ge=0.1,
    )

    @field_validator("input", mode="before")
    @classmethod
    def _one_input_is_a_list(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value

    @field_validator("shard")
    @classmethod
    def _shard_is_i_of_n(cls, value: str | None) -> str | None:
        from duplexsynth.pipelines.counting import parse_shard

        try:
            parse_shard(value)
        except ValueError:
            raise ValueError("expected I/N with 0 <= I < N (--shard 0/4: part 0 of 4)") from None
        return value


@dataclass(frozen=True)
class Shortcut:
    """A flag of ``duplexsynth run`` that sets keys of the stage sections (``--preset`` sets
    ``mix.preset``; ``--sample-rate`` the final rate and the rates synth and mix work at).

    The first key of ``sets`` gives the flag its type, bounds, choices and default; the help is
    ``help`` (default: that key's description) followed by the keys it sets. A key is set when
    its stage runs.
    """

    name: str
    sets: tuple[str, ...]
    help: str = ""
    show_default: str | bool = True

    @property
    def flag(self) -> str:
        return f"--{self.name.replace('_', '-')}"

    def field(self) -> Any:
        """The pydantic field of the first key (what the flag's value is checked against)."""
        section, key = self.sets[0].split(".", 1)
        return config_class(section).model_fields[key]

    @property
    def description(self) -> str:
        """``help``, or the first key's description (one sentence-final full stop)."""
        return (self.help or self.field().description or "").rstrip(".") + "."

    def help_text(self) -> str:
        """The ``--help`` text: the description, then the keys the flag sets in brackets."""
        return f"{self.description[:-1]} ({', '.join(self.sets)})."


#: the flags of ``run`` that reach into stage sections, in ``--help`` order
RUN_SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("preset", ("mix.preset",), "Turn-taking preset of the mix stage"),
    Shortcut(
        "sample_rate",
        ("write.sample_rate_hz", "synth.sample_rate_hz", "mix.sample_rate_hz"),
        "Sample rate of the final audio; the synth and mix stages work at it too, so nothing is "
        "resampled twice",
    ),
    Shortcut(
        "language",
        ("rewrite.language", "filter.language", "synth.language", "align.language"),
        "Language of the dialogues: en, zh (Mandarin: Chinese filter, normaliser, espeak-ng "
        "cmn voices, jieba words; without --input the bundled Chinese sample; see "
        "docs/mandarin.md) or auto, each dialogue voiced in the language it is written in",
    ),
    Shortcut(
        "voice_bank",
        ("synth.voice_bank",),
        "Voice bank of the synth stage (with --language zh also synth.voice_bank_zh): a "
        "bundled one (default = Piper/Kokoro, espeak = fast robotic voices, espeak_zh = "
        "Mandarin) or a YAML/JSON file",
    ),
    Shortcut(
        "llm_base_url", ("rewrite.llm_base_url",), "OpenAI-compatible server for the rewrite stage"
    ),
    Shortcut("llm_model", ("rewrite.llm_model",), "Model name on that server"),
    Shortcut("keep_turn_audio", ("write.keep_turn_audio",)),
    Shortcut(
        "target_shard_mb",
        ("write.target_shard_mb",),
        "Cut the final Parquet shards at about this size",
    ),
    Shortcut(
        "cache_dir",
        ("rewrite.cache_dir", "synth.cache_dir", "align.cache_dir", "augment.cache_dir"),
        "Cache root of every stage's expensive work (LLM answers, TTS audio, ASR, RIRs): a "
        "folder or an object-store URL (s3://bucket/cache, gs://...) that a cluster's workers "
        "share",
        show_default="$DUPLEXSYNTH_CACHE or ~/.cache/duplexsynth",
    ),
)


def shortcut_overrides(passed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Section -> key -> value for the shortcut flags in ``passed`` (parameter -> value)."""
    out: dict[str, dict[str, Any]] = {}
    for shortcut in RUN_SHORTCUTS:
        if shortcut.name not in passed:
            continue
        for target in shortcut.sets:
            section, key = target.split(".", 1)
            out.setdefault(section, {})[key] = passed[shortcut.name]
    if passed.get("language") == "zh" and "voice_bank" in passed:
        # a run of Chinese dialogues voices them with the bank the user named
        out.setdefault("synth", {})["voice_bank_zh"] = passed["voice_bank"]
    return out


def shortcuts_table() -> str:
    """A markdown table of :data:`RUN_SHORTCUTS`: flag, the keys it sets, values, default."""
    from duplexsynth.config import allowed_text, cell, default_text, flag_text

    rows = ["| flag | sets | allowed | default | |", "|---|---|---|---|---|"]
    for sc in RUN_SHORTCUTS:
        info = sc.field()
        keys = ", ".join(f"`{k}`" for k in sc.sets)
        shown = {"show_default": sc.show_default}
        rows.append(
            f"| {flag_text(sc.flag, info)} | {keys} | {allowed_text(info)} | "
            f"{default_text(info, shown)} | {cell(sc.description)} |"
        )
    return "\n".join(rows)


def stage_part(stage: str, module_name: str, attr: str, hint: str = "") -> Any:
    """``module_name.attr`` of ``stage`` (imported now); ``ValueError`` saying so when the
    stage's module is not installed (``hint``: what to do then) or lacks ``attr``."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ValueError(
                f"stage {stage!r} is not available in this installation ({module_name} is "
                f"missing){hint}"
            ) from exc
        raise
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ValueError(f"stage {stage!r}: {module_name} has no {attr}") from exc


def config_class(stage: str) -> type:
    """The config model of ``stage``; ``ValueError`` saying so when the stage is missing."""
    if stage not in CONFIG_CLASSES:
        raise ValueError(f"unknown config section {stage!r}; expected one of {', '.join(STAGES)}")
    return stage_part(stage, *CONFIG_CLASSES[stage])


def parse_value(text: str) -> Any:
    """A ``--set`` value: parsed as YAML (numbers, true/false, lists, null), else the string."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_set_option(item: str) -> tuple[str, str, Any]:
    """``"section.key=value"`` -> ``(section, key, value)``; ``ValueError`` if malformed."""
    if "=" not in item:
        raise ValueError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. augment.noise_p=0.5")
    lhs, raw = item.split("=", 1)
    if "." not in lhs:
        raise ValueError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. augment.noise_p=0.5")
    section, key = lhs.split(".", 1)
    section, key = section.strip(), key.strip()
    if section not in RUN_SECTIONS:
        raise ValueError(
            f"--set {item!r}: unknown section {section!r}; expected one of {', '.join(RUN_SECTIONS)}"
        )
    if not key:
        raise ValueError(f"--set {item!r}: empty key")
    return section, key, parse_value(raw)


@dataclass
class RunConfig:
    """Every section of a run: ``run`` options plus one config object per stage."""

    run: RunOptions
    stages: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The effective config, in the file format :func:`build_run_config` reads."""
        out: dict[str, Any] = {"run": self.run.to_dict()}
        for stage in STAGES:
            if stage in self.stages:
                out[stage] = self.stages[stage].to_dict()
        return out


def build_run_config(
    file_data: dict[str, Any],
    overrides: dict[str, dict[str, Any]] | None = None,
    stages: tuple[str, ...] = STAGES,
) -> RunConfig:
    """Merge defaults <- ``file_data`` sections <- ``overrides`` into a :class:`RunConfig`.

    ``stages`` are the stages whose config objects are built (the stages the run executes).
    Sections for stages outside ``stages`` are still checked for being known names.
    """
    overrides = overrides or {}
    unknown = sorted(set(file_data) - set(RUN_SECTIONS))
    if unknown:
        raise ValueError(
            f"unknown config section(s): {', '.join(unknown)}; expected some of {', '.join(RUN_SECTIONS)}"
        )
    sections: dict[str, list[dict[str, Any]]] = {}
    for name in RUN_SECTIONS:
        raw = file_data.get(name) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"config section {name!r} must be a mapping, got {type(raw).__name__}")
        sections[name] = [raw, overrides.get(name) or {}]
    run = RunOptions.from_dict({**sections["run"][0], **sections["run"][1]})
    built: dict[str, Any] = {}
    for stage in stages:
        cls = config_class(stage)
        try:
            # each layer's renamed keys are upgraded before merging: a new key beats an old one
            values = {k: v for layer in sections[stage] for k, v in cls.upgrade_keys(layer).items()}
            built[stage] = cls.from_dict(values) if values else cls()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config section {stage!r}: {exc}") from exc
    return RunConfig(run=run, stages=built)
