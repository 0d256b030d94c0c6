"""Echo: the assistant's speech shows up in the user channel at the recorded delay and scale."""

from __future__ import annotations

import numpy as np
import pytest
from _augtools import channels, only, xcorr_lag

from duplexsynth.augment import augment_dialogue


@pytest.mark.parametrize("through_room", [False, True])
def test_echo_sits_at_the_recorded_delay(mixed, rir_cache, through_room) -> None:
    cfg = only(
        echo=True,
        echo_reverb=through_room,
        echo_scale_range=(0.1, 0.2),
        cache_dir=rir_cache,
    )
    for seed in (1, 2):
        out = augment_dialogue(mixed, cfg, seed=seed)
        rec = out.params["augment"]["channels"]["user"]["echo"]
        a0, u0, sr = channels(mixed.audio.bytes)
        a1, u1, _ = channels(out.audio.bytes)
        assert np.array_equal(a0, a1)  # the assistant channel is untouched
        echo = u1 - u0
        lag = xcorr_lag(echo, a0)
        assert rec["delay_samples"] == round(rec["delay_ms"] * sr / 1000)
        assert 100 <= rec["delay_ms"] <= 500
        tolerance = int(0.002 * sr) if through_room else 1
        assert abs(lag - rec["delay_samples"]) <= tolerance, (lag, rec)
        assert (rec["rir"] is not None) == through_room
        if not through_room:  # exact copy: least-squares scale equals the recorded one
            d = rec["delay_samples"]
            ref = np.concatenate([np.zeros(d), a0[: a0.size - d]])
            scale = float(np.dot(echo, ref) / np.dot(ref, ref))
            assert abs(scale - rec["scale"]) < 0.002


def test_echo_scale_zero_adds_nothing_audible(mixed) -> None:
    cfg = only(echo=True, echo_reverb=False, echo_scale_range=(0.0, 0.0))
    out = augment_dialogue(mixed, cfg, seed=1)
    _, u0, _ = channels(mixed.audio.bytes)
    _, u1, _ = channels(out.audio.bytes)
    assert np.array_equal(u0, u1)
