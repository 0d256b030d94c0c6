"""The voice bank: which voices exist, which one the assistant uses, how users are sampled.

A bank is a YAML or JSON file::

    version: 1
    assistant: piper-joe            # ONE fixed voice for every assistant turn of the dataset
    voices:
      - id: piper-joe               # stable id, recorded per row and per turn
        backend: piper              # piper | kokoro | espeak | cosyvoice | openai
        params: {length_scale: 1.0} # engine parameters (see each backend's docstring)
        language: en-US
        gender: male                # free tags for filtering and reporting
        tags: [native]
        role: assistant             # assistant | user | both (default: user)
        weight: 1.0                 # relative probability in the user pool
      - id: alice
        backend: cosyvoice
        prompt_wav: prompts/alice.wav   # cloning prompt, relative to the bank file
        prompt_text: "The transcript of alice.wav."

The user voice of each dialogue is drawn from the voices whose role is ``user`` or ``both``
(never the assistant's), with probability proportional to ``weight``, using
``dialogue_rng(seed, dialogue_id, "synth.voice")``: same seed and id, same voice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from duplexsynth.schemas.rng import dialogue_rng
from duplexsynth.synth.backends import BACKEND_NAMES, backend_class

ROLES = ("assistant", "user", "both")
BUNDLED_BANKS = ("default", "espeak", "espeak_zh")
_VOICE_KEYS = {
    "id",
    "backend",
    "params",
    "language",
    "gender",
    "tags",
    "role",
    "weight",
    "prompt_wav",
    "prompt_text",
}


@dataclass(frozen=True)
class Voice:
    """One voice of the bank."""

    id: str
    backend: str
    params: dict[str, Any] = field(default_factory=dict)
    language: str = "en-US"
    gender: str | None = None
    tags: tuple[str, ...] = ()
    role: str = "user"
    weight: float = 1.0
    prompt_wav: str | None = None
    prompt_text: str | None = None

    def engine_params(self) -> dict[str, Any]:
        """The parameters handed to the backend (cloning prompt included)."""
        out = dict(self.params)
        if self.prompt_wav:
            out["prompt_wav"] = self.prompt_wav
        if self.prompt_text:
            out["prompt_text"] = self.prompt_text
        return out

    def describe(self) -> dict[str, Any]:
        """A JSON-safe record of the voice for ``params["synth"]``."""
        return {
            "backend": self.backend,
            "params": self.engine_params(),
            "language": self.language,
            "gender": self.gender,
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class VoiceBank:
    """All voices, the assistant's voice id, and the weighted user pool."""

    voices: tuple[Voice, ...]
    assistant: str
    source: str = ""

    def __post_init__(self) -> None:
        ids = [v.id for v in self.voices]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"voice bank {self.source}: duplicate voice id(s) {dupes}")
        if self.assistant not in ids:
            raise ValueError(
                f"voice bank {self.source}: assistant voice {self.assistant!r} is not in the bank"
            )
        if not self.user_pool():
            raise ValueError(
                f"voice bank {self.source}: no user voices (role user/both, weight > 0)"
            )

    def get(self, voice_id: str) -> Voice:
        for v in self.voices:
            if v.id == voice_id:
                return v
        raise KeyError(f"voice {voice_id!r} is not in the voice bank {self.source}")

    @property
    def assistant_voice(self) -> Voice:
        return self.get(self.assistant)

    def user_pool(self) -> tuple[Voice, ...]:
        """User-eligible voices (role user/both, weight > 0, not the assistant's), bank order."""
        return tuple(
            v
            for v in self.voices
            if v.role in ("user", "both") and v.weight > 0 and v.id != self.assistant
        )

    def sample_user(self, seed: int, dialogue_id: str) -> Voice:
        """The user voice of one dialogue (weighted, deterministic in (seed, dialogue_id))."""
        pool = self.user_pool()
        weights = np.array([v.weight for v in pool], dtype=np.float64)
        rng = dialogue_rng(seed, dialogue_id, "synth.voice")
        return pool[int(rng.choice(len(pool), p=weights / weights.sum()))]

    def backends(self) -> tuple[str, ...]:
        """Backend names the bank uses, sorted."""
        return tuple(sorted({v.backend for v in self.voices}))

    def restrict(
        self, user_ids: list[str] | None = None, assistant: str | None = None
    ) -> VoiceBank:
        """A bank with another assistant voice and/or only the given user voices."""
        voices = self.voices
        if user_ids:
            missing = sorted(set(user_ids) - {v.id for v in voices})
            if missing:
                raise ValueError(f"voice bank {self.source}: no voice(s) {missing}")
            keep = set(user_ids) | {assistant or self.assistant}
            voices = tuple(v for v in voices if v.id in keep)
        return VoiceBank(voices=voices, assistant=assistant or self.assistant, source=self.source)


