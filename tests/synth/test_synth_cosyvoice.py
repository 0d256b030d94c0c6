"""CosyVoice adapter against a faithful fake of the CosyVoice checkout (tests/synth/fake_cosyvoice,
passed as --cosyvoice-repo): each mismatch of issue 16 has a test here that the old adapter
failed. A real run happens when DUPLEXSYNTH_COSYVOICE_MODEL points at weights."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from duplexsynth.synth.backends.base import BackendUnavailable, TTSError
from duplexsynth.synth.backends.cosyvoice import (
    CosyVoiceBackend,
    check_model_dir,
    instruct_prompt,
    model_generation,
    prompt_transcript,
    to_numpy,
)
from duplexsynth.synth.backends.cosyvoice_files import load_prompt_audio, required_files

FAKE_REPO = Path(__file__).parent / "fake_cosyvoice"
TEXT = "The weather is lovely today, so let us go for a walk."


@pytest.fixture(scope="module")
def prompt(tmp_path_factory, say) -> tuple[str, str]:
    """A 3-second cloning prompt made with Piper (22.05 kHz), and its transcript."""
    text = "Hello, this is my voice, recorded for 1 short cloning prompt today."
    audio, sr, _ = say(text)
    path = tmp_path_factory.mktemp("prompt") / "prompt.wav"
    sf.write(path, audio, sr)
    return str(path), text


@pytest.fixture(scope="module")
def short_prompt(tmp_path_factory, say) -> tuple[str, str]:
    text = "Sure, go on."
    audio, sr, _ = say(text)
    path = tmp_path_factory.mktemp("short") / "short.wav"
    sf.write(path, np.concatenate([audio, np.zeros(sr // 2, np.float32)]), sr)
    return str(path), text


@pytest.fixture
def fake_repo():
    """The fake checkout's path; its modules are forgotten afterwards."""
    yield str(FAKE_REPO)
    for name in [m for m in sys.modules if m == "cosyvoice" or m.startswith("cosyvoice.")]:
        del sys.modules[name]
    for p in (str(FAKE_REPO), str(FAKE_REPO / "third_party" / "Matcha-TTS")):
        while p in sys.path:
            sys.path.remove(p)


def model_dir(root: Path, generation: int, skip: tuple[str, ...] = ()) -> str:
    """A model folder with every file the version-``generation`` loader opens, minus ``skip``."""
    root.mkdir(parents=True, exist_ok=True)
    for name in required_files(generation):
        if name in skip:
            continue
        if name.endswith("/"):
            (root / name).mkdir(exist_ok=True)
        else:
            (root / name).write_text("x")
    return str(root)


def backend(tmp_path: Path, fake_repo: str, generation: int = 2) -> CosyVoiceBackend:
    b = CosyVoiceBackend(
        model_dir=model_dir(tmp_path / f"v{generation}", generation), repo_dir=fake_repo
    )
    b.load()
    return b


# ----------------------------------------------------------------------- 1. instruct voices
@pytest.mark.parametrize("generation", [2, 3])
def test_instruct_voice_speaks_only_the_text(prompt, tmp_path, fake_repo, generation) -> None:
    wav, text = prompt
    b = backend(tmp_path, fake_repo, generation)
    params = {"prompt_wav": wav, "prompt_text": text, "instruct": "Speak slowly and calmly."}
    b.synthesize("Sure, I can help with that today.", params)  # zero-shot speaker of the
    b.synthesize(TEXT, {"prompt_wav": wav, "prompt_text": text})  # same wav registered too
    b.synthesize(TEXT, params)
    call = b._model.calls[-1]
    assert call["mode"] == "instruct2"
    assert call["spoken"] == TEXT  # the transcript is not read aloud
    expected = (
        "Speak slowly and calmly."
        if generation == 2
        else "You are a helpful assistant. Speak slowly and calmly."
    )
    assert call["instruction"] == expected
    assert call["prompt_text"] == instruct_prompt("Speak slowly and calmly.", generation)
    assert call["voice"] == wav  # the prompt audio still gives the voice


