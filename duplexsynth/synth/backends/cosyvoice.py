"""CosyVoice 2/3 backend: zero-shot voice cloning from a prompt wav and its transcript.

Loads a local model folder (``--cosyvoice-model DIR``, e.g. ``pretrained_models/CosyVoice2-0.5B``
or ``Fun-CosyVoice3-0.5B``) with CosyVoice's own ``cosyvoice.cli.cosyvoice.AutoModel``, on the
GPU when torch sees one; written against FunAudioLLM/CosyVoice commit ace7c47 (see
docs/cosyvoice.md). Before CosyVoice sees the folder, :func:`check_model_dir` checks the version
(2 or 3; version 1 is refused) and every file the loader opens; any error inside loading becomes
one ``BackendUnavailable`` line.

Each voice gives ``prompt_wav`` + ``prompt_text``. The transcript is normalised like synthesis
text (numbers spelled out) and, for CosyVoice 3, put after its system prompt
(``You are a helpful assistant.<|endofprompt|>``). The prompt is registered once per voice
(``add_zero_shot_spk``) and every utterance refers to it by speaker id. Prompt audio is read by
duplexsynth (soundfile + soxr, see :mod:`.cosyvoice_files`), not by ``torchaudio.load``.

Voices with ``instruct`` use ``inference_instruct2``. Upstream, a registered speaker's cached
prompt text *replaces* the instruction and instruct2 drops the prompt speech tokens, so passing
the transcript speaker would make the model read the transcript aloud. The instruction is
therefore registered as its own speaker entry (same prompt audio, prompt text = the formatted
instruction: ``<instruction><|endofprompt|>`` for version 2,
``You are a helpful assistant. <instruction><|endofprompt|>`` for version 3), which gives the
model exactly what an uncached ``inference_instruct2`` call would.

Texts much shorter than the prompt transcript (backchannels such as "mhm") make CosyVoice
continue the prompt badly; a voice may give ``short_prompt_wav`` + ``short_prompt_text`` (a
1-3 s clip) used for texts shorter than half the transcript.

CosyVoice samples speech tokens with torch's RNG, so every utterance seeds torch from a hash of
(voice, text): the same text in the same voice gives the same audio (same hardware, versions).
"""

from __future__ import annotations

import hashlib
import inspect
import logging
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
from duplexsynth.synth.backends.cosyvoice_files import (
    check_model_dir,
    install_prompt_loader,
    load_prompt_audio,
    model_generation,
)
from duplexsynth.synth.textnorm import speakable

__all__ = ["CosyVoiceBackend", "check_model_dir", "model_generation", "to_numpy"]

log = logging.getLogger("duplexsynth.synth.cosyvoice")

INSTALL_HINT = (
    "install CosyVoice as docs/cosyvoice.md says (its repository with --recursive, then "
    "pip install -e '.[cosyvoice]' in duplexsynth, or serve it from its own environment with "
    "`duplexsynth serve-tts`), and pass --cosyvoice-repo PATH/TO/CosyVoice"
)
END_OF_PROMPT = "<|endofprompt|>"
V3_SYSTEM = "You are a helpful assistant."
#: texts shorter than this fraction of the prompt transcript use the voice's short prompt
SHORT_TEXT_RATIO = 0.5


def prompt_transcript(text: str, generation: int) -> str:
    """The transcript as CosyVoice's prompt text: normalised; behind the v3 system prompt."""
    spoken = speakable(text)[0]
    return f"{V3_SYSTEM}{END_OF_PROMPT}{spoken}" if generation >= 3 else spoken


def instruct_prompt(instruction: str, generation: int) -> str:
    """The instruction as ``inference_instruct2`` wants it for model ``generation``."""
    instruction = instruction.strip()
    if generation >= 3:
        return f"{V3_SYSTEM} {instruction}{END_OF_PROMPT}"
    return f"{instruction}{END_OF_PROMPT}"