def bank_path(name_or_path: str) -> Path:
    """A bundled bank name (``default``, ``espeak``, ``espeak_zh``) or a file path, as a path."""
    if name_or_path in BUNDLED_BANKS:
        return Path(str(files("duplexsynth") / "data" / "voices" / f"{name_or_path}.yaml"))
    return Path(name_or_path)


def load_voice_bank(name_or_path: str, validate: bool = True) -> VoiceBank:
    """Read and check a voice bank. ``ValueError`` names the file, the voice and the problem.

    ``validate`` also asks each voice's backend to check its parameters (no model is loaded).
    """
    path = bank_path(name_or_path)
    if not path.is_file():
        raise ValueError(
            f"voice bank {name_or_path!r} not found: give a YAML/JSON file or one of {', '.join(BUNDLED_BANKS)}"
        )
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    return parse_voice_bank(data, base_dir=path.parent, source=str(path), validate=validate)


def parse_voice_bank(
    data: Any, base_dir: str | Path = ".", source: str = "<dict>", validate: bool = True
) -> VoiceBank:
    """Build a :class:`VoiceBank` from the parsed file content."""
    if not isinstance(data, dict) or not isinstance(data.get("voices"), list):
        raise ValueError(f"voice bank {source}: expected a mapping with a 'voices' list")
    unknown = sorted(set(data) - {"version", "assistant", "voices", "description"})
    if unknown:
        raise ValueError(f"voice bank {source}: unknown top-level key(s) {unknown}")
    voices = tuple(
        _voice(v, i, Path(base_dir), source, validate) for i, v in enumerate(data["voices"])
    )
    assistant = data.get("assistant")
    if not assistant:
        roles = [v.id for v in voices if v.role == "assistant"]
        if len(roles) != 1:
            raise ValueError(
                f"voice bank {source}: name the assistant voice with 'assistant: <id>'"
            )
        assistant = roles[0]
    return VoiceBank(voices=voices, assistant=str(assistant), source=source)


def _voice(raw: Any, index: int, base_dir: Path, source: str, validate: bool) -> Voice:
    where = f"voice bank {source}, voice #{index}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping, got {raw!r}")
    vid = raw.get("id")
    if not isinstance(vid, str) or not vid.strip():
        raise ValueError(f"{where}: missing 'id'")
    where = f"voice bank {source}, voice {vid!r}"
    unknown = sorted(set(raw) - _VOICE_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known: {sorted(_VOICE_KEYS)}")
    backend = raw.get("backend")
    if backend not in BACKEND_NAMES:
        raise ValueError(f"{where}: backend {backend!r} is not one of {', '.join(BACKEND_NAMES)}")
    role = raw.get("role", "user")
    if role not in ROLES:
        raise ValueError(f"{where}: role {role!r} is not one of {', '.join(ROLES)}")
    try:
        weight = float(raw.get("weight", 1.0))
    except (TypeError, ValueError):
        raise ValueError(f"{where}: weight {raw.get('weight')!r} is not a number") from None
    if not weight >= 0:
        raise ValueError(f"{where}: weight must be >= 0, got {weight}")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError(f"{where}: params must be a mapping, got {params!r}")
    prompt_wav = raw.get("prompt_wav")
    if prompt_wav:
        prompt_wav = _bank_relative(str(prompt_wav), base_dir)
    for key in ("short_prompt_wav",):  # a cloning clip inside params: also bank-relative
        if params.get(key):
            params = {**params, key: _bank_relative(str(params[key]), base_dir)}
    tags = raw.get("tags") or ()
    voice = Voice(
        id=vid,
        backend=backend,
        params=dict(params),
        language=str(raw.get("language", "en-US")),
        gender=raw.get("gender"),
        tags=tuple(str(t) for t in (tags if isinstance(tags, (list, tuple)) else [tags])),
        role=role,
        weight=weight,
        prompt_wav=prompt_wav,
        prompt_text=raw.get("prompt_text"),
    )
    if validate:
        try:
            backend_class(backend).validate_params(voice.engine_params())
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    return voice


def _bank_relative(path: str, base_dir: Path) -> str:
    """A prompt clip's path: object-store URLs as given, local paths relative to the bank."""
    if "://" in path:
        return path
    p = Path(path)
    return str(p if p.is_absolute() else (base_dir / p).resolve())