# ----------------------------------------------------------------------- 2. prompt loading
def test_prompt_audio_is_loaded_without_torchaudio(prompt, tmp_path, fake_repo) -> None:
    wav, text = prompt
    b = backend(tmp_path, fake_repo)
    result = b.synthesize(TEXT, {"prompt_wav": wav, "prompt_text": text})
    assert result.sample_rate == 24000 and result.duration_s > 1.0
    feat = next(iter(b._model.frontend.spk2info.values()))["prompt_speech_feat"]
    info = sf.info(wav)
    assert feat.shape == (1, round(info.frames * 24000 / info.samplerate))


def test_load_prompt_audio_resamples_and_keeps_the_16k_floor(tmp_path) -> None:
    stereo = tmp_path / "st.wav"
    t = np.arange(44100 * 2) / 44100
    sf.write(stereo, np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1).astype(np.float32), 44100)
    out = load_prompt_audio(str(stereo), 16000)
    # a torch tensor when torch is already loaded (as inside CosyVoice), else numpy
    assert type(out).__module__.split(".")[0] == ("torch" if "torch" in sys.modules else "numpy")
    out = np.asarray(out)
    assert out.shape == (1, 32000) and out.dtype == np.float32
    assert 0.6 < float(np.abs(out).max()) < 1.05  # the sine survived downmix + resampling
    low = tmp_path / "low.wav"
    sf.write(low, np.zeros(8000 * 2, np.float32), 8000)
    with pytest.raises(ValueError, match="at least 16000 Hz"):
        load_prompt_audio(str(low), 24000)
    assert tuple(load_prompt_audio(str(low), 8000).shape) == (1, 16000)  # no resampling: no floor


def test_preflight_registers_a_real_speaker(prompt, tmp_path, fake_repo) -> None:
    from duplexsynth.synth.config import SynthConfig
    from duplexsynth.synth.engine import preflight, shared_backend
    from duplexsynth.synth.voices import parse_voice_bank

    wav, text = prompt
    bank = parse_voice_bank(
        {
            "assistant": "a",
            "voices": [
                {
                    "id": "a",
                    "backend": "cosyvoice",
                    "role": "assistant",
                    "prompt_wav": wav,
                    "prompt_text": text,
                },
                {"id": "u", "backend": "espeak"},
            ],
        }
    )
    good = SynthConfig(cosyvoice_model=model_dir(tmp_path / "ok", 2), cosyvoice_repo=fake_repo)
    preflight(good, bank)
    model = shared_backend("cosyvoice", good)._model
    assert len(model.frontend.spk2info) == 1  # the prompt went through the frontend
    broken = SynthConfig(cosyvoice_model=model_dir(tmp_path / "no-llm", 2, skip=("llm.pt",)))
    with pytest.raises(ValueError, match="missing llm.pt"):
        preflight(broken, bank)


# ------------------------------------------------------------------------ 4. version 1
def test_version_1_models_are_refused_up_front(tmp_path, fake_repo) -> None:
    d = tmp_path / "v1"
    d.mkdir()
    for name in (
        "cosyvoice.yaml",
        "llm.pt",
        "flow.pt",
        "hift.pt",
        "campplus.onnx",
        "speech_tokenizer_v1.onnx",
    ):
        (d / name).write_text("x")
    with pytest.raises(ValueError, match="version 1"):
        model_generation(d)
    with pytest.raises(BackendUnavailable, match="versions 2 and 3 only"):
        CosyVoiceBackend(model_dir=str(d), repo_dir=fake_repo).load()
    assert "cosyvoice.cli.cosyvoice" not in sys.modules  # refused before importing CosyVoice


# -------------------------------------------------------------- 5. loading errors, one line
@pytest.mark.parametrize("missing", ["llm.pt", "CosyVoice-BlankEN/", "speech_tokenizer_v3.onnx"])
def test_missing_model_files_fail_in_one_line(tmp_path, fake_repo, missing) -> None:
    d = model_dir(tmp_path / "m", 3, skip=(missing,))
    with pytest.raises(BackendUnavailable) as info:
        CosyVoiceBackend(model_dir=d, repo_dir=fake_repo).load()
    message = str(info.value)
    assert "\n" not in message and missing in message and "incomplete" in message
    with pytest.raises(ValueError, match="missing"):
        check_model_dir(d)


