"""Configuration of the product layer: the final ``write`` step and the whole-DAG ``run``.

A run config file (YAML or TOML) has one section per stage, named as in :data:`RUN_SECTIONS`,
plus an optional ``run`` section (``seed``, ``input``, ``limit``)::

    run:   {seed: 7, limit: 20}
    filter: {max_words_per_turn: 120}
    mix:   {preset: natural}
    write: {target_shard_mb: 128}

Each stage section is loaded into that stage's config class with ``from_dict`` (unknown keys are
errors naming the key). Stage config classes are imported lazily, so this module works even
while a stage is not installed.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from typing import Any

from duplexsynth.schemas.arrow import STAGES

#: stage -> (module, class) of its config dataclass (the team's naming table)
CONFIG_CLASSES: dict[str, tuple[str, str]] = {
    "filter": ("duplexsynth.filters.config", "FilterConfig"),
    "rewrite": ("duplexsynth.rewrite.config", "RewriteConfig"),
    "synth": ("duplexsynth.synth.config", "SynthConfig"),
    "align": ("duplexsynth.align.config", "AlignConfig"),
    "mix": ("duplexsynth.schedule.config", "MixConfig"),
    "augment": ("duplexsynth.augment.config", "AugmentConfig"),
    "write": ("duplexsynth.pipelines.config", "WriteConfig"),
}
#: the sections a run config file may hold, in data-flow order, plus "run"
RUN_SECTIONS: tuple[str, ...] = ("run", *STAGES)


def _check_keys(cls: type, d: dict[str, Any], what: str) -> None:
    if not isinstance(d, dict):
        raise ValueError(f"{what} must be a mapping, got {type(d).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ValueError(
            f"unknown {what} key(s): {', '.join(unknown)}; expected some of {', '.join(sorted(names))}"
        )


@dataclass
class WriteConfig:
    """The final ``write`` step: ``OUT/dialogues/part-*.parquet``, one row per dialogue."""

    #: sample rate of the final audio; rows at another rate are resampled (24 kHz = Mimi's rate)
    sample_rate: int = 24000
    #: keep each turn's mono audio and the backchannel lexicon in the final rows
    keep_turn_audio: bool = False
    #: keep the clean (pre-augmentation) stereo mix in ``clean_audio`` when the row has one
    keep_clean_audio: bool = True
    #: cut shards at about this many MB (Hugging Face suggests shards well under 1 GB)
    target_shard_mb: float = 256.0
    #: rows per Parquet row group; small because every row carries a stereo FLAC
    row_group_rows: int = 8

    def __post_init__(self) -> None:
        if isinstance(self.sample_rate, bool) or not isinstance(self.sample_rate, int):
            raise ValueError(f"write.sample_rate must be an integer, got {self.sample_rate!r}")
        if not 8000 <= self.sample_rate <= 192000:
            raise ValueError(
                f"write.sample_rate must be in 8000..192000 Hz, got {self.sample_rate}"
            )
        for name in ("keep_turn_audio", "keep_clean_audio"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"write.{name} must be true or false, got {getattr(self, name)!r}")
        if not isinstance(self.target_shard_mb, (int, float)) or self.target_shard_mb <= 0:
            raise ValueError(
                f"write.target_shard_mb must be a positive number, got {self.target_shard_mb!r}"
            )
        if (
            isinstance(self.row_group_rows, bool)
            or not isinstance(self.row_group_rows, int)
            or self.row_group_rows < 1
        ):
            raise ValueError(
                f"write.row_group_rows must be a positive integer, got {self.row_group_rows!r}"
            )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WriteConfig:
        """Build from a mapping; ``ValueError`` names unknown keys and bad values."""
        _check_keys(cls, d, "write")
        values = dict(d)
        if "target_shard_mb" in values and isinstance(values["target_shard_mb"], int):
            values["target_shard_mb"] = float(values["target_shard_mb"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RunOptions:
    """The ``run`` section: what the command line's --input/--seed/--limit also set."""

    seed: int = 1234
    input: list[str] = field(default_factory=list)
    limit: int | None = None
    #: start from an existing stage output root instead of a corpus (``--from``)
    from_stage: str = "filter"

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"run.seed must be an integer, got {self.seed!r}")
        if self.input is None:
            self.input = []
        if isinstance(self.input, str):
            self.input = [self.input]
        if not isinstance(self.input, list) or not all(isinstance(x, str) for x in self.input):
            raise ValueError(f"run.input must be a list of paths, got {self.input!r}")
        if self.limit is not None and (
            isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1
        ):
            raise ValueError(f"run.limit must be a positive integer, got {self.limit!r}")
        if self.from_stage not in STAGES:
            raise ValueError(
                f"run.from_stage must be one of {', '.join(STAGES)}, got {self.from_stage!r}"
            )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunOptions:
        _check_keys(cls, d, "run")
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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
    sections: dict[str, dict[str, Any]] = {}
    for name in RUN_SECTIONS:
        raw = file_data.get(name) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"config section {name!r} must be a mapping, got {type(raw).__name__}")
        merged = dict(raw)
        merged.update(overrides.get(name) or {})
        sections[name] = merged
    run = RunOptions.from_dict(sections["run"])
    built: dict[str, Any] = {}
    for stage in stages:
        cls = config_class(stage)
        values = sections[stage]
        try:
            built[stage] = cls.from_dict(values) if values else cls()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"config section {stage!r}: {exc}") from exc
    return RunConfig(run=run, stages=built)
