"""Typed records that cross stage boundaries.

One :class:`Dialogue` per row at every stage. Stages *add* fields and never rename them; a field
a stage has not reached yet is ``None``. Times are seconds (``*_s``), rates are Hz.
``to_row``/``from_row`` convert to and from the plain dicts that Beam and Arrow carry
(``params`` travels as a JSON string).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

USER = "user"
ASSISTANT = "assistant"
SPEAKERS = (USER, ASSISTANT)
#: moshi-finetune's convention: channel 0 is the model (assistant), channel 1 the user.
CHANNEL_OF = {ASSISTANT: 0, USER: 1}

KIND_TURN = "turn"
KIND_BACKCHANNEL = "backchannel"


@dataclass(frozen=True)
class AudioRef:
    """Encoded audio as Hugging Face's Audio struct: ``bytes`` (FLAC) and an optional ``path``."""

    bytes: bytes
    path: str | None = None


@dataclass(frozen=True)
class Word:
    """One word of a mono utterance; times relative to the start of that utterance's audio."""

    word: str
    start_s: float
    end_s: float
    score: float | None = None
    #: how the timing was obtained: "tts", "faster_whisper", "whisper_timestamped", "interpolated"
    method: str | None = None


@dataclass(frozen=True)
class TimelineWord:
    """One word on the stereo timeline of a mixed dialogue (absolute seconds)."""

    word: str
    start_s: float
    end_s: float
    channel: int
    speaker: str
    turn_index: int
    kind: str = KIND_TURN


@dataclass(frozen=True)
class Backchannel:
    """A short listener token ("mm-hmm") in one voice, synthesized once and reused."""

    speaker: str
    voice: str
    text: str
    audio: AudioRef
    sample_rate: int
    duration_s: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Event:
    """A point event on the stereo timeline (turn_start, turn_end, backchannel,
    interruption_onset, assistant_stop, ...)."""

    time_s: float
    kind: str
    channel: int
    turn_index: int


@dataclass(frozen=True)
class FrameLabels:
    """Frame-level labels per channel at ``frame_rate_hz`` (default 12.5 Hz, Mimi's frame rate).

    ``activity_*`` are 0/1 voice activity; ``state_*`` index into ``state_names``.
    """

    frame_rate_hz: float
    num_frames: int
    activity_assistant: tuple[int, ...]
    activity_user: tuple[int, ...]
    state_assistant: tuple[int, ...]
    state_user: tuple[int, ...]
    state_names: tuple[str, ...]


@dataclass(frozen=True)
class Turn:
    """One utterance of a dialogue. Filter fills the first three fields; later stages add."""

    turn_index: int
    speaker: str
    source_text: str | None
    # rewrite
    spoken_text: str | None = None
    # synth
    voice: str | None = None
    audio: AudioRef | None = None
    sample_rate: int | None = None
    duration_s: float | None = None
    tts_words: tuple[Word, ...] | None = None
    # align
    words: tuple[Word, ...] | None = None
    # mix (schedule)
    start_s: float | None = None
    end_s: float | None = None
    channel: int | None = None
    kind: str | None = None
    interrupted: bool | None = None
    cut_s: float | None = None  # absolute time the speaker stopped, when interrupted
    text: str | None = None  # what was actually said (spoken_text cut at the interruption)
    stop_command: bool | None = None  # the turn opens with a spoken stop command ("wait, stop")

    def replace(self, **changes: Any) -> Turn:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Dialogue:
    """One dialogue: user first, alternating user/assistant turns (backchannels after mixing)."""

    id: str
    source_file: str
    source_index: int
    record_id: str | None
    format: str
    turns: tuple[Turn, ...]
    system_prompt: str | None = None
    #: everything sampled or configured, by stage: {"filter": {...}, "synth": {...}, ...}
    params: dict[str, Any] = field(default_factory=dict)
    # rewrite
    rewrite_method: str | None = None
    rewrite_model: str | None = None
    rewrite_prompt_version: str | None = None
    rewrite_temperature: float | None = None
    rewrite_seed: int | None = None
    # synth
    assistant_voice: str | None = None
    user_voice: str | None = None
    backchannels: tuple[Backchannel, ...] | None = None
    # align
    align_method: str | None = None
    # mix
    audio: AudioRef | None = None
    sample_rate: int | None = None
    duration_s: float | None = None
    words: tuple[TimelineWord, ...] | None = None
    labels: FrameLabels | None = None
    events: tuple[Event, ...] | None = None
    # augment: the clean stereo mix before augmentation (optional)
    clean_audio: AudioRef | None = None

    def replace(self, **changes: Any) -> Dialogue:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def with_params(self, stage: str, values: dict[str, Any]) -> Dialogue:
        """A copy whose ``params[stage]`` is ``values`` (other stages' params kept)."""
        merged = dict(self.params)
        merged[stage] = values
        return dataclasses.replace(self, params=merged)

    def to_row(self) -> dict[str, Any]:
        """The plain dict carried by Beam and written to Arrow (``params`` as JSON)."""
        row = _to_plain(self)
        from duplexsynth.redact import redact

        # backend versions and server URLs recorded by the stages may carry credentials
        row["params"] = redact(json.dumps(self.params, sort_keys=True, default=_json_default))
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Dialogue:
        """Inverse of :meth:`to_row`; unknown keys are ignored, missing ones are ``None``."""
        return _dialogue_from_row(row)