def test_errors_raised_inside_cosyvoice_loading_are_one_line(
    tmp_path, fake_repo, monkeypatch
) -> None:
    b = CosyVoiceBackend(model_dir=model_dir(tmp_path / "m", 2), repo_dir=fake_repo)
    sys.path.insert(0, fake_repo)
    import cosyvoice.cli.cosyvoice as cv

    def broken(**kwargs):
        raise AssertionError("do not use m for CosyVoice2 initialization!\nmore detail")

    monkeypatch.setattr(cv, "AutoModel", broken)
    with pytest.raises(BackendUnavailable) as info:
        b.load()
    assert str(info.value).endswith("AssertionError: do not use m for CosyVoice2 initialization!")


def test_prompt_transcript_is_normalised_like_text(prompt, tmp_path, fake_repo) -> None:
    wav, text = prompt
    for generation in (2, 3):
        b = backend(tmp_path, fake_repo, generation)
        b.synthesize(TEXT, {"prompt_wav": wav, "prompt_text": "I paid $5 for 2 coffees."})
        registered = next(iter(b._model.frontend.spk2info.values()))["prompt_text"]
        assert registered.endswith("I paid five dollars for two coffees.")
        assert registered == prompt_transcript("I paid $5 for 2 coffees.", generation)
        assert registered.startswith("You are a helpful assistant.<|endofprompt|>") == (
            generation == 3
        )
        assert b._model.calls[-1]["spoken"] == TEXT


def test_backchannels_use_the_short_prompt(
    prompt, short_prompt, tmp_path, fake_repo, caplog
) -> None:
    wav, text = prompt
    swav, stext = short_prompt
    b = backend(tmp_path, fake_repo)
    voice = {
        "prompt_wav": wav,
        "prompt_text": text,
        "short_prompt_wav": swav,
        "short_prompt_text": stext,
    }
    b.synthesize("Mhm.", voice)
    assert b._model.calls[-1]["voice"] == swav and b._model.calls[-1]["spoken"] == "Mhm."
    b.synthesize(TEXT, voice)
    assert b._model.calls[-1]["voice"] == wav
    with caplog.at_level(logging.WARNING, logger="duplexsynth.synth.cosyvoice"):
        b.synthesize("Mhm.", {"prompt_wav": wav, "prompt_text": text})
        b.synthesize("Yeah.", {"prompt_wav": wav, "prompt_text": text})
    warnings = [r for r in caplog.records if "short_prompt_wav" in r.getMessage()]
    assert len(warnings) == 1  # once per voice, naming the fix
    with pytest.raises(ValueError, match="go together"):
        CosyVoiceBackend.validate_params(
            {"prompt_wav": wav, "prompt_text": text, "short_prompt_wav": swav}
        )


# -------------------------------------------------------------- speaker cache, long text
def test_speaker_registered_once_and_long_text_chunks_concatenate(
    prompt, tmp_path, fake_repo
) -> None:
    wav, text = prompt
    b = backend(tmp_path, fake_repo, 3)
    params = {"prompt_wav": wav, "prompt_text": text}
    long_text = " ".join([TEXT] * 8)  # 96 words: the frontend splits it into pieces
    result = b.synthesize(long_text, params)
    pieces = b._model.calls
    assert len(pieces) >= 2 and " ".join(c["spoken"] for c in pieces) == long_text
    assert result.duration_s == pytest.approx(
        sum(len(c["spoken"]) * 0.06 for c in pieces), abs=0.01
    )
    b.synthesize("Again, please.", {**params, "speed": 1.25})
    assert len(b._model.frontend.spk2info) == 1
    assert b._model.calls[-1]["speed"] == 1.25 and b._model.calls[-1]["stream"] is False
    assert all(c["speech_prompt"] for c in b._model.calls)


def test_synthesis_errors_become_tts_errors(prompt, tmp_path, fake_repo) -> None:
    wav, text = prompt
    b = backend(tmp_path, fake_repo, 3)
    b._model.inference_zero_shot = lambda *a, **k: iter(())
    with pytest.raises(TTSError, match="no audio"):
        b.synthesize("Hi there.", {"prompt_wav": wav, "prompt_text": text})


