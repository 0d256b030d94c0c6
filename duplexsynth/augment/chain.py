"""Channel effects (band-limiting/telephone, codec-like distortion, EQ) as configurable chains.

A chain is a list of steps; each step is ``{"type": ..., "p": 0..1, <param>: value or
[min, max]}``. When a chain applies to a dialogue, one chain is picked, each of its steps is
kept with its ``p``, and every parameter is drawn from the dialogue's RNG — then the steps are
applied with those exact values. audiomentations transforms are used for their filters, but
never through their own randomisation (it draws from Python's global ``random``): this module
builds each transform, writes the sampled values into ``transform.parameters``, freezes them
and calls ``apply`` directly. ``mu_law`` and ``narrowband`` are implemented here.

Nothing in a chain shifts time: band/low/high-pass filters run zero-phase (forward-backward),
EQ biquads too (each pass with half the gain in dB, so the recorded gain is the total), the
distortions are memoryless, and time-changing transforms (shift,
time-stretch, pitch-shift, trim, padding, resampling, reversal, repeats, MP3 with encoder
delay) are refused by name when the config is validated, because they would invalidate the
word alignments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: step types refused because they would move audio in time (word alignments would break)
REFUSED_STEPS = {
    "shift": "moves the audio in time",
    "time_stretch": "changes the duration",
    "pitch_shift": "resynthesises the speech with a phase vocoder (smears word boundaries)",
    "trim": "removes audio at the edges",
    "padding": "inserts or replaces audio at the edges",
    "adjust_duration": "changes the duration",
    "resample": "changes the sample count",
    "reverse": "reverses time",
    "repeat_part": "repeats a part of the audio",
    "time_mask": "blanks out stretches of speech",
    "mp3_compression": "adds encoder delay (and needs an MP3 encoder)",
    "room_simulator": "adds a propagation delay; use the reverb step (direct path kept at lag 0)",
}


@dataclass(frozen=True)
class ParamSpec:
    kind: str  # "float" | "int" | "rolloff"
    default: tuple[float, float]
    bounds: tuple[float, float]


@dataclass(frozen=True)
class StepSpec:
    params: dict[str, ParamSpec]
    apply: Callable[[np.ndarray, int, dict[str, Any]], np.ndarray]
    doc: str


# ------------------------------------------------------------------------------------- appliers
def _pinned(
    cls_name: str, ranges: dict[str, Any], parameters: dict[str, Any], **options: Any
) -> Any:
    """The audiomentations transform ``cls_name`` with every ``min_<k>``/``max_<k>`` pair pinned
    to ``ranges[k]``, its ``parameters`` written in and frozen: it never draws from its own RNG."""
    import audiomentations

    pinned = {f"{side}_{k}": v for k, v in ranges.items() for side in ("min", "max")}
    transform = getattr(audiomentations, cls_name)(**pinned, **options, p=1.0)
    transform.parameters = {"should_apply": True, **parameters}
    transform.freeze_parameters()
    return transform


def _nyquist_cap(freq: float, sr: int) -> float:
    return min(float(freq), 0.45 * sr)


def _band_pass(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
    low = float(v["low_hz"])
    high = _nyquist_cap(v["high_hz"], sr)
    if high <= low:
        return x
    center, bw, rolloff = (low + high) / 2.0, high - low, int(v["rolloff_db"])
    ranges = {"center_freq": center, "bandwidth_fraction": bw / center, "rolloff": rolloff}
    values = {"center_freq": center, "bandwidth": bw, "rolloff": rolloff}
    return _pinned("BandPassFilter", ranges, values, zero_phase=True).apply(x, sr)


def _one_sided(cls_name: str) -> Callable[[np.ndarray, int, dict[str, Any]], np.ndarray]:
    def apply(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
        values = {"cutoff_freq": _nyquist_cap(v["cutoff_hz"], sr), "rolloff": int(v["rolloff_db"])}
        return _pinned(cls_name, values, values, zero_phase=True).apply(x, sr)

    return apply


def _biquad(cls_name: str) -> Callable[[np.ndarray, int, dict[str, Any]], np.ndarray]:
    def apply(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
        # forward-backward with half the gain per pass: the recorded gain, and zero phase
        f, g, q = _nyquist_cap(v["center_hz"], sr), float(v["gain_db"]) / 2.0, float(v["q"])
        ranges = {"center_freq": f, "gain_db": g, "q": q}
        t = _pinned(cls_name, ranges, {"center_freq": f, "gain_db": g, "q_factor": q})
        y = t.apply(np.ascontiguousarray(x, dtype=np.float32), sr)
        return t.apply(np.ascontiguousarray(y[::-1]), sr)[::-1]

    return apply


def _bit_crush(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
    b = {"bit_depth": int(v["bit_depth"])}
    return _pinned("BitCrush", b, b).apply(x, sr)


def _aliasing(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
    r = int(v["sample_rate_hz"])
    if r >= sr:
        return x
    return _pinned("Aliasing", {"sample_rate": r}, {"new_sample_rate": r}).apply(x, sr)


def _tanh(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
    a = float(v["amount"])
    return _pinned("TanhDistortion", {"distortion": a}, {"distortion_amount": a}).apply(x, sr)


def _clipping(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
    pct = {"percentile_threshold": int(v["percentile"])}
    return _pinned("ClippingDistortion", pct, pct).apply(x, sr)


def _mu_law(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
    """G.711-style codec: at the codec's rate, mu-law compress, quantise to ``bits``, expand."""
    from duplexsynth.audio import resample
    from duplexsynth.augment.signal import fit_length

    mu = 255.0
    bits = int(v["bits"])
    rate = min(int(v["sample_rate_hz"]), sr)
    z = resample(x, sr, rate)
    y = np.sign(z) * np.log1p(mu * np.minimum(np.abs(z), 1.0)) / np.log1p(mu)
    levels = 2 ** (bits - 1)
    y = np.round(y * levels) / levels
    y = (np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu).astype(np.float32)
    return fit_length(resample(y, rate, sr), x.size)


