"""Channel-effect chains: deterministic, no global randomness, no time shift, refusals."""

from __future__ import annotations

import random

import numpy as np
import pytest
from _augtools import channels, only, xcorr_lag

from duplexsynth.augment import AugmentConfig, augment_dialogue
from duplexsynth.augment.chain import STEPS, apply_chain, sample_chain
from duplexsynth.schemas.rng import dialogue_rng


@pytest.fixture(scope="module")
def speech(mixed) -> tuple[np.ndarray, int]:
    _, u, sr = channels(mixed.audio.bytes)
    return u.astype(np.float32), sr


@pytest.mark.parametrize(
    "kind", ["time_stretch", "shift", "pitch_shift", "trim", "mp3_compression"]
)
def test_time_shifting_steps_are_refused(kind) -> None:
    with pytest.raises(ValueError, match="word alignments"):
        AugmentConfig(chains={"bad": [{"type": kind}]})


@pytest.mark.parametrize(
    "step, message",
    [
        ({"type": "band_pass", "width": 3}, "unknown parameter 'width'"),
        ({"type": "bit_crush", "bit_depth": [1, 30]}, "outside the allowed"),
        ({"type": "low_pass", "cutoff_hz": [5000, 4000]}, "above max"),
        ({"type": "mu_law", "p": 2}, "p must be in"),
        ({"type": "wobble"}, "unknown step type"),
        ({"cutoff_hz": 100}, "a step is a mapping with a 'type'"),
    ],
)
def test_bad_steps_name_the_problem(step, message) -> None:
    with pytest.raises(ValueError, match=message):
        AugmentConfig(chains={"c": [step]})


def _band_energy_db(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(x.size, 1 / sr)
    return 10 * np.log10(spec[(f >= lo) & (f < hi)].sum() + 1e-20)


@pytest.mark.parametrize("kind", sorted(STEPS))
def test_every_step_keeps_time_and_uses_no_global_random(speech, kind) -> None:
    x, sr = speech
    params = sample_chain(dialogue_rng(1, "d", "t"), True, 1.0, {"c": [{"type": kind}]})
    legacy = np.random.get_state  # noqa: NPY002  (the global state must stay untouched)
    py_state, np_state = random.getstate(), legacy()
    y = apply_chain(x, sr, params)
    assert random.getstate() == py_state
    assert all(np.array_equal(a, b) for a, b in zip(legacy(), np_state))
    assert y.shape == x.shape and np.all(np.isfinite(y))
    assert not np.array_equal(y, x)
    assert xcorr_lag(y, x) == 0, kind
    assert np.array_equal(y, apply_chain(x, sr, params))  # deterministic


def test_telephone_chain_band_limits_the_user_only(mixed) -> None:
    cfg = only(chain=True, chains={"telephone": AugmentConfig().chains["telephone"]})
    out = augment_dialogue(mixed, cfg, seed=4)
    rec = out.params["augment"]["channels"]["user"]["chain"]
    assert rec["name"] == "telephone" and rec["steps"][0]["type"] == "band_pass"
    high = rec["steps"][0]["high_hz"]
    a0, u0, sr = channels(mixed.audio.bytes)
    a1, u1, _ = channels(out.audio.bytes)
    assert np.array_equal(a0, a1)
    drop = _band_energy_db(u0, sr, high * 1.5, 11000) - _band_energy_db(u1, sr, high * 1.5, 11000)
    assert drop > 20
    in_band = _band_energy_db(u0, sr, 500, 2500) - _band_energy_db(u1, sr, 500, 2500)
    assert abs(in_band) < 3


def test_sampled_values_are_recorded_and_reapplied(speech) -> None:
    x, sr = speech
    chains = AugmentConfig().chains
    a = sample_chain(dialogue_rng(5, "d", "c"), True, 1.0, chains)
    b = sample_chain(dialogue_rng(5, "d", "c"), True, 1.0, chains)
    assert a == b and a.applied
    for step in a.to_dict()["steps"]:
        if step["applied"]:
            assert set(step) - {"type", "applied"} == set(STEPS[step["type"]].params)
    assert not sample_chain(dialogue_rng(5, "d", "c"), True, 0.0, chains).applied
