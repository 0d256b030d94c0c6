"""Configuration of the product layer: the final ``write`` step and the whole-DAG ``run``.

A run config file (YAML or TOML) has one section per stage, named as in :data:`RUN_SECTIONS`,
plus an optional ``run`` section (``seed``, ``input``, ``limit``)::

    run:   {seed: 7, limit: 20}
    filter: {max_words_per_turn: 120}
    mix:   {preset: natural}
    write: {target_shard_mb: 128}

Each stage section is loaded into that stage's config class with ``from_dict`` (unknown keys are
errors naming the key, with a did-you-mean suggestion; stage configs are pydantic models, see
:mod:`duplexsynth.config`). Stage config classes are imported lazily, so this module works even
while a stage is not installed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import field_validator

from duplexsynth.config import StageConfig, setting
from duplexsynth.schemas.arrow import STAGES

#: stage -> (module, class) of its config model (the team's naming table)
CONFIG_CLASSES: dict[str, tuple[str, str]] = {
    "filter": ("duplexsynth.filter.config", "FilterConfig"),
    "rewrite": ("duplexsynth.rewrite.config", "RewriteConfig"),
    "synth": ("duplexsynth.synth.config", "SynthConfig"),
    "align": ("duplexsynth.align.config", "AlignConfig"),
    "mix": ("duplexsynth.mix.config", "MixConfig"),
    "augment": ("duplexsynth.augment.config", "AugmentConfig"),
    "write": ("duplexsynth.pipelines.config", "WriteConfig"),
}
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
    """The ``run`` section: what the command line's --input/--seed/--limit also set."""

    SECTION: ClassVar[str] = "run"

    seed: int = setting(1234, "Run seed.")
    input: list[str] = setting(
        default_factory=list, description="Corpus inputs (a single path is taken as a list)."
    )
    limit: int | None = setting(None, "Process only the first N input records.", ge=1)
    from_stage: Literal[STAGES] = setting(  # type: ignore[valid-type]
        "filter", "Start from an existing stage output root instead of a corpus (--from)."
    )

    @field_validator("input", mode="before")
    @classmethod
    def _one_input_is_a_list(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value


def config_class(stage: str) -> type:
    """The config dataclass of ``stage``; ``ValueError`` saying so when the stage is missing."""
    if stage not in CONFIG_CLASSES:
        raise ValueError(f"unknown config section {stage!r}; expected one of {', '.join(STAGES)}")
    module_name, class_name = CONFIG_CLASSES[stage]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ValueError(
                f"stage {stage!r} is not available in this installation ({module_name} is missing)"
            ) from exc
        raise
    try:
        return getattr(module, class_name)
    except AttributeError as exc:
        raise ValueError(f"stage {stage!r}: {module_name} has no {class_name}") from exc


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
