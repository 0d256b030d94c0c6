"""Each offline engine on real synthesized speech: duration, non-silence, word timings."""

from __future__ import annotations

import numpy as np
import pytest

from duplexsynth.synth.backends import BACKEND_NAMES, backend_class
from duplexsynth.synth.backends.base import TTSError, TTSResult

SENTENCE = "I was in the house of a friend, and he said it's 5:30 — time to go!"


def check_speech(result: TTSResult, text: str, min_s: float, max_s: float) -> None:
    audio = result.audio
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert np.all(np.isfinite(audio))
    assert min_s <= result.duration_s <= max_s, result.duration_s
    # not silence: most 50 ms frames of the middle carry energy
    frames = audio[: len(audio) // 1000 * 1000].reshape(-1, 1000)
    active = np.mean(np.sqrt(np.mean(frames**2, axis=1)) > 0.01)
    assert active > 0.5, active
    tokens = text.split()
    assert result.words is not None and len(result.words) == len(tokens)
    assert [w for w, _, _ in result.words] == tokens
    prev_end = 0.0
    for _, start, end in result.words:
        assert 0.0 <= start <= end <= result.duration_s + 1e-6
        assert start >= prev_end - 1e-6  # ordered, no overlap
        prev_end = end
    spoken = [(w, s, e) for w, s, e in result.words if any(c.isalnum() for c in w)]
    assert all(e - s > 0.03 for _, s, e in spoken), spoken  # every real word takes time
    assert spoken[-1][2] > 0.6 * result.duration_s  # timings cover the utterance


def test_registry_knows_every_backend() -> None:
    assert {backend_class(n).name for n in BACKEND_NAMES} == set(BACKEND_NAMES)
    with pytest.raises(ValueError, match="unknown TTS backend"):
        backend_class("festival")


def test_piper_real_speech_and_word_timings(piper_backend) -> None:
    result = piper_backend.synthesize(SENTENCE, {})
    assert result.sample_rate == 22050
    check_speech(result, SENTENCE, 3.0, 9.0)
    words = dict((w, (s, e)) for w, s, e in result.words)
    # espeak joins "in the" into one phoneme word; the alignment still splits it
    assert words["in"][1] <= words["the"][0] + 1e-6 and words["the"][1] > words["the"][0]
    assert words["—"][0] == words["—"][1]  # a dash speaks nothing
    assert words["5:30"][1] - words["5:30"][0] > 0.3  # "five thirty"


def test_piper_is_deterministic_and_honours_length_scale(piper_backend) -> None:
    a = piper_backend.synthesize("Hello there, nice to meet you.", {})
    b = piper_backend.synthesize("Hello there, nice to meet you.", {})
    assert np.array_equal(a.audio, b.audio)
    slow = piper_backend.synthesize("Hello there, nice to meet you.", {"length_scale": 1.4})
    assert slow.duration_s > 1.2 * a.duration_s


def test_say_fixture_times_every_token(say) -> None:
    audio, sr, words = say("Well, I think the answer is 42, right?")
    assert sr == 22050 and audio.dtype == np.float32
    assert [w for w, _, _ in words] == "Well, I think the answer is 42, right?".split()
    starts = [s for _, s, _ in words]
    assert starts == sorted(starts) and words[-1][2] <= len(audio) / sr
    assert len({round(e - s, 3) for _, s, e in words}) > 3  # not even spacing


def test_espeak_real_speech_variants_and_determinism(espeak_backend) -> None:
    result = espeak_backend.synthesize(SENTENCE, {"voice": "en-gb-x-rp", "variant": "f2"})
    check_speech(result, SENTENCE, 2.5, 9.0)
    again = espeak_backend.synthesize(SENTENCE, {"voice": "en-gb-x-rp", "variant": "f2"})
    assert np.array_equal(result.audio, again.audio)
    male = espeak_backend.synthesize(SENTENCE, {"voice": "en-us", "variant": "m3"})
    assert not np.array_equal(male.audio[:1000], result.audio[:1000])
    fast = espeak_backend.synthesize(SENTENCE, {"voice": "en-us", "variant": "m3", "rate": 260})
    assert fast.duration_s < 0.85 * male.duration_s


def test_espeak_rejects_unknown_voice_and_params(espeak_backend) -> None:
    with pytest.raises(TTSError, match="no voice"):
        espeak_backend.synthesize("Hello.", {"voice": "xx-nowhere"})
    with pytest.raises(ValueError, match="speed"):
        espeak_backend.synthesize("Hello.", {"speed": 2})


@pytest.mark.slow
def test_kokoro_blend_real_speech_and_word_timings(kokoro_backend) -> None:
    text = "Oh wow, that sounds like a lovely plan for the weekend."
    blend = {"blend": {"jm_kumo": 0.6, "jf_alpha": 0.4}}
    result = kokoro_backend.synthesize(text, blend)
    assert result.sample_rate == 24000
    check_speech(result, text, 2.0, 7.0)
    short = kokoro_backend.synthesize("Okay.", {"voice": "jm_kumo"})
    assert np.array_equal(
        short.audio, kokoro_backend.synthesize("Okay.", {"voice": "jm_kumo"}).audio
    )
    pure = kokoro_backend.style({"voice": "jm_kumo"})
    mixed = kokoro_backend.style(blend)
    alpha = kokoro_backend.style({"voice": "jf_alpha"})
    assert np.allclose(mixed, 0.6 * pure + 0.4 * alpha, atol=1e-6)


def test_kokoro_validates_voices_without_loading() -> None:
    cls = backend_class("kokoro")
    cls.validate_params({"voice": "jf_alpha", "speed": 1.1})
    with pytest.raises(ValueError, match="unknown kokoro voice"):
        cls.validate_params({"voice": "af_heart"})
    with pytest.raises(ValueError, match="exactly one"):
        cls.validate_params({"voice": "jf_alpha", "blend": {"jm_kumo": 1}})
    with pytest.raises(ValueError, match="weights"):
        cls.validate_params({"blend": {"jm_kumo": -1}})
    with pytest.raises(ValueError, match="speed"):
        cls.validate_params({"voice": "jf_alpha", "speed": 3})
