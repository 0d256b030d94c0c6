"""One source of truth for a stage's settings: a pydantic v2 model per stage.

Each stage config is a :class:`StageConfig` subclass whose fields carry the type, the bounds
(``Field(ge=..., le=...)``), the choices (``Literal``) and a description. From that one model come

* validation of a YAML/TOML section or a ``--set SECTION.KEY=VALUE`` item (:meth:`from_dict`:
  unknown keys are named, with a did-you-mean suggestion; a bad value is one line naming
  ``section.key`` and the value),
* the effective config written to ``OUT/config.yaml`` (:meth:`to_dict`, i.e. ``model_dump``),
* the click options of the stage command (:func:`cli_options`: flag, type, default, help), and
* the option tables in ``docs/stages/<stage>.md`` (:func:`options_table`, kept in step by
  ``scripts/config_tables.py`` and a test).

A field becomes a command-line option when it is declared with :func:`setting` and a ``flag``;
fields without one are file/``--set`` settings only. :func:`field_option` makes the option of one
field; ``duplexsynth run``'s flags that set keys of other sections use it with the target field
(:data:`duplexsynth.pipelines.config.RUN_SHORTCUTS`).
"""

from __future__ import annotations

import difflib
import types
import typing
import warnings
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

__all__ = [
    "StageConfig",
    "setting",
    "cli_fields",
    "cli_options",
    "field_option",
    "options_table",
    "unknown_key_message",
]

_UNSET: Any = object()


#: the command-line metadata :func:`setting` keeps in a field's ``json_schema_extra``
CLI_KEYS = ("flag", "short", "show_default", "click_type", "metavar", "envvar", "doc_default")


def setting(
    default: Any = _UNSET,
    description: str = "",
    *,
    old_key: str | None = None,
    default_factory: Callable[[], Any] | None = None,
    **options: Any,
) -> Any:
    """A model field with its command-line metadata.

    ``options`` holds the command-line metadata (:data:`CLI_KEYS`) and the pydantic constraints.
    ``flag``: ``True`` for ``--field-name``, a string for another name (``"--max-words"``), or
    ``None`` for no option. ``short``: a short alias (``"-o"``). ``show_default``: what the help
    prints as the default when not the value itself. ``click_type``: a click type overriding the
    one derived from the annotation (``click.Path(...)``). ``metavar``: the value's name in
    ``--help``; ``envvar``: an environment variable the option also reads; ``doc_default``: the default
    the docs table shows when it is not a constant (``preset``). The constraints: ``ge``, ``le``,
    ``gt``, ``lt``, ``min_length`` ... as for :func:`pydantic.Field`. ``old_key``: the field's
    former name, still read from files and ``--set`` (a pydantic validation alias) with a
    :class:`DeprecatedKeyWarning`.
    """
    extra = {key: value for key in CLI_KEYS if (value := options.pop(key, None)) is not None}
    if default_factory is not None:
        options["default_factory"] = default_factory
    elif default is not _UNSET:
        options["default"] = default
    if old_key is not None:
        options["validation_alias"] = old_key
    return Field(description=description, json_schema_extra=extra or None, **options)


def folder(description: str, *, exists: bool = False, **options: Any) -> Any:
    """An optional folder (``None`` unless given): a ``--flag`` that takes a directory path,
    one that must exist when ``exists``; no default shown unless ``show_default`` says one."""
    options.setdefault("flag", True)
    options.setdefault("show_default", False)
    click_type = "existing_dir" if exists else "dir"
    return setting(None, description, click_type=click_type, **options)


#: a probability or a share: a float from 0 to 1
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
#: a length of time in seconds (a field named ``*_s``): never negative
Seconds = Annotated[float, Field(ge=0)]


class DeprecatedKeyWarning(FutureWarning):
    """A config key that was renamed or retired. A ``FutureWarning``, so that command-line users
    see it (Python hides ``DeprecationWarning`` outside ``__main__``)."""