class CosyVoiceBackend(TTSBackend):
    """Voice params: ``prompt_wav`` (path, >= 16 kHz, 1-30 s), ``prompt_text`` (its transcript),
    ``speed`` (0.5-2.0, default 1.0), optional ``instruct`` (a plain instruction such as "Speak
    slowly and calmly."; uses ``inference_instruct2``), optional ``short_prompt_wav`` +
    ``short_prompt_text`` (a short clip for backchannels and other very short texts)."""

    name = "cosyvoice"
    param_keys = frozenset(
        {"prompt_wav", "prompt_text", "speed", "instruct", "short_prompt_wav", "short_prompt_text"}
    )

    def __init__(
        self,
        model_dir: str | None,
        repo_dir: str | None = None,
        fp16: bool = False,
        model: Any = None,
        generation: int | None = None,
    ) -> None:
        """``model``: an already built CosyVoice object (tests inject one); ``generation``: its
        version when injected (default: read from ``model_dir``, else 2)."""
        self.model_dir = model_dir
        self.repo_dir = repo_dir
        self.fp16 = fp16
        self._model = model
        self._generation = generation or _generation_or_2(model_dir)
        self._speakers: dict[str, str] = {}
        self._warned_short: set[str] = set()
        self._lock = threading.RLock()

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
            try:
                self._generation = check_model_dir(self.model_dir)
            except ValueError as exc:
                raise BackendUnavailable(str(exc)) from None
            if self.repo_dir:
                for p in (Path(self.repo_dir) / "third_party" / "Matcha-TTS", Path(self.repo_dir)):
                    if str(p) not in sys.path:
                        sys.path.insert(0, str(p))
            try:
                from cosyvoice.cli import cosyvoice as cv
            except ImportError as exc:
                missing = getattr(exc, "name", None) or str(exc)
                raise BackendUnavailable(
                    f"CosyVoice is not importable (missing module {missing!r}): {INSTALL_HINT}"
                ) from exc
            install_prompt_loader()
            if not hasattr(cv, "AutoModel"):
                raise BackendUnavailable(
                    "this CosyVoice checkout has no AutoModel: update it (git pull) to a commit "
                    "that has one (duplexsynth is written against ace7c47)"
                )
            kwargs: dict[str, Any] = {"model_dir": str(self.model_dir)}
            if self.fp16:
                kwargs["fp16"] = True
            try:
                model = cv.AutoModel(**kwargs)
            except Exception as exc:  # anything inside CosyVoice's loader: one clear line
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise BackendUnavailable(
                    f"CosyVoice could not load {str(self.model_dir)!r}: "
                    f"{type(exc).__name__}: {detail}"
                ) from exc
            if not hasattr(model, "inference_instruct2") or not hasattr(model, "add_zero_shot_spk"):
                raise BackendUnavailable(
                    f"{type(model).__name__} from {str(self.model_dir)!r} lacks "
                    "inference_instruct2/add_zero_shot_spk: use a version 2 or 3 model"
                )
            self._model = model

    def version(self) -> str:
        name = Path(self.model_dir).name if self.model_dir else "injected"
        return f"cosyvoice{self._generation} {name} adapter2"

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> None:
        super().validate_params(params)
        wav, text = params.get("prompt_wav"), params.get("prompt_text")
        if not wav or not text or not str(text).strip():
            raise ValueError(
                "a cosyvoice voice needs prompt_wav (a file) and prompt_text (its transcript)"
            )
        short_wav, short_text = params.get("short_prompt_wav"), params.get("short_prompt_text")
        if bool(short_wav) != bool(short_text and str(short_text).strip()):
            raise ValueError("cosyvoice short_prompt_wav and short_prompt_text go together")
        for key in ("prompt_wav", "short_prompt_wav"):
            path = str(params.get(key) or "")
            if path and "://" not in path and not Path(path).is_file():
                # object-store clips are checked where they are read (preflight, check_prompt)
                raise ValueError(f"cosyvoice {key} {path!r} does not exist")
        for key in ("prompt_text", "short_prompt_text", "instruct"):
            if params.get(key) and "<|" in str(params[key]):
                raise ValueError(
                    f"cosyvoice {key} {str(params[key])!r} holds a special token: write plain "
                    "text; duplexsynth adds <|endofprompt|> and the version 3 system prompt"
                )
        speed = float(params.get("speed", 1.0))
        if not 0.5 <= speed <= 2.0:
            raise ValueError(f"cosyvoice speed must be within 0.5-2.0, got {speed}")

    @staticmethod
    def check_prompt(path: str) -> None:
        """``ValueError`` unless ``path`` is readable audio at >= 16 kHz lasting 1-30 s."""
        import soundfile as sf

        from duplexsynth.synth.backends.cosyvoice_files import audio_source

        try:
            info = sf.info(audio_source(path))
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

    # ----------------------------------------------------------------------------- speakers
    def _register(self, wav: str, prompt_text: str) -> str:
        """Speaker id of (``wav``, formatted ``prompt_text``), registered on first use."""
        key = hashlib.sha256(f"{wav}\x1f{prompt_text}".encode()).hexdigest()[:16]
        if key not in self._speakers:
            self.check_prompt(wav)
            add = self._model.add_zero_shot_spk
            audio = wav
            if "prompt_speech_16k" in inspect.signature(add).parameters:  # older checkouts
                audio = load_prompt_audio(wav, 16000)
            spk = f"duplexsynth-{key}"
            try:
                add(prompt_text, audio, spk)
            except Exception as exc:
                raise TTSError(
                    f"CosyVoice could not register prompt {wav!r}: {type(exc).__name__}: {exc}"
                ) from exc
            self._speakers[key] = spk
        return self._speakers[key]

    def register_voice(self, params: dict[str, Any]) -> list[str]:
        """Register every speaker entry a voice uses now (preflight); returns their ids."""
        self.validate_params(params)
        self.load()
        with self._lock:
            ids = [self._speaker_for(params, "")]
            if params.get("short_prompt_wav") and not params.get("instruct"):
                short = prompt_transcript(str(params["short_prompt_text"]), self._generation)
                ids.append(self._register(str(params["short_prompt_wav"]), short))
        return ids

    def _speaker_for(self, params: dict[str, Any], spoken_text: str) -> str:
        wav, gen = str(params["prompt_wav"]), self._generation
        if params.get("instruct"):
            return self._register(wav, instruct_prompt(str(params["instruct"]), gen))
        transcript = speakable(str(params["prompt_text"]))[0]
        if spoken_text and len(spoken_text) < SHORT_TEXT_RATIO * len(transcript):
            if params.get("short_prompt_wav"):
                short = str(params["short_prompt_text"])
                return self._register(
                    str(params["short_prompt_wav"]), prompt_transcript(short, gen)
                )
            if wav not in self._warned_short:
                self._warned_short.add(wav)
                log.warning(
                    "text %r is much shorter than the prompt transcript of %s: CosyVoice tends to "
                    "garble such texts; give the voice short_prompt_wav/short_prompt_text",
                    spoken_text,
                    wav,
                )
        return self._register(wav, prompt_transcript(str(params["prompt_text"]), gen))

    # ---------------------------------------------------------------------------- synthesis
    def speak(
        self, text: str, spoken_text: str, spoken_tokens: list[str], params: dict[str, Any]
    ) -> TTSResult:
        speed = float(params.get("speed", 1.0))
        with self._lock:  # one utterance at a time: torch's RNG is seeded per utterance
            spk = self._speaker_for(params, spoken_text)
            _seed_torch(f"{spk}\x1f{spoken_text}")
            try:
                if params.get("instruct"):
                    gen = self._model.inference_instruct2(
                        spoken_text, "", "", zero_shot_spk_id=spk, stream=False, speed=speed
                    )
                else:
                    gen = self._model.inference_zero_shot(
                        spoken_text, "", "", zero_shot_spk_id=spk, stream=False, speed=speed
                    )
                pieces = [to_numpy(out["tts_speech"]) for out in gen]
            except Exception as exc:
                raise TTSError(f"CosyVoice failed: {type(exc).__name__}: {exc}") from exc
        if not pieces:
            raise TTSError(f"CosyVoice produced no audio for {text!r}")
        audio = np.concatenate([float_audio(p) for p in pieces])
        return TTSResult(audio=audio, sample_rate=int(self._model.sample_rate), words=None)


def _generation_or_2(model_dir: str | None) -> int:
    """The folder's version when it is readable; :meth:`CosyVoiceBackend.load` reports errors."""
    try:
        return model_generation(model_dir) if model_dir else 2
    except ValueError:
        return 2


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
