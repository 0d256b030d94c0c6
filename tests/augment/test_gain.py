"""Gain: the user's speech is scaled by the recorded gain, and never beyond the peak limit."""

from __future__ import annotations

import numpy as np
from _augtools import channels, only

from duplexsynth.augment import augment_dialogue


def test_gain_matches_the_recorded_value(mixed) -> None:
    cfg = only(gain=True, gain_db_range=(-24.0, -3.0))
    for seed in (1, 2, 3):
        out = augment_dialogue(mixed, cfg, seed=seed)
        rec = out.params["augment"]["channels"]["user"]["gain"]
        assert -24 <= rec["gain_db"] <= -3 and rec["gain_db_applied"] == rec["gain_db"]
        a0, u0, _ = channels(mixed.audio.bytes)
        a1, u1, _ = channels(out.audio.bytes)
        assert np.array_equal(a0, a1)
        measured = 10 * np.log10(np.sum(u1**2) / np.sum(u0**2))
        assert abs(measured - rec["gain_db"]) < 0.05


def test_gain_is_peak_safe(mixed) -> None:
    cfg = only(gain=True, gain_db_range=(15.0, 15.0), peak_limit_dbfs=-1.0)
    out = augment_dialogue(mixed, cfg, seed=1)
    rec = out.params["augment"]["channels"]["user"]["gain"]
    _, u0, _ = channels(mixed.audio.bytes)
    _, u1, _ = channels(out.audio.bytes)
    limit = 10 ** (-1 / 20)
    assert np.max(np.abs(u0)) * 10 ** (15 / 20) > limit  # the sampled gain would clip
    assert rec["gain_db"] == 15.0 and rec["gain_db_applied"] < 15.0
    assert np.max(np.abs(u1)) <= limit + 1e-4
    assert abs(np.max(np.abs(u1)) - limit) < 1e-3


def test_gain_probability_is_respected(mixed_many) -> None:
    cfg = only(gain=True, gain_p=0.0)
    out = augment_dialogue(mixed_many[0], cfg, seed=1)
    assert out.params["augment"]["channels"]["user"]["gain"] == {"applied": False}
    assert out.audio.bytes == mixed_many[0].audio.bytes
