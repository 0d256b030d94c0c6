"""Each backend: TTS timings, faster-whisper on real Piper speech, whisper-timestamped."""

from __future__ import annotations

import os

import numpy as np
import pytest

from duplexsynth.align.backends import make_asr_aligner
from duplexsynth.align.backends.tts import words_from_tts
from duplexsynth.align.backends.whisper_ts import WhisperTimestampedAligner
from duplexsynth.align.base import AlignmentError, tokens_of
from duplexsynth.align.config import AlignConfig
from duplexsynth.align.validate import validate_words
from duplexsynth.schemas.records import Word


# ---------------------------------------------------------------------------------- tts timings
def test_tts_timings_are_copied_token_for_token() -> None:
    tts = (Word("Hello,", 0.05, 0.4), Word("world.", 0.5, 0.9, 0.8))
    words = words_from_tts(tts, ["Hello,", "world."], 1.0)
    assert [(w.word, w.start_s, w.end_s, w.score, w.method) for w in words] == [
        ("Hello,", 0.05, 0.4, None, "tts"),
        ("world.", 0.5, 0.9, 0.8, "tts"),
    ]


def test_tts_words_on_other_boundaries_are_mapped_onto_the_tokens() -> None:
    # the engine normalised "42" to two words and dropped the punctuation
    tts = (Word("we", 0.0, 0.2), Word("have", 0.2, 0.4), Word("forty", 0.4, 0.7),
           Word("two", 0.7, 0.9), Word("cats", 0.9, 1.3))  # fmt: skip
    words = words_from_tts(tts, ["We", "have", "42", "cats."], 1.5)
    assert [w.word for w in words] == ["We", "have", "42", "cats."]
    assert (words[2].start_s, words[2].end_s) == pytest.approx((0.4, 0.9))
    assert {w.method for w in words} == {"tts"}


def test_missing_tts_timings_raise() -> None:
    with pytest.raises(AlignmentError, match="no TTS word timings"):
        words_from_tts(None, ["hi"], 1.0)


def test_tts_timings_from_real_piper_speech_validate(say) -> None:
    text = "Sure, it will be sunny with a high of 75 degrees."
    audio, sr, timed = say(text)
    tokens = tokens_of(text)
    words = words_from_tts(tuple(Word(w, s, e) for w, s, e in timed), tokens, len(audio) / sr)
    out, _ = validate_words(words, tokens, len(audio) / sr)
    assert [w.word for w in out] == tokens


# ------------------------------------------------------------------------------ faster-whisper
@pytest.mark.slow
def test_faster_whisper_on_real_speech_matches_piper_timing(say, fw_aligner) -> None:
    text = "Could you bring the blue folder with the garden plans tomorrow?"
    audio, sr, timed = say(text)
    words = fw_aligner.align(audio, sr, text)
    tokens = tokens_of(text)
    out, _ = validate_words(words, tokens, len(audio) / sr)
    assert [w.word for w in out] == tokens
    assert {w.method for w in out} <= {"faster_whisper", "interpolated"}
    heard = [w for w in out if w.method == "faster_whisper"]
    assert len(heard) >= len(tokens) - 1
    assert all(0.0 <= w.score <= 1.0 for w in heard)
    errors = [abs(w.start_s - s) for w, (_, s, _) in zip(out, timed)]
    assert float(np.median(errors)) < 0.1, errors  # Piper's own timing as the reference


@pytest.mark.slow
def test_faster_whisper_at_another_sample_rate_and_with_numbers(say, fw_aligner) -> None:
    from duplexsynth.audio import resample

    text = "We expect about 40 people at 3:30."
    audio, sr, timed = say(text)
    audio_24k = resample(audio, sr, 24000)
    words = fw_aligner.align(audio_24k, 24000, text)
    assert [w.word for w in words] == tokens_of(text)
    duration = len(audio_24k) / 24000
    assert all(0.0 <= w.start_s <= w.end_s <= duration for w in words)
    # "40" and "3:30" are recognised as digits or words: either way they are placed
    by_word = {w.word: w for w in words}
    assert by_word["40"].start_s == pytest.approx(timed[3][1], abs=0.15)


