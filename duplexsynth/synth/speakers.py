"""How a voice sounds, as numbers: median pitch, mean log-mel spectrum, speaker embeddings.

Used by ``duplexsynth check-tts`` to tell whether the voices of a bank sound different.
Without a speaker model it compares :func:`pitch_hz` (normalised-autocorrelation F0, median
over voiced frames) and :func:`spectral_profile_db` (mean log-mel spectrum of active frames,
level removed). :class:`SpeakerEmbedder` runs a speaker-verification ONNX model that takes
``[1, frames, 80]`` Kaldi-style log-mel filterbanks (25 ms window, 10 ms hop, 16 kHz, mean
removed per utterance), such as the ``campplus.onnx`` that ships in every CosyVoice model folder.
"""

from __future__ import annotations

import numpy as np

from duplexsynth.audio import resample

RATE = 16000
FRAME_S, HOP_S = 0.025, 0.010


def _frames(audio: np.ndarray, size: int, hop: int) -> np.ndarray:
    if len(audio) < size:
        return np.zeros((0, size), np.float32)
    n = 1 + (len(audio) - size) // hop
    idx = np.arange(size)[None, :] + hop * np.arange(n)[:, None]
    return audio[idx]


def _active(frames: np.ndarray, floor_db: float = -40.0) -> np.ndarray:
    rms = np.sqrt(np.mean(frames**2, axis=1) + 1e-12)
    return 20 * np.log10(rms / (rms.max() + 1e-12) + 1e-12) > floor_db


def pitch_hz(audio: np.ndarray, sr: int, fmin: float = 60.0, fmax: float = 400.0) -> float | None:
    """Median F0 of the voiced frames (normalised autocorrelation peak > 0.6), or ``None``."""
    a = resample(np.asarray(audio, np.float32), sr, RATE)
    frames = _frames(a, int(0.040 * RATE), int(HOP_S * RATE))
    if not len(frames):
        return None
    frames = frames[_active(frames, -30.0)]
    frames = frames - frames.mean(axis=1, keepdims=True)
    n = frames.shape[1]
    spec = np.fft.rfft(frames, 2 * n, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :n]
    ac = ac / (ac[:, :1] + 1e-12)
    lo, hi = int(RATE / fmax), int(RATE / fmin)
    lags = lo + np.argmax(ac[:, lo:hi], axis=1)
    peaks = ac[np.arange(len(ac)), lags]
    voiced = peaks > 0.6
    if voiced.sum() < 5:
        return None
    return round(float(np.median(RATE / lags[voiced])), 2)


def _mel_filters(n_fft: int, n_mels: int, sr: int, fmin: float = 20.0) -> np.ndarray:
    def mel(f):
        return 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)

    def hz(m):
        return 700.0 * (np.exp(np.asarray(m) / 1127.0) - 1.0)

    edges = hz(np.linspace(mel(fmin), mel(sr / 2), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sr)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (bins[None, :] - lower) / (centre - lower)
    down = (upper - bins[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(up, down))


def log_mel(audio: np.ndarray, sr: int, n_mels: int = 80) -> np.ndarray:
    """Kaldi-style log-mel filterbank frames ``[frames, n_mels]`` of audio resampled to 16 kHz."""
    a = resample(np.asarray(audio, np.float32), sr, RATE).astype(np.float64)
    size, hop = int(FRAME_S * RATE), int(HOP_S * RATE)
    frames = _frames(a, size, hop)
    if not len(frames):
        return np.zeros((0, n_mels), np.float32)
    frames = frames - frames.mean(axis=1, keepdims=True)
    frames = np.concatenate([frames[:, :1], frames[:, 1:] - 0.97 * frames[:, :-1]], axis=1)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / (size - 1))) ** 0.85  # povey
    n_fft = 512
    power = np.abs(np.fft.rfft(frames * window, n_fft, axis=1)) ** 2
    return np.log(power @ _mel_filters(n_fft, n_mels, RATE).T + 1e-10).astype(np.float32)


def spectral_profile_db(audio: np.ndarray, sr: int, n_mels: int = 40) -> np.ndarray:
    """Mean log-mel spectrum (dB) of the active frames, with its overall level removed."""
    feats = log_mel(audio, sr, n_mels)
    a = resample(np.asarray(audio, np.float32), sr, RATE)
    frames = _frames(a, int(FRAME_S * RATE), int(HOP_S * RATE))[: len(feats)]
    if len(feats):
        feats = feats[_active(frames)]
    profile = (10.0 / np.log(10.0)) * feats.mean(axis=0) if len(feats) else np.zeros(n_mels)
    return profile - profile.mean()


class SpeakerEmbedder:
    """A speaker-verification ONNX model (input ``[1, frames, 80]`` log-mel, any output shape)."""

    def __init__(self, model_path: str) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            model_path, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input = self.session.get_inputs()[0].name

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray:
        feats = log_mel(audio, sr, 80)
        feats = feats - feats.mean(axis=0, keepdims=True)
        out = self.session.run(None, {self.input: feats[None].astype(np.float32)})[0]
        return np.asarray(out, np.float64).ravel()