def unknown_key_message(section: str, unknown: list[str], known: list[str]) -> str:
    """``"unknown filter option(s): max_word (did you mean max_words_per_turn?); known: ..."``."""
    parts = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        parts.append(f"{key} (did you mean {close[0]}?)" if close else key)
    return f"unknown {section} option(s): {', '.join(parts)}; known: {', '.join(sorted(known))}"


class StageConfig(BaseModel):
    """Base of the stage configs: strict types, unknown keys rejected, checked on assignment."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        validate_assignment=True,
        validate_default=False,
        populate_by_name=True,  # a field's ``old_key`` (validation alias) and its name both work
    )

    #: the YAML section / ``--set`` prefix of this config (``filter``, ``write`` ...)
    SECTION: ClassVar[str] = ""
    #: retired keys -> why they are gone; still accepted (and ignored) with a warning
    RETIRED_KEYS: ClassVar[dict[str, str]] = {}

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ValueError(self._explain(exc)) from None

    @classmethod
    def _explain(cls, exc: ValidationError) -> str:
        """One line naming ``section.key``, what was expected and the value given."""
        known = list(cls.model_fields)
        lines = []
        unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        if unknown:
            lines.append(unknown_key_message(cls.SECTION, unknown, known))
        for err in exc.errors():
            if err["type"] == "extra_forbidden":
                continue
            loc = ".".join(str(p) for p in err["loc"])
            where = f"{cls.SECTION}.{loc}" if loc else cls.SECTION
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            lines.append(f"{where}: {msg}, got {err['input']!r}" if loc else f"{where}: {msg}")
        return "; ".join(lines)

    @classmethod
    def upgrade_keys(cls, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with each renamed key under its field's name and retired keys dropped, a
        :class:`DeprecatedKeyWarning` for each. Merge layers (file, flags, ``--set``) only after
        upgrading each, so that a new key in one layer overrides an old key in another."""
        out = dict(values)
        for name, info in cls.model_fields.items():
            old = info.validation_alias
            if not isinstance(old, str) or old not in out:
                continue
            if name in out:
                raise ValueError(f"give either {name} or its former name {old}, not both")
            warnings.warn(
                f"{cls.SECTION}.{old} is deprecated: use {cls.SECTION}.{name}",
                DeprecatedKeyWarning,
                stacklevel=2,
            )
            out[name] = out.pop(old)
        for key, why in cls.RETIRED_KEYS.items():
            if key in out:
                warnings.warn(
                    f"{cls.SECTION}.{key} is ignored: {why}", DeprecatedKeyWarning, stacklevel=2
                )
                del out[key]
        return out

    @model_validator(mode="before")
    @classmethod
    def _current_keys(cls, data: Any) -> Any:
        """Renamed and retired keys given to the constructor directly (not through a layer)."""
        return cls.upgrade_keys(data) if isinstance(data, dict) else data

    @model_validator(mode="before")
    @classmethod
    def _sequences(cls, data: Any) -> Any:
        """YAML/TOML give lists where a field holds a tuple (and a tuple may come for a list);
        a single string is taken as a one-item sequence for a variadic tuple field."""
        if not isinstance(data, dict):
            return data
        values = dict(data)
        for name, value in data.items():
            info = cls.model_fields.get(name)
            if info is None:
                continue
            if isinstance(value, tuple) and _is_list(info):
                values[name] = list(value)
            elif _is_tuple(info):
                if isinstance(value, list):
                    values[name] = tuple(value)
                elif isinstance(value, str) and _variadic(info):
                    values[name] = (value,)
        return values

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Any:
        """Build from a mapping (a YAML section, ``--set`` items); ``ValueError`` on bad input."""
        if d is not None and not isinstance(d, dict):
            raise ValueError(f"{cls.SECTION} must be a mapping, got {type(d).__name__}")
        values = dict(d or {})
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-safe dict of every field (what ``OUT/config.yaml`` holds)."""
        return self.model_dump(mode="json")


# ---------------------------------------------------------------------------------- typing helpers
def _args(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation)


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in _args(annotation) if a is not type(None)]
        if len(args) == 1 and len(args) < len(_args(annotation)):
            return args[0], True
    return annotation, False


def _is_list(info: FieldInfo) -> bool:
    return typing.get_origin(_strip_optional(info.annotation)[0]) is list


def _is_tuple(info: FieldInfo) -> bool:
    return typing.get_origin(_strip_optional(info.annotation)[0]) is tuple


def _variadic(info: FieldInfo) -> bool:
    base = _strip_optional(info.annotation)[0]
    return typing.get_origin(base) is tuple and _args(base)[-1:] == (Ellipsis,)


def _bounds(info: FieldInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for meta in info.metadata:
        for key in ("ge", "gt", "le", "lt"):
            value = getattr(meta, key, None)
            if value is not None:
                out[key] = value
    return out


#: click types a model may name by a word, so models import without click (``synth.serve``
#: runs in a CosyVoice environment that has pydantic but not the CLI's packages)
NAMED_CLICK_TYPES: dict[str, dict[str, Any]] = {
    "dir": {"file_okay": False},
    "existing_dir": {"exists": True, "file_okay": False},
    "file": {"dir_okay": False},
}


def _click_type(info: FieldInfo, ctype: Any = None) -> tuple[Any, bool]:
    """(click type, multiple) for a field's annotation and bounds; ``ctype`` overrides the type
    (a click type, or a word of :data:`NAMED_CLICK_TYPES`)."""
    import click

    base, _ = _strip_optional(info.annotation)
    multiple = typing.get_origin(base) is list or _variadic(info)
    if multiple:
        base = _args(base)[0]
    if ctype is not None:
        if isinstance(ctype, str):
            ctype = click.Path(**NAMED_CLICK_TYPES[ctype])
        return ctype, multiple
    if typing.get_origin(base) is tuple:  # a fixed pair: --gain-db MIN MAX
        return tuple(_args(base)), False
    if typing.get_origin(base) is Literal:
        return click.Choice([str(a) for a in _args(base)]), multiple
    ranges = {int: click.IntRange, float: click.FloatRange}
    if base not in ranges:
        return None, multiple
    b = _bounds(info)
    lo = b.get("ge", b.get("gt"))
    hi = b.get("le", b.get("lt"))
    if lo is None and hi is None:
        return base, multiple
    return ranges[base](min=lo, max=hi, min_open="gt" in b, max_open="lt" in b), multiple


def _extra(info: FieldInfo) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _flag(name: str, info: FieldInfo) -> str | None:
    flag = _extra(info).get("flag")
    if flag is None or flag is False:
        return None
    return f"--{name.replace('_', '-')}" if flag is True else str(flag)


def cli_fields(model: type[StageConfig]) -> dict[str, str]:
    """Field name -> flag (``--max-words``) of every field that is a command-line option."""
    out = {}
    for name, info in model.model_fields.items():
        flag = _flag(name, info)
        if flag is not None:
            out[name] = flag
    return out


def field_option(
    name: str,
    info: FieldInfo,
    flag: str,
    *,
    help: str | None = None,
    presentation: dict[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The click option ``flag`` for a model field, its parameter named ``name``.

    The value side (click type from the annotation, bounds and ``Literal`` choices; default;
    ``multiple``) always comes from ``info``. The presentation (short alias, metavar, envvar,
    ``show_default``, a ``click_type`` override) comes from ``presentation``, by default the
    field's own :func:`setting` metadata, and the help from ``help``, by default the field's
    description. A bool becomes ``--flag/--no-flag``; a list or variadic tuple a repeatable
    option; ``Optional`` fields default to ``None``.
    """
    import click

    extra = _extra(info) if presentation is None else presentation
    default = info.get_default(call_default_factory=True)
    decls = [flag]
    if extra.get("short"):
        decls.append(extra["short"])
    kwargs: dict[str, Any] = {"help": (info.description if help is None else help) or None}
    kwargs["show_default"] = extra.get("show_default", True)
    for key in ("metavar", "envvar"):
        if extra.get(key):
            kwargs[key] = extra[key]
    base, _ = _strip_optional(info.annotation)
    if base is bool:
        decls[0] = f"{flag}/--no-{flag[2:]}"
    else:
        ctype, multiple = _click_type(info, extra.get("click_type"))
        if ctype is not None:
            kwargs["type"] = ctype
        if multiple:
            kwargs["multiple"] = True
            default = tuple(default or ())
    kwargs["default"] = default
    return click.option(*decls, name, **kwargs)


