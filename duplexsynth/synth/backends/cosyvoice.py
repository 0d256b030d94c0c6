"""CosyVoice 2/3 backend: zero-shot voice cloning from a prompt wav and its transcript.

Loads a local model directory (``--cosyvoice-model DIR``, e.g. ``pretrained_models/CosyVoice2-0.5B``
or ``Fun-CosyVoice3-0.5B``) with CosyVoice's own API (``cosyvoice.cli.cosyvoice.AutoModel``,
falling back to ``CosyVoice2`` on older checkouts), on the GPU when torch sees one. Each voice of
the bank gives ``prompt_wav`` + ``prompt_text``; the prompt's features are extracted once per
voice (``add_zero_shot_spk``) and reused for every utterance. CosyVoice samples speech tokens
with torch's RNG, so every utterance seeds torch from a hash of (voice, text): the same text in
the same voice gives the same audio (on the same hardware and library versions).

CosyVoice is not on PyPI (the ``cosyvoice`` package there is an unofficial repack that downloads
weights at run time): install it from its repository, see the README. This module imports it
only in :meth:`CosyVoiceBackend.load`, so the rest of duplexsynth works without it.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

from duplexsynth.synth.backends.base import (
    BackendUnavailable,
    TTSBackend,
    TTSError,
    TTSResult,
    float_audio,
)
from duplexsynth.synth.textnorm import speakable

INSTALL_HINT = (
    "CosyVoice is not importable. Install it from its repository (it is not on PyPI):\n"
    "  pip install torch==2.13.0 torchaudio   # or a CUDA build on a GPU machine\n"
    "  git clone --recursive https://github.com/FunAudioLLM/CosyVoice.git\n"
    "  pip install -e '.[cosyvoice]'           # duplexsynth's extra: CosyVoice's PyPI needs\n"
    "then pass --cosyvoice-repo PATH/TO/CosyVoice (or put it and its third_party/Matcha-TTS on "
    "PYTHONPATH), and --cosyvoice-model PATH/TO/pretrained_models/CosyVoice2-0.5B"
)
#: CosyVoice 3 expects a system prompt in front of the prompt transcript
V3_PREFIX = "You are a helpful assistant.<|endofprompt|>"
_CONFIG_FILES = {"cosyvoice2.yaml": 2, "cosyvoice3.yaml": 3, "cosyvoice.yaml": 1}


def model_generation(model_dir: str | os.PathLike[str]) -> int:
    """1, 2 or 3 from the config file in ``model_dir``; ``ValueError`` when it is not a model dir.

    Checked before CosyVoice sees the path: given a missing directory, CosyVoice would try to
    download the name from ModelScope, which an offline worker must never do.
    """
    path = Path(model_dir)
    if not path.is_dir():
        raise ValueError(f"--cosyvoice-model {str(path)!r} is not a directory")
    for name, gen in _CONFIG_FILES.items():
        if (path / name).is_file():
            return gen
    raise ValueError(
        f"--cosyvoice-model {str(path)!r} holds none of {', '.join(_CONFIG_FILES)}: point it at a "
        "downloaded CosyVoice model folder (e.g. pretrained_models/CosyVoice2-0.5B)"
    )


class CosyVoiceBackend(TTSBackend):
    """Voice params: ``prompt_wav`` (path, >= 16 kHz), ``prompt_text`` (its transcript),
    ``speed`` (default 1.0), optional ``instruct`` (CosyVoice 2/3 instruction, e.g. a speaking
    style; uses ``inference_instruct2``)."""

    name = "cosyvoice"
    param_keys = frozenset({"prompt_wav", "prompt_text", "speed", "instruct"})

    def __init__(
        self,
        model_dir: str | None,
        repo_dir: str | None = None,
        fp16: bool = False,
        model: Any = None,
    ) -> None:
        """``model``: an already built CosyVoice object (tests inject a fake one here)."""
        self.model_dir = model_dir
        self.repo_dir = repo_dir
        self.fp16 = fp16
        self._model = model
        self._generation = 2
        self._speakers: dict[str, str] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------ loading
    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not self.model_dir:
                raise BackendUnavailable(
                    "the voice bank uses CosyVoice voices but no model was given: pass "
                    "--cosyvoice-model DIR (a downloaded CosyVoice2-0.5B or Fun-CosyVoice3-0.5B folder)"
                )
            self._generation = model_generation(self.model_dir)
            if self.repo_dir:
                for p in (Path(self.repo_dir) / "third_party" / "Matcha-TTS", Path(self.repo_dir)):
                    if str(p) not in sys.path:
                        sys.path.insert(0, str(p))
            try:
                from cosyvoice.cli import cosyvoice as cv
            except ImportError as exc:
                raise BackendUnavailable(f"{INSTALL_HINT}\n(import error: {exc})") from exc
            kwargs: dict[str, Any] = {"model_dir": str(self.model_dir)}
            if self.fp16:
                kwargs["fp16"] = True
            if hasattr(cv, "AutoModel"):
                self._model = cv.AutoModel(**kwargs)
            elif self._generation == 2:
                self._model = cv.CosyVoice2(**kwargs)
            else:
                raise BackendUnavailable(
                    f"this CosyVoice checkout has no AutoModel and cannot load a version "
                    f"{self._generation} model: update the CosyVoice repository"
                )

    def version(self) -> str:
        gen = self._generation
        if self.model_dir and Path(self.model_dir).is_dir():
            gen = model_generation(self.model_dir)
        name = Path(self.model_dir).name if self.model_dir else "injected"
        return f"cosyvoice{gen} {name}"

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> None:
        super().validate_params(params)
        wav, text = params.get("prompt_wav"), params.get("prompt_text")
        if not wav or not text or not str(text).strip():
            raise ValueError(
                "a cosyvoice voice needs prompt_wav (a file) and prompt_text (its transcript)"
            )
        if not Path(wav).is_file():
            raise ValueError(f"cosyvoice prompt_wav {str(wav)!r} does not exist")
        speed = float(params.get("speed", 1.0))
        if not 0.5 <= speed <= 2.0:
            raise ValueError(f"cosyvoice speed must be within 0.5-2.0, got {speed}")

    @staticmethod
    def check_prompt(path: str) -> None:
        """``ValueError`` unless ``path`` is readable audio at >= 16 kHz lasting 1-30 s."""
        import soundfile as sf

        try:
            info = sf.info(path)
        except Exception as exc:
            raise ValueError(f"cosyvoice prompt_wav {path!r} is not readable audio: {exc}") from exc
        if info.samplerate < 16000:
            raise ValueError(
                f"cosyvoice prompt_wav {path!r} is {info.samplerate} Hz; CosyVoice needs >= 16 kHz"
            )
        if not 1.0 <= info.duration <= 30.0:
            raise ValueError(
                f"cosyvoice prompt_wav {path!r} lasts {info.duration:.1f}s; use a 3-15 s clip"
            )

    # ---------------------------------------------------------------------------- synthesis
    def _prompt_text(self, text: str) -> str:
        if self._generation >= 3 and "<|endofprompt|>" not in text:
            return V3_PREFIX + text
        return text

    def _prompt_arg(self, fn, path: str):
        """A wav path for current CosyVoice; a 16 kHz tensor for checkouts before the switch."""
        params = inspect.signature(fn).parameters
        if "prompt_speech_16k" in params:
            from cosyvoice.utils.file_utils import load_wav

            return load_wav(path, 16000)
        return path

    def _speaker(self, params: dict[str, Any]) -> str:
        """Register the voice's prompt once (``add_zero_shot_spk``); returns its speaker id."""
        wav, text = str(params["prompt_wav"]), str(params["prompt_text"])
        key = hashlib.sha256(f"{wav}\x1f{text}".encode()).hexdigest()[:16]
        if key not in self._speakers:
            self.check_prompt(wav)
            add = getattr(self._model, "add_zero_shot_spk", None)
            if add is None:
                self._speakers[key] = ""  # old API: pass the prompt every time
            else:
                add(self._prompt_text(text), self._prompt_arg(add, wav), f"duplexsynth-{key}")
                self._speakers[key] = f"duplexsynth-{key}"
        return self._speakers[key]

    def synthesize(self, text: str, params: dict[str, Any]) -> TTSResult:
        self.validate_params(params)
        self.load()
        spoken_text, tokens = speakable(text)
        if not tokens:
            raise TTSError("nothing to say: empty text")
        speed = float(params.get("speed", 1.0))
        with self._lock:  # one utterance at a time: torch's RNG is seeded per utterance
            spk = self._speaker(params)
            _seed_torch(f"{params['prompt_wav']}\x1f{params['prompt_text']}\x1f{spoken_text}")
            try:
                if params.get("instruct"):
                    fn = self._model.inference_instruct2
                    gen = fn(
                        spoken_text,
                        self._prompt_text(str(params["instruct"])),
                        self._prompt_arg(fn, str(params["prompt_wav"])),
                        zero_shot_spk_id=spk,
                        stream=False,
                        speed=speed,
                    )
                else:
                    fn = self._model.inference_zero_shot
                    if spk:
                        gen = fn(
                            spoken_text, "", "", zero_shot_spk_id=spk, stream=False, speed=speed
                        )
                    else:
                        gen = fn(
                            spoken_text,
                            self._prompt_text(str(params["prompt_text"])),
                            self._prompt_arg(fn, str(params["prompt_wav"])),
                            stream=False,
                            speed=speed,
                        )
                pieces = [to_numpy(out["tts_speech"]) for out in gen]
            except (KeyError, TypeError) as exc:
                raise TTSError(f"CosyVoice returned an unexpected result: {exc!r}") from exc
        if not pieces:
            raise TTSError(f"CosyVoice produced no audio for {text!r}")
        audio = np.concatenate([float_audio(p) for p in pieces])
        return TTSResult(audio=audio, sample_rate=int(self._model.sample_rate), words=None)


def to_numpy(speech: Any) -> np.ndarray:
    """A torch tensor (any device) or array-like of shape (1, n) or (n,) as a numpy array."""
    if hasattr(speech, "detach"):
        speech = speech.detach()
    if hasattr(speech, "cpu"):
        speech = speech.cpu()
    if hasattr(speech, "float") and not isinstance(speech, np.ndarray):
        speech = speech.float()
    if hasattr(speech, "numpy") and not isinstance(speech, np.ndarray):
        speech = speech.numpy()
    return np.asarray(speech, dtype=np.float32)


def _seed_torch(material: str) -> None:
    """Seed torch (CPU and CUDA) from ``material`` so sampling repeats for the same input."""
    seed = int.from_bytes(hashlib.sha256(material.encode()).digest()[:4], "little")
    torch = sys.modules.get("torch")
    if torch is None:  # CosyVoice imports torch; a model that runs without it has nothing to seed
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
