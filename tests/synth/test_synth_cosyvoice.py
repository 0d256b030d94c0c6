"""CosyVoice adapter: install guard, model-dir and voice validation, output conversion with a
fake model object, and a real run when DUPLEXSYNTH_COSYVOICE_MODEL points at weights."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from duplexsynth.synth.backends.base import BackendUnavailable, TTSError
from duplexsynth.synth.backends.cosyvoice import (
    V3_PREFIX,
    CosyVoiceBackend,
    model_generation,
    to_numpy,
)


@pytest.fixture(scope="module")
def prompt(tmp_path_factory, say) -> tuple[str, str]:
    """A 3-second cloning prompt made with Piper, and its transcript."""
    text = "Hello, this is my voice, recorded for a short cloning prompt today."
    audio, sr, _ = say(text)
    path = tmp_path_factory.mktemp("prompt") / "prompt.wav"
    sf.write(path, audio, sr)
    return str(path), text


class FakeCosyVoice:
    """Mimics CosyVoice2's inference API; yields one (1, n) chunk per sentence."""

    sample_rate = 24000

    def __init__(self) -> None:
        self.speakers: dict[str, tuple[str, str]] = {}
        self.calls: list[dict] = []

    def add_zero_shot_spk(self, prompt_text, prompt_wav, zero_shot_spk_id):
        self.speakers[zero_shot_spk_id] = (prompt_text, prompt_wav)
        return True

    def inference_zero_shot(
        self,
        tts_text,
        prompt_text,
        prompt_wav,
        zero_shot_spk_id="",
        stream=False,
        speed=1.0,
        text_frontend=True,
    ):
        self.calls.append(
            {"text": tts_text, "spk": zero_shot_spk_id, "speed": speed, "stream": stream}
        )
        for i, _sentence in enumerate(tts_text.split(".")[:-1] or [tts_text]):
            n = int(0.5 * self.sample_rate / speed)
            yield {
                "tts_speech": (0.2 * np.sin(np.arange(n) * 0.05 * (i + 1)))[None, :].astype(
                    np.float32
                )
            }


def test_missing_model_dir_and_missing_package_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="--cosyvoice-model"):
        CosyVoiceBackend(model_dir=None).load()
    with pytest.raises(ValueError, match="not a directory"):
        model_generation(tmp_path / "nope")
    with pytest.raises(ValueError, match="cosyvoice2.yaml"):
        model_generation(tmp_path)
    (tmp_path / "cosyvoice2.yaml").write_text("{}")
    assert model_generation(tmp_path) == 2
    if "cosyvoice" in sys.modules or _importable("cosyvoice"):
        pytest.skip("CosyVoice is installed here; the install guard cannot trigger")
    with pytest.raises(BackendUnavailable, match="git clone --recursive"):
        CosyVoiceBackend(model_dir=str(tmp_path)).load()


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_voice_validation(prompt, tmp_path: Path) -> None:
    wav, text = prompt
    CosyVoiceBackend.validate_params({"prompt_wav": wav, "prompt_text": text, "speed": 1.1})
    with pytest.raises(ValueError, match="prompt_wav"):
        CosyVoiceBackend.validate_params({"prompt_text": text})
    with pytest.raises(ValueError, match="does not exist"):
        CosyVoiceBackend.validate_params(
            {"prompt_wav": str(tmp_path / "x.wav"), "prompt_text": text}
        )
    with pytest.raises(ValueError, match="speed"):
        CosyVoiceBackend.validate_params({"prompt_wav": wav, "prompt_text": text, "speed": 9})
    with pytest.raises(ValueError, match="know|include"):
        CosyVoiceBackend.validate_params({"prompt_wav": wav, "prompt_text": text, "pitch": 3})
    low = tmp_path / "low.wav"
    sf.write(low, np.zeros(8000 * 3, np.float32), 8000)
    with pytest.raises(ValueError, match="16 kHz"):
        CosyVoiceBackend.check_prompt(str(low))
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(1600, np.float32), 16000)
    with pytest.raises(ValueError, match="lasts"):
        CosyVoiceBackend.check_prompt(str(short))