def _narrowband(x: np.ndarray, sr: int, v: dict[str, Any]) -> np.ndarray:
    """Down to ``sample_rate_hz`` and back up (soxr, delay-compensated): codec bandwidth."""
    from duplexsynth.audio import resample
    from duplexsynth.augment.signal import fit_length

    r = int(v["sample_rate_hz"])
    if r >= sr:
        return x
    return fit_length(resample(resample(x, sr, r), r, sr), x.size)


def _f(lo: float, hi: float, b: tuple[float, float]) -> ParamSpec:
    return ParamSpec("float", (lo, hi), b)


def _i(lo: int, hi: int, b: tuple[float, float]) -> ParamSpec:
    return ParamSpec("int", (lo, hi), b)


_ROLLOFF = ParamSpec("rolloff", (12, 24), (12, 96))
_HZ = (20.0, 48000.0)


def _butterworth(cutoff_hz: tuple[float, float], cls_name: str, what: str) -> StepSpec:
    """A one-sided filter step: cutoff frequency and roll-off drawn per dialogue."""
    return StepSpec(
        {"cutoff_hz": _f(*cutoff_hz, _HZ), "rolloff_db": _ROLLOFF},
        _one_sided(cls_name),
        f"zero-phase Butterworth {what} (audiomentations {cls_name})",
    )


def _eq(
    center_hz: tuple[float, float], q: tuple[float, float], q_max: float, cls_name: str, what: str
) -> StepSpec:
    """An EQ biquad step: centre frequency, gain (-6..6 dB, at most +-24) and Q drawn per dialogue."""
    return StepSpec(
        {
            "center_hz": _f(*center_hz, _HZ),
            "gain_db": _f(-6, 6, (-24, 24)),
            "q": _f(*q, (0.1, q_max)),
        },
        _biquad(cls_name),
        f"{what} (audiomentations {cls_name})",
    )


STEPS: dict[str, StepSpec] = {
    "band_pass": StepSpec(
        {"low_hz": _f(300, 300, _HZ), "high_hz": _f(3400, 3400, _HZ), "rolloff_db": _ROLLOFF},
        _band_pass,
        "zero-phase Butterworth band-pass (audiomentations BandPassFilter)",
    ),
    "high_pass": _butterworth((100, 300), "HighPassFilter", "high-pass"),
    "low_pass": _butterworth((3000, 8000), "LowPassFilter", "low-pass"),
    "peaking_eq": _eq((500, 4000), (0.7, 3), 20, "PeakingFilter", "one EQ band"),
    "low_shelf": _eq((100, 400), (0.5, 0.9), 1, "LowShelfFilter", "low-shelf EQ"),
    "high_shelf": _eq((2000, 6000), (0.5, 0.9), 1, "HighShelfFilter", "high-shelf EQ"),
    "bit_crush": StepSpec(
        {"bit_depth": _i(8, 12, (2, 24))},
        _bit_crush,
        "quantisation to fewer bits (audiomentations BitCrush)",
    ),
    "aliasing": StepSpec(
        {"sample_rate_hz": _i(8000, 16000, (1000, 48000))},
        _aliasing,
        "downsampling without anti-alias filter and back (audiomentations Aliasing)",
    ),
    "tanh_distortion": StepSpec(
        {"amount": _f(0.05, 0.3, (0.0, 1.0))},
        _tanh,
        "soft saturation, loudness kept (audiomentations TanhDistortion)",
    ),
    "clipping": StepSpec(
        {"percentile": _i(1, 5, (0, 40))},
        _clipping,
        "hard clipping of the loudest percent of samples (audiomentations ClippingDistortion)",
    ),
    "mu_law": StepSpec(
        {"bits": _i(8, 8, (2, 16)), "sample_rate_hz": _i(8000, 8000, (2000, 48000))},
        _mu_law,
        "G.711-style codec: mu-law companding and quantisation at the codec's rate",
    ),
    "narrowband": StepSpec(
        {"sample_rate_hz": _i(8000, 8000, (2000, 48000))},
        _narrowband,
        "resample down and back up with soxr (codec bandwidth, no delay)",
    ),
}