@pytest.mark.slow
def test_faster_whisper_cannot_hear_a_tone(fw_aligner) -> None:
    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with pytest.raises(AlignmentError):
        fw_aligner.align(tone, 16000, "the quick brown fox jumps over the lazy dog")


def test_faster_whisper_english_only_model_refuses_other_languages() -> None:
    aligner = make_asr_aligner(
        "faster-whisper", AlignConfig(backend="faster-whisper", language="de")
    )
    with pytest.raises(ValueError, match="English-only"):
        aligner.load()


def test_faster_whisper_bad_model_path_says_what_to_do(tmp_path) -> None:
    cfg = AlignConfig(backend="faster-whisper", whisper_model=str(tmp_path / "nope"))
    with pytest.raises(RuntimeError, match="CTranslate2 Whisper folder"):
        make_asr_aligner("faster-whisper", cfg).load()


# -------------------------------------------------------------------------- whisper-timestamped
class FakeWhisperTimestamped:
    """Stands in for the ``whisper_timestamped`` module: records calls, answers with given words."""

    __name__ = "fake_whisper_timestamped"

    def __init__(self, words: list[tuple[str, float, float]]) -> None:
        self.words = words
        self.loads: list[tuple] = []
        self.calls: list[dict] = []

    def load_model(self, name, device=None, download_root=None):
        self.loads.append((name, device, download_root))
        return {"model": name}

    def transcribe(self, model, audio, **kwargs):
        self.calls.append({"model": model, "samples": len(audio), **kwargs})
        return {
            "text": " ".join(w for w, _, _ in self.words),
            "segments": [
                {
                    "words": [
                        {"text": w, "start": s, "end": e, "confidence": 0.8}
                        for w, s, e in self.words
                    ]
                }
            ],
        }


def test_whisper_timestamped_loading_and_options_with_a_fake_module(say) -> None:
    text = "Great, thanks for the 2 tips!"
    audio, sr, timed = say(text)
    # the recogniser hears "two" as a digit and drops the final punctuation
    answer = [(" Great,", timed[0][1], timed[0][2]), (" thanks", timed[1][1], timed[1][2]),
              (" for", timed[2][1], timed[2][2]), (" the", timed[3][1], timed[3][2]),
              (" two", timed[4][1], timed[4][2]), (" tips", timed[5][1], timed[5][2])]  # fmt: skip
    fake = FakeWhisperTimestamped(answer)
    aligner = WhisperTimestampedAligner(
        "/models/medium.pt",
        device="cpu",
        download_root="/models",
        language="en",
        vad=True,
        vad_min_duration_s=0.5,
        module=fake,
        trim_to_sound=False,
    )
    aligner.load()
    aligner.load()  # idempotent
    words = aligner.align(audio, sr, text)
    assert fake.loads == [("/models/medium.pt", "cpu", "/models")]
    call = fake.calls[0]
    assert call["samples"] == pytest.approx(len(audio) * 16000 / sr, abs=2)
    assert call["language"] == "en" and call["vad"] == "silero"
    assert call["initial_prompt"] == text and call["temperature"] == 0.0
    assert call["fp16"] is False
    assert [w.word for w in words] == tokens_of(text)
    assert {w.method for w in words} == {"whisper_timestamped"}
    got = [t for w in words for t in (w.start_s, w.end_s)]
    assert got == pytest.approx([t for _, s, e in timed for t in (s, e)], abs=1e-3)
    assert all(w.score == pytest.approx(0.8, abs=0.01) for w in words[:4])