def test_output_conversion_with_injected_model(prompt) -> None:
    wav, text = prompt
    fake = FakeCosyVoice()
    backend = CosyVoiceBackend(model_dir=None, model=fake)
    backend.load()  # an injected model is used as is
    params = {"prompt_wav": wav, "prompt_text": text}
    result = backend.synthesize("First sentence. Second one. It costs $5.", params)
    assert result.sample_rate == 24000 and result.words is None
    assert result.audio.dtype == np.float32 and result.audio.ndim == 1
    assert len(result.audio) == 3 * 12000  # the three yielded chunks, concatenated in order
    # the prompt is registered once and reused by speaker id
    assert len(fake.speakers) == 1
    spk = next(iter(fake.speakers))
    assert fake.speakers[spk] == (text, wav)
    backend.synthesize("Again.", {**params, "speed": 1.25})
    assert len(fake.speakers) == 1
    assert [c["spk"] for c in fake.calls] == [spk, spk]
    assert fake.calls[0]["text"].endswith("five dollars.")  # numbers spelled out for the engine
    assert fake.calls[1]["speed"] == 1.25 and fake.calls[1]["stream"] is False


def test_v3_prompt_prefix_and_empty_output(prompt, tmp_path: Path) -> None:
    wav, text = prompt
    (tmp_path / "cosyvoice3.yaml").write_text("{}")
    fake = FakeCosyVoice()
    backend = CosyVoiceBackend(model_dir=str(tmp_path), model=fake)
    backend._generation = model_generation(tmp_path)
    backend.synthesize("Hi there.", {"prompt_wav": wav, "prompt_text": text})
    assert next(iter(fake.speakers.values()))[0] == V3_PREFIX + text
    assert "cosyvoice3" in backend.version()

    class Silent(FakeCosyVoice):
        def inference_zero_shot(self, *a, **k):
            return iter(())

    with pytest.raises(TTSError, match="no audio"):
        CosyVoiceBackend(model_dir=None, model=Silent()).synthesize(
            "Hi.", {"prompt_wav": wav, "prompt_text": text}
        )


def test_to_numpy_accepts_tensor_like_objects() -> None:
    class TensorLike:
        def __init__(self, a):
            self.a = a

        def detach(self):
            return self

        def cpu(self):
            return self

        def float(self):
            return self

        def numpy(self):
            return self.a

    out = to_numpy(TensorLike(np.ones((1, 5), np.float64)))
    assert out.dtype == np.float32 and out.shape == (1, 5)


@pytest.mark.needs_weights
@pytest.mark.skipif(
    not os.environ.get("DUPLEXSYNTH_COSYVOICE_MODEL"),
    reason="set DUPLEXSYNTH_COSYVOICE_MODEL to a CosyVoice2/3 model folder (and install CosyVoice)",
)
def test_real_cosyvoice_clones_the_prompt(prompt) -> None:
    wav, text = prompt
    backend = CosyVoiceBackend(
        model_dir=os.environ["DUPLEXSYNTH_COSYVOICE_MODEL"],
        repo_dir=os.environ.get("DUPLEXSYNTH_COSYVOICE_REPO"),
    )
    backend.load()
    params = {"prompt_wav": wav, "prompt_text": text}
    result = backend.synthesize("The weather is lovely today, so let us go for a walk.", params)
    assert result.sample_rate in (22050, 24000)
    assert 1.5 < result.duration_s < 10.0
    assert float(np.sqrt(np.mean(result.audio**2))) > 0.01
    again = backend.synthesize("The weather is lovely today, so let us go for a walk.", params)
    assert np.array_equal(result.audio, again.audio)  # torch seeded per (voice, text)