# ------------------------------------------------------------------------------- served
def test_cosyvoice_served_over_the_openai_route(prompt, tmp_path, fake_repo) -> None:
    """serve-tts in front of CosyVoice voices, reached by the pipeline's openai backend."""
    from duplexsynth.synth.backends.openai_speech import OpenAISpeechBackend
    from duplexsynth.synth.config import SynthConfig
    from duplexsynth.synth.engine import shared_backend
    from duplexsynth.synth.serve import SpeechService, start_in_thread
    from duplexsynth.synth.voices import parse_voice_bank

    wav, text = prompt
    voice = {"backend": "cosyvoice", "prompt_wav": wav, "prompt_text": text}
    bank = parse_voice_bank(
        {
            "assistant": "alice",
            "voices": [
                {"id": "alice", "role": "assistant", **voice},
                {"id": "carol", **voice, "params": {"instruct": "Speak slowly and calmly."}},
            ],
        }
    )
    config = SynthConfig(cosyvoice_model=model_dir(tmp_path / "m", 3), cosyvoice_repo=fake_repo)
    srv = start_in_thread(SpeechService(config, bank))
    try:
        client = OpenAISpeechBackend(base_url=f"http://127.0.0.1:{srv.server_port}/v1")
        result = client.synthesize(TEXT, {"voice": "carol", "speed": 1.25})
    finally:
        srv.shutdown()
        srv.server_close()
    call = shared_backend("cosyvoice", config)._model.calls[-1]
    assert call["mode"] == "instruct2" and call["spoken"] == TEXT and call["speed"] == 1.25
    assert result.sample_rate == 24000
    assert result.duration_s == pytest.approx(len(TEXT) * 0.06 / 1.25, abs=0.01)


# ------------------------------------------------------------------ install and validation
def test_missing_model_dir_and_missing_package_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="--cosyvoice-model"):
        CosyVoiceBackend(model_dir=None).load()
    with pytest.raises(ValueError, match="not a directory"):
        model_generation(tmp_path / "nope")
    with pytest.raises(ValueError, match="cosyvoice2.yaml"):
        model_generation(tmp_path)
    d = model_dir(tmp_path / "m", 2)
    assert model_generation(d) == 2
    if "cosyvoice" in sys.modules or _importable("cosyvoice"):
        pytest.skip("CosyVoice is installed here; the install guard cannot trigger")
    with pytest.raises(BackendUnavailable, match="missing module 'cosyvoice'.*docs/cosyvoice.md"):
        CosyVoiceBackend(model_dir=d).load()


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
    with pytest.raises(ValueError, match="special token"):
        CosyVoiceBackend.validate_params(
            {"prompt_wav": wav, "prompt_text": text, "instruct": "Be calm.<|endofprompt|>"}
        )
    low = tmp_path / "low.wav"
    sf.write(low, np.zeros(8000 * 3, np.float32), 8000)
    with pytest.raises(ValueError, match="16 kHz"):
        CosyVoiceBackend.check_prompt(str(low))
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(1600, np.float32), 16000)
    with pytest.raises(ValueError, match="lasts"):
        CosyVoiceBackend.check_prompt(str(short))


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
    b = CosyVoiceBackend(
        model_dir=os.environ["DUPLEXSYNTH_COSYVOICE_MODEL"],
        repo_dir=os.environ.get("DUPLEXSYNTH_COSYVOICE_REPO"),
    )
    b.load()
    params = {"prompt_wav": wav, "prompt_text": text}
    result = b.synthesize(TEXT, params)
    assert result.sample_rate in (22050, 24000)
    assert 1.5 < result.duration_s < 10.0
    assert float(np.sqrt(np.mean(result.audio**2))) > 0.01
    again = b.synthesize(TEXT, params)
    assert np.array_equal(result.audio, again.audio)  # torch seeded per (voice, text)
    styled = b.synthesize(TEXT, {**params, "instruct": "Speak slowly and calmly."})
    assert 1.5 < styled.duration_s < 12.0  # not the transcript read first
