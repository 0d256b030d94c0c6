"""AlignConfig: defaults, dict round trip, unknown keys and bad values named."""

from __future__ import annotations

import pytest

from duplexsynth.align.config import AlignConfig


def test_defaults_are_the_offline_path() -> None:
    c = AlignConfig()
    assert c.backend == "tts" and c.fallback == "faster-whisper"
    assert c.asr_backend == "faster-whisper"
    assert c.model_for("faster-whisper") == "bundled:tiny.en"
    assert c.model_for("whisper-timestamped") == "medium"


def test_round_trip_and_spelling_variants() -> None:
    c = AlignConfig.from_dict({"backend": "Whisper_Timestamped", "whisper_model": "/m/tiny.pt"})
    assert c.backend == "whisper-timestamped"
    assert c.asr_backend == "whisper-timestamped"
    assert c.model_for("whisper-timestamped") == "/m/tiny.pt"
    assert AlignConfig.from_dict(c.to_dict()) == c


def test_fallback_none_means_no_recogniser() -> None:
    assert AlignConfig(fallback="none").asr_backend is None


@pytest.mark.parametrize(
    "values, match",
    [
        ({"backendd": "tts"}, "unknown align option.*backendd"),
        ({"backend": "wav2vec"}, "align.backend"),
        ({"fallback": "tts"}, "align.fallback"),
        ({"min_match_ratio": 1.5}, "align.min_match_ratio"),
        ({"overlap_tolerance_s": -1}, "align.overlap_tolerance_s"),
        ({"beam_size": 0}, "align.beam_size"),
        ({"vad_method": "webrtc"}, "align.vad_method"),
        ({"silence_db": 3}, "align.silence_db"),
        ({"language": ""}, "align.language"),
    ],
)
def test_bad_values_are_named(values, match) -> None:
    with pytest.raises(ValueError, match=match):
        AlignConfig.from_dict(values)