def cli_options(
    model: type[StageConfig],
    only: tuple[str, ...] | None = None,
    exclude: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator adding one click option per flagged field of ``model``, in field order
    (see :func:`field_option`); only the fields named in ``only``, when given (commands other
    than the stage's own that take some of its settings, e.g. ``check-tts`` and ``serve-tts``),
    and none of those in ``exclude``.

    The click parameter is named after the field, so ``ctx.params`` keys are field names.
    """
    unknown = set(only or ()).union(exclude) - set(model.model_fields)
    if unknown:
        raise ValueError(f"{model.__name__} has no field(s) {sorted(unknown)}")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for name, flag in reversed(list(cli_fields(model).items())):
            if (only is None or name in only) and name not in exclude:
                fn = field_option(name, model.model_fields[name], flag)(fn)
        return fn

    return decorate


def default_text(info: FieldInfo, extra: dict[str, Any] | None = None) -> str:
    """A field's default as the docs tables show it (``extra``: presentation metadata, by
    default the field's own; its ``doc_default``/``show_default`` text wins)."""
    extra = _extra(info) if extra is None else extra
    shown = extra.get("doc_default", extra.get("show_default"))
    if isinstance(shown, str):
        return shown
    default = info.get_default(call_default_factory=True)
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, (list, tuple)):
        base, _ = _strip_optional(info.annotation)
        if typing.get_origin(base) is list and typing.get_origin(_args(base)[0]) is Literal:
            return "all" if default else "none"
        return ", ".join(f"`{v}`" for v in default) if default else "none"
    return f"`{default}`"


def allowed_text(info: FieldInfo) -> str:
    """The values a field takes, as the docs tables show them (``int >= 1 or null``)."""
    base, optional = _strip_optional(info.annotation)
    if typing.get_origin(base) is Literal:
        allowed = ", ".join(f"`{a}`" for a in _args(base))
    elif typing.get_origin(base) is list and typing.get_origin(_args(base)[0]) is Literal:
        allowed = "list of " + ", ".join(f"`{a}`" for a in _args(_args(base)[0]))
    elif typing.get_origin(base) is tuple and not _variadic(info):
        allowed = f"[min, max] of {getattr(_args(base)[0], '__name__', _args(base)[0])}"
    elif typing.get_origin(base) in (list, tuple):
        allowed = f"list of {getattr(_args(base)[0], '__name__', _args(base)[0])}"
    else:
        allowed = getattr(base, "__name__", str(base))
        marks = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
        allowed += "".join(f" {marks[k]} {v}" for k, v in _bounds(info).items())
    return allowed + (" or null" if optional else "")


def flag_text(flag: str | None, info: FieldInfo) -> str:
    """A field's flag as the docs tables show it: `` `--x` ``, `` `--x/--no-x` `` or ``-``."""
    if not flag:
        return "-"
    if _strip_optional(info.annotation)[0] is bool:
        flag = f"{flag}/--no-{flag[2:]}"
    return f"`{flag}`"


def cell(text: str) -> str:
    """``text`` made safe for a markdown table cell."""
    return text.replace("|", "\\|")


def options_table(model: type[StageConfig]) -> str:
    """A markdown table of every setting of ``model``: key, flag, type, default, description."""
    rows = ["| key | flag | allowed | default | |", "|---|---|---|---|---|"]
    for name, info in model.model_fields.items():
        rows.append(
            f"| `{name}` | {flag_text(_flag(name, info), info)} | {allowed_text(info)} | "
            f"{default_text(info)} | {cell(info.description or '')} |"
        )
    return "\n".join(rows)