# ------------------------------------------------------------------------------- validation
def validate_chains(chains: Any) -> None:
    """``ValueError`` naming the chain/step/parameter at fault; refuses time-shifting steps."""
    if not isinstance(chains, dict):
        raise ValueError(
            f"chains must be a mapping of name -> list of steps, got {type(chains).__name__}"
        )
    for name, steps in chains.items():
        if not isinstance(steps, (list, tuple)) or not steps:
            raise ValueError(f"chain {name!r} must be a non-empty list of steps")
        for i, step in enumerate(steps):
            _validate_step(f"chain {name!r} step {i}", step)


def _validate_step(where: str, step: Any) -> None:
    if not isinstance(step, dict) or "type" not in step:
        raise ValueError(f"{where}: a step is a mapping with a 'type', got {step!r}")
    kind = step["type"]
    if kind in REFUSED_STEPS:
        raise ValueError(
            f"{where}: step type {kind!r} is refused because it {REFUSED_STEPS[kind]}, "
            "which would invalidate the word alignments"
        )
    if kind not in STEPS:
        raise ValueError(f"{where}: unknown step type {kind!r}; known: {', '.join(STEPS)}")
    spec = STEPS[kind]
    p = step.get("p", 1.0)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{where}: p must be in [0, 1], got {p!r}")
    for key, value in step.items():
        if key in ("type", "p"):
            continue
        if key not in spec.params:
            raise ValueError(
                f"{where} ({kind}): unknown parameter {key!r}; known: {', '.join(spec.params)}"
            )
        lo, hi = _as_range(f"{where} ({kind}) {key}", value)
        ps = spec.params[key]
        if lo < ps.bounds[0] or hi > ps.bounds[1]:
            raise ValueError(
                f"{where} ({kind}) {key}: {value!r} outside the allowed {list(ps.bounds)}"
            )
        if ps.kind == "rolloff" and not any(r % 12 == 0 for r in range(int(lo), int(hi) + 1)):
            raise ValueError(f"{where} ({kind}) {key}: needs a multiple of 12 dB/octave in range")


def _as_range(where: str, value: Any) -> tuple[float, float]:
    if isinstance(value, bool):
        raise ValueError(f"{where}: expected a number or [min, max], got {value!r}")
    if isinstance(value, (int, float)):
        return float(value), float(value)
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        if value[0] > value[1]:
            raise ValueError(f"{where}: min {value[0]} is above max {value[1]}")
        return float(value[0]), float(value[1])
    raise ValueError(f"{where}: expected a number or [min, max], got {value!r}")


# ------------------------------------------------------------------------------ sample / apply
@dataclass(frozen=True)
class StepParams:
    type: str
    applied: bool
    values: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type, "applied": self.applied}
        if self.applied:
            d.update(dict(self.values))
        return d


@dataclass(frozen=True)
class ChainParams:
    applied: bool
    name: str = ""
    steps: tuple[StepParams, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        if not self.applied:
            return {"applied": False}
        return {"applied": True, "name": self.name, "steps": [s.to_dict() for s in self.steps]}


def _draw(rng: np.random.Generator, spec: ParamSpec, value: Any) -> Any:
    lo, hi = _as_range("", value) if value is not None else spec.default
    if spec.kind == "float":
        return round(float(rng.uniform(lo, hi)), 3)
    if spec.kind == "int":
        return int(rng.integers(int(lo), int(hi) + 1))
    choices = [r for r in range(int(lo), int(hi) + 1) if r % 12 == 0]
    return int(choices[int(rng.integers(0, len(choices)))])


def sample_chain(rng: np.random.Generator, enabled: bool, p: float, chains: dict) -> ChainParams:
    """Decide whether a chain applies, pick one, and draw each step's keep/parameters."""
    if not (enabled and chains and rng.random() < p):
        return ChainParams(applied=False)
    names = list(chains)
    name = names[int(rng.integers(0, len(names)))]
    steps = []
    for step in chains[name]:
        kind = step["type"]
        keep = bool(rng.random() < float(step.get("p", 1.0)))
        spec = STEPS[kind]
        values = tuple((k, _draw(rng, ps, step.get(k))) for k, ps in spec.params.items())
        steps.append(StepParams(type=kind, applied=keep, values=values if keep else ()))
    return ChainParams(applied=True, name=name, steps=tuple(steps))


def apply_chain(x: np.ndarray, sample_rate: int, params: ChainParams) -> np.ndarray:
    """Run the kept steps in order with their sampled values (deterministic)."""
    if not params.applied:
        return x
    y = np.ascontiguousarray(x, dtype=np.float32)
    if y.size < 256:  # too short for the filters' padding; leave it alone
        return y
    for step in params.steps:
        if step.applied:
            y = np.ascontiguousarray(STEPS[step.type].apply(y, sample_rate, dict(step.values)))
            y = y.astype(np.float32, copy=False)
            if not np.isfinite(y).all():
                y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    return y
