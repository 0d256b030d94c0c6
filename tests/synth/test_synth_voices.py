"""Voice banks: bundled banks, validation errors, deterministic weighted user sampling."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from duplexsynth.synth.voices import load_voice_bank, parse_voice_bank


def test_bundled_banks_load_and_keep_the_assistant_out_of_the_user_pool() -> None:
    default = load_voice_bank("default")
    assert default.assistant == "piper-joe" and default.assistant_voice.backend == "piper"
    users = default.user_pool()
    assert len(users) >= 8 and all(v.backend == "kokoro" for v in users)
    assert default.assistant not in {v.id for v in users}
    blends = [v for v in users if "blend" in v.params]
    assert len(blends) >= 3
    fast = load_voice_bank("espeak")
    assert fast.backends() == ("espeak",) and len(fast.user_pool()) >= 4


def test_user_voice_sampling_is_deterministic_and_weighted() -> None:
    bank = parse_voice_bank(
        {
            "assistant": "a",
            "voices": [
                {"id": "a", "backend": "espeak", "role": "assistant"},
                {"id": "u1", "backend": "espeak", "weight": 3},
                {"id": "u2", "backend": "espeak", "weight": 1},
                {"id": "off", "backend": "espeak", "weight": 0},
                {"id": "both", "backend": "espeak", "role": "both", "weight": 1},
            ],
        }
    )
    ids = [f"dlg-{i:05d}" for i in range(2000)]
    first = [bank.sample_user(7, i).id for i in ids]
    assert first == [bank.sample_user(7, i).id for i in ids]  # same seed, same voices
    assert first != [bank.sample_user(8, i).id for i in ids]  # another seed, another draw
    counts = Counter(first)
    assert set(counts) == {"u1", "u2", "both"}  # weight 0 and the assistant never drawn
    assert 2.4 < counts["u1"] / counts["u2"] < 3.7
    assert bank.get("both").role == "both"


def test_bank_file_formats_and_relative_prompt_paths(tmp_path: Path) -> None:
    data = {
        "assistant": "host",
        "voices": [
            {
                "id": "host",
                "backend": "piper",
                "role": "assistant",
                "params": {"length_scale": 1.1},
            },
            {
                "id": "guest",
                "backend": "kokoro",
                "params": {"voice": "jf_alpha"},
                "gender": "female",
            },
            {"id": "clone", "backend": "openai", "params": {"voice": "alloy"}},
        ],
    }
    (tmp_path / "bank.json").write_text(json.dumps(data))
    (tmp_path / "bank.yaml").write_text(yaml.safe_dump(data))
    a, b = (
        load_voice_bank(str(tmp_path / "bank.json")),
        load_voice_bank(str(tmp_path / "bank.yaml")),
    )
    assert [v.id for v in a.voices] == [v.id for v in b.voices] == ["host", "guest", "clone"]
    (tmp_path / "p.wav").write_bytes(b"")
    cloned = parse_voice_bank(
        {
            "assistant": "h",
            "voices": [
                {"id": "h", "backend": "espeak", "role": "assistant"},
                {"id": "c", "backend": "cosyvoice", "prompt_wav": "p.wav", "prompt_text": "Hi."},
            ],
        },
        base_dir=tmp_path,
    )
    assert cloned.get("c").prompt_wav == str((tmp_path / "p.wav").resolve())
    assert cloned.get("c").engine_params() == {
        "prompt_wav": str((tmp_path / "p.wav").resolve()),
        "prompt_text": "Hi.",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"voices": [{"id": "a", "backend": "festival"}]}, "festival"),
        ({"assistant": "zz"}, "assistant voice 'zz'"),
        ({"voices": [{"id": "a", "backend": "espeak", "role": "assistant"}]}, "no user voices"),
        (
            {"voices": [{"id": "a", "backend": "espeak"}, {"id": "a", "backend": "espeak"}]},
            "duplicate",
        ),
        (
            {
                "voices": [
                    {"id": "a", "backend": "espeak"},
                    {"id": "u", "backend": "espeak", "weight": -1},
                ]
            },
            "weight",
        ),
        (
            {
                "voices": [
                    {"id": "a", "backend": "espeak"},
                    {"id": "u", "backend": "kokoro", "params": {"voice": "zz"}},
                ]
            },
            "voice 'u'.*unknown kokoro voice",
        ),
        (
            {
                "voices": [
                    {"id": "a", "backend": "espeak"},
                    {"id": "u", "backend": "espeak", "colour": 1},
                ]
            },
            "unknown key",
        ),
        (
            {"voices": [{"id": "a", "backend": "espeak"}, {"id": "u", "backend": "cosyvoice"}]},
            "prompt_wav",
        ),
        ({"extra": 1}, "top-level"),
    ],
)
def test_bank_errors_name_the_voice_and_problem(change: dict, message: str) -> None:
    data = {
        "assistant": "a",
        "voices": [{"id": "a", "backend": "espeak"}, {"id": "u", "backend": "espeak"}],
    }
    data.update(change)
    with pytest.raises(ValueError, match=message):
        parse_voice_bank(data)


def test_missing_bank_file_says_what_exists() -> None:
    with pytest.raises(ValueError, match="default, espeak"):
        load_voice_bank("/nonexistent/bank.yaml")