@dataclass(frozen=True)
class Reject:
    """One record or dialogue dropped by a stage, written to ``OUT/rejects/<stage>/``."""

    source_file: str
    source_index: int
    record_id: str | None
    stage: str
    reason: str
    detail: str
    id: str | None = None

    def __post_init__(self) -> None:
        from duplexsynth.redact import redact

        if isinstance(self.detail, str):  # a server error may echo credentials
            object.__setattr__(self, "detail", redact(self.detail))

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def make_reject(dialogue_or_row: Any, stage: str, reason: Any, detail: str) -> Reject:
    """The one way to build a :class:`Reject`: for a :class:`Dialogue` (or any object with its
    source fields, or a raw row dict, which may lack fields) with its source fields filled in;
    ``reason`` is a :class:`~duplexsynth.schemas.reasons.Reason` or its string."""
    if not isinstance(dialogue_or_row, dict) and hasattr(dialogue_or_row, "source_file"):
        d = dialogue_or_row
        return Reject(d.source_file, d.source_index, d.record_id, stage, str(reason), detail, d.id)
    row = dialogue_or_row if isinstance(dialogue_or_row, dict) else {}
    return Reject(
        source_file=str(row.get("source_file") or ""),
        source_index=int(row.get("source_index") or 0),
        record_id=row.get("record_id"),
        stage=stage,
        reason=str(reason),
        detail=detail,
        id=row.get("id"),
    )


def exchange_prefix(turns: Sequence[Turn], end: int) -> int:
    """The prefix rule: how many of ``turns[:end]`` to keep so that the dialogue ends on an
    assistant turn (a trailing user turn without its answer is dropped); 0 when that leaves no
    complete user/assistant exchange. The filter, rewrite and align stages all cut with it."""
    keep = min(end, len(turns))
    while keep > 0 and turns[keep - 1].speaker != ASSISTANT:
        keep -= 1
    return keep if keep >= 2 else 0


def _json_default(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"params value of type {type(value).__name__} is not JSON serializable")


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    return value


def _audio(v: Any) -> AudioRef | None:
    if v is None:
        return None
    if isinstance(v, AudioRef):
        return v
    if v.get("bytes") is None:
        return None
    return AudioRef(bytes=v["bytes"], path=v.get("path"))


def _record(cls: type, value: Any) -> Any:
    """The ``cls`` record read from its plain dict (``to_row``'s or Arrow's); a record passes
    through and ``None`` stays ``None``. Keys that are not fields are ignored."""
    if value is None or isinstance(value, cls):
        return value
    return cls(**{name: read(value) for name, read in _readers(cls)})


@functools.cache
def _readers(cls: type) -> tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...]:
    """One reader per field of ``cls``, from its type: a required field must be in the dict
    (``KeyError`` otherwise) and a required ``int``/``float`` is cast; an optional one (with a
    default or ``| None``) may be missing or ``None``, and takes its default then. Nested
    records and tuples of them are read the same way; ``AudioRef`` with no bytes is ``None``."""
    hints = typing.get_type_hints(cls)
    readers = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        if optional:
            tp = args[0]
        convert = _converter(tp, cast=not optional)
        if f.default is not dataclasses.MISSING:
            default: Callable[[], Any] = functools.partial(_same, f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory  # a fresh value each time
        elif optional:
            default = functools.partial(_same, None)
        else:
            readers.append((f.name, lambda d, k=f.name, c=convert: c(d[k])))
            continue
        readers.append(
            (
                f.name,
                lambda d, k=f.name, c=convert, dv=default: dv() if d.get(k) is None else c(d[k]),
            )
        )
    return tuple(readers)


def _converter(tp: Any, cast: bool) -> Callable[[Any], Any]:
    if tp is AudioRef:
        return _audio
    if dataclasses.is_dataclass(tp):
        return functools.partial(_record, tp)
    if typing.get_origin(tp) is tuple:
        element = _converter(typing.get_args(tp)[0], cast=False)
        return lambda v: tuple(element(x) for x in v)
    if cast and tp in (int, float):
        return tp
    return _same


def _same(v: Any) -> Any:
    return v


def _dialogue_from_row(row: dict[str, Any]) -> Dialogue:
    params = row.get("params")
    if isinstance(params, str):
        params = json.loads(params) if params else {}
    return _record(
        Dialogue,
        {
            **row,
            "source_file": row.get("source_file") or "",
            "source_index": int(row.get("source_index") or 0),
            "format": row.get("format") or "",
            "turns": row.get("turns") or (),
            "params": params or {},
        },
    )
