"""The shared audio level helpers (duplexsynth.audio)."""

from __future__ import annotations

import numpy as np

from duplexsynth.audio import (
    amplitude_db,
    db_to_gain,
    db_to_power,
    frame_power,
    frame_rms,
    gain_to_db,
    power_db,
    rms,
)


def test_frame_rms_drops_or_pads_the_tail() -> None:
    x = np.concatenate([np.full(4, 0.5), np.full(4, -0.25), np.full(2, 1.0)])
    assert np.allclose(frame_rms(x, 4), [0.5, 0.25])
    assert np.allclose(frame_rms(x, 4, pad=True), [0.5, 0.25, np.sqrt(0.5)])
    assert np.allclose(frame_power(x, 4), [0.25, 0.0625])
    assert frame_rms(x[:3], 4).size == 0
    assert rms(np.full(7, -0.5)) == 0.5 and rms(np.zeros(0)) == 0.0


def test_decibels_round_trip() -> None:
    assert abs(gain_to_db(db_to_gain(-6.0)) + 6.0) < 1e-9
    assert abs(power_db(db_to_power(-13.0)) + 13.0) < 1e-9
    assert abs(amplitude_db(0.1) + 20.0) < 1e-9
    assert amplitude_db(0.0) == -240.0
    assert gain_to_db(0.0) == -120.0 and power_db(0.0) == -200.0
