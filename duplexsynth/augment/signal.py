"""Signal helpers of the augment stage: exact PCM round trips, aligned convolution, levels.

The mixed audio is read as integers and written back with the same FLAC subtype, so a channel
that is not augmented comes out bit-for-bit as it went in. Augmented channels are processed in
float32 and quantised back (round to nearest) at the input's bit depth.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from duplexsynth.audio import db_to_power, frame_power

#: bit depth of the FLAC subtypes libsndfile writes
SUBTYPE_BITS = {"PCM_S8": 8, "PCM_16": 16, "PCM_24": 24}


@dataclass(frozen=True)
class Pcm:
    """Integer samples ``(n, channels)`` scaled to int32 full range, with their FLAC subtype."""

    samples: np.ndarray
    sample_rate: int
    subtype: str

    @property
    def bits(self) -> int:
        return SUBTYPE_BITS.get(self.subtype, 16)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])


def decode_pcm(data: bytes) -> Pcm:
    """Decode FLAC/WAV bytes to int32 samples (``always_2d``) without any float conversion."""
    if not data:
        raise ValueError("empty audio bytes")
    with sf.SoundFile(io.BytesIO(data)) as fh:
        subtype = fh.subtype
        sr = int(fh.samplerate)
        arr = fh.read(dtype="int32", always_2d=True)
    if subtype not in SUBTYPE_BITS:
        subtype = "PCM_16"
    return Pcm(samples=arr, sample_rate=sr, subtype=subtype)


def encode_pcm(pcm: Pcm) -> bytes:
    """FLAC bytes of ``pcm`` at its own subtype (exact for samples on that subtype's grid)."""
    buf = io.BytesIO()
    sf.write(buf, pcm.samples, pcm.sample_rate, format="FLAC", subtype=pcm.subtype)
    return buf.getvalue()


def channel_to_float(samples: np.ndarray) -> np.ndarray:
    """One int32 channel to float32 in [-1, 1) (exact for 8/16/24-bit content)."""
    return samples.astype(np.float32) * np.float32(1.0 / 2**31)


def float_to_channel(audio: np.ndarray, bits: int) -> np.ndarray:
    """Float audio back to int32 samples on a ``bits``-bit grid (rounded, clipped)."""
    scale = np.float32(2 ** (bits - 1))
    q = np.rint(np.asarray(audio, dtype=np.float32) * scale)
    np.clip(q, -scale, scale - 1, out=q)
    return q.astype(np.int32) << np.int32(32 - bits)


def convolve_aligned(x: np.ndarray, h: np.ndarray, onset: int, block: int = 4096) -> np.ndarray:
    """Convolve ``x`` with ``h`` so that tap ``onset`` (the direct path) lands at lag 0.

    Output has the length of ``x``: no time shift, the reverb tail past the end is dropped.
    Only the stretches of ``x`` that are not digital silence are convolved (overlap-add FFT
    convolution per stretch), so a channel that speaks half the time costs half.
    """
    from scipy.signal import oaconvolve

    x = np.asarray(x, dtype=np.float32)
    h = np.asarray(h, dtype=np.float32)
    n = x.size
    out = np.zeros(n, dtype=np.float32)
    for a, b in active_runs(x, block):
        seg = oaconvolve(x[a:b], h)  # y[a - onset + k] += seg[k]
        lo = a - onset
        s0 = max(0, -lo)
        s1 = min(seg.size, n - lo)
        if s1 > s0:
            out[lo + s0 : lo + s1] += seg[s0:s1]
    return out


def active_runs(x: np.ndarray, block: int = 4096) -> list[tuple[int, int]]:
    """``[a, b)`` stretches of ``x`` made of ``block``-sample blocks that are not all zero."""
    n = x.size
    nb = -(-n // block)
    if nb == 0:
        return []
    padded = np.zeros(nb * block, dtype=x.dtype)
    padded[:n] = x
    live = np.any(padded.reshape(nb, block) != 0, axis=1)
    runs = []
    i = 0
    while i < nb:
        if live[i]:
            j = i
            while j + 1 < nb and live[j + 1]:
                j += 1
            runs.append((i * block, min(n, (j + 1) * block)))
            i = j + 1
        else:
            i += 1
    return runs


def delay(x: np.ndarray, samples: int) -> np.ndarray:
    """``x`` moved ``samples`` later (zeros in front), same length."""
    out = np.zeros_like(x)
    if samples < x.size:
        out[samples:] = x[: x.size - samples]
    return out


def span_mask(spans: list[tuple[float, float]], n: int, sample_rate: int) -> np.ndarray:
    """Boolean mask of the samples inside any ``(start_s, end_s)`` span (clipped to ``n``)."""
    mask = np.zeros(n, dtype=bool)
    for start_s, end_s in spans:
        a = max(0, int(round(start_s * sample_rate)))
        b = min(n, int(round(end_s * sample_rate)))
        if b > a:
            mask[a:b] = True
    return mask


def active_mask(x: np.ndarray, sample_rate: int, floor_db: float = -40.0) -> np.ndarray:
    """Samples in 20 ms frames whose RMS is within ``floor_db`` of the loudest frame."""
    hop = max(1, int(0.02 * sample_rate))
    nf = x.size // hop
    mask = np.zeros(x.size, dtype=bool)
    if nf == 0:
        return mask
    power = frame_power(x, hop)
    top = power.max()
    if top <= 0:
        return mask
    keep = power >= top * db_to_power(floor_db)
    mask[: nf * hop] = np.repeat(keep, hop)
    return mask


def mean_power(x: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean square of ``x`` (over ``mask`` if given); 0.0 when nothing is selected."""
    sel = np.asarray(x if mask is None else x[mask], dtype=np.float32)
    if sel.size == 0:
        return 0.0
    return float(np.dot(sel, sel)) / sel.size


def raised_cosine_envelope(
    segments: list[tuple[float, float]], n: int, sample_rate: int, fade_s: float
) -> np.ndarray:
    """1 inside ``segments`` (with raised-cosine fades of ``fade_s`` inside each edge), else 0."""
    env = np.zeros(n, dtype=np.float32)
    fade = max(0, int(round(fade_s * sample_rate)))
    for start_s, end_s in segments:
        a = max(0, int(round(start_s * sample_rate)))
        b = min(n, int(round(end_s * sample_rate)))
        if b <= a:
            continue
        env[a:b] = 1.0
        f = min(fade, (b - a) // 2)
        if f > 0:
            ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(f) + 0.5) / f)).astype(np.float32)
            env[a : a + f] = ramp
            env[b - f : b] = ramp[::-1]
    return env


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad ``x`` to ``n`` samples."""
    if x.size >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - x.size, dtype=x.dtype)])


def loop_to_length(x: np.ndarray, n: int, start: int, sample_rate: int) -> np.ndarray:
    """``x`` read cyclically from ``start`` until ``n`` samples, 10 ms crossfades at the seams."""
    if x.size == 0:
        return np.zeros(n, dtype=np.float32)
    start = int(start) % x.size
    out = np.zeros(n, dtype=np.float32)
    xf = min(int(0.01 * sample_rate), x.size // 4)
    pos = 0
    seg = x[start:]
    while pos < n:
        take = min(seg.size, n - pos)
        piece = seg[:take].astype(np.float32)
        if pos > 0 and xf > 0 and take > xf:
            ramp = np.linspace(0.0, 1.0, xf, dtype=np.float32)
            piece = piece.copy()
            piece[:xf] *= ramp
            out[pos - xf : pos] *= ramp[::-1]
            out[pos - xf : pos] += piece[:xf]
            out[pos : pos + take - xf] = piece[xf:]
            pos += take - xf
        else:
            out[pos : pos + take] = piece
            pos += take
        seg = x
    return out