def test_whisper_timestamped_vad_only_on_long_clips(say) -> None:
    audio, sr, timed = say("Hello there.")
    fake = FakeWhisperTimestamped([(w, s, e) for w, s, e in timed])
    aligner = WhisperTimestampedAligner(
        "medium", vad=True, vad_min_duration_s=10.0, vad_method="auditok", module=fake
    )
    aligner.align(audio, sr, "Hello there.")
    assert fake.calls[0]["vad"] is False
    assert aligner.describe()["vad_method"] == "auditok"


def test_whisper_timestamped_missing_package_says_how_to_install(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_wt(name, *args, **kwargs):
        if name == "whisper_timestamped":
            raise ImportError("No module named 'whisper_timestamped'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wt)
    with pytest.raises(RuntimeError, match=r"pip install 'duplexsynth\[whisper\]'"):
        WhisperTimestampedAligner("medium").load()


def test_whisper_timestamped_load_failure_names_the_model() -> None:
    class Broken(FakeWhisperTimestamped):
        def load_model(self, name, device=None, download_root=None):
            raise OSError("no such file")

    with pytest.raises(RuntimeError, match="'missing.pt'.*local openai-whisper checkpoint"):
        WhisperTimestampedAligner("missing.pt", module=Broken([])).load()


@pytest.fixture(scope="session")
def wt_checkpoint(tmp_path_factory) -> str:
    """A local openai-format checkpoint: $DUPLEXSYNTH_WHISPER_TS_MODEL, else the bundled tiny.en
    converted from CTranslate2 (needs whisper-timestamped and torch: the ``whisper`` extra)."""
    pytest.importorskip(
        "whisper_timestamped",
        reason="whisper-timestamped not installed (pip install torch==2.13.0 'duplexsynth[whisper]')",
    )
    model = os.environ.get("DUPLEXSYNTH_WHISPER_TS_MODEL")
    if model:
        return model
    from duplexsynth.align.convert import convert_ct2_to_openai

    return str(convert_ct2_to_openai(None, tmp_path_factory.mktemp("wt") / "tiny.en.pt"))


@pytest.mark.slow
def test_whisper_timestamped_real_model(say, wt_checkpoint) -> None:
    text = "Could you bring the blue folder tomorrow?"
    audio, sr, timed = say(text)
    aligner = WhisperTimestampedAligner(wt_checkpoint, device="cpu")
    words = aligner.align(audio, sr, text)
    out, _ = validate_words(words, tokens_of(text), len(audio) / sr)
    assert {w.method for w in out} <= {"whisper_timestamped", "interpolated"}
    errors = [abs(w.start_s - s) for w, (_, s, _) in zip(out, timed)]
    assert float(np.median(errors)) < 0.08, errors


def test_ct2_checkpoint_is_read_and_renamed_for_openai_whisper() -> None:
    from duplexsynth.align.backends.faster_whisper import resolve_model
    from duplexsynth.align.convert import openai_state, read_ct2_variables

    variables = read_ct2_variables(os.path.join(resolve_model(None), "model.bin"))
    dims, state = openai_state(variables)
    assert dims == {
        "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 384, "n_audio_head": 6,
        "n_audio_layer": 4, "n_vocab": 51864, "n_text_ctx": 448, "n_text_state": 384,
        "n_text_head": 6, "n_text_layer": 4,
    }  # fmt: skip
    fused = variables["decoder/layer_2/self_attention/linear_0/weight"].astype(np.float32)
    assert np.array_equal(state["decoder.blocks.2.attn.value.weight"], fused[768:])
    kv = variables["decoder/layer_0/attention/linear_1/weight"].astype(np.float32)
    assert np.array_equal(state["decoder.blocks.0.cross_attn.key.weight"], kv[:384])
    assert "encoder.blocks.0.attn.key.bias" not in state  # Whisper's key projection has no bias
    assert state["encoder.blocks.3.attn.query.bias"].shape == (384,)
    assert all(a.dtype == np.float32 for a in state.values())
    assert len([k for k in state if k.startswith("decoder.blocks.0.")]) == 24
