"""The whole stage on real speech: assistant untouched, determinism, clean mix, params, inputs."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
import soundfile as sf
from _augtools import MIX_RATE, channels, only, pcm

from duplexsynth.audio import encode_flac
from duplexsynth.augment import AugmentConfig, AugmentProcessor, augment_dialogue
from duplexsynth.schemas.records import AudioRef, Dialogue, Reject


@pytest.fixture(scope="module")
def everything(rir_cache) -> AugmentConfig:
    return only(gain=True, noise=True, echo=True, reverb=True, chain=True, cache_dir=rir_cache)


def test_assistant_channel_is_bit_exact_and_user_changes(mixed, everything) -> None:
    out = augment_dialogue(mixed, everything, seed=1)
    before, sr0, sub0 = pcm(mixed.audio.bytes)
    after, sr1, sub1 = pcm(out.audio.bytes)
    assert (sr0, sub0, before.shape) == (sr1, sub1, after.shape)
    assert np.array_equal(before[:, 0], after[:, 0])
    assert not np.array_equal(before[:, 1], after[:, 1])
    rec = out.params["augment"]["channels"]
    assert set(rec) == {"user"}
    assert all(
        rec["user"][step]["applied"] for step in ("gain", "noise", "echo", "reverb", "chain")
    )


def test_timeline_and_clean_mix_are_kept(mixed, everything) -> None:
    out = augment_dialogue(mixed, everything, seed=2)
    assert out.clean_audio.bytes == mixed.audio.bytes
    assert out.words == mixed.words and out.turns == mixed.turns
    assert out.duration_s == mixed.duration_s and out.sample_rate == mixed.sample_rate
    assert out.params["mix"] == mixed.params["mix"]  # other stages' params untouched
    again = Dialogue.from_row(out.to_row())
    assert again.params["augment"] == out.params["augment"]
    no_clean = augment_dialogue(
        mixed, AugmentConfig(**{**everything.to_dict(), "keep_clean": False}), 2
    )
    assert no_clean.clean_audio is None and no_clean.audio.bytes == out.audio.bytes


def test_same_seed_same_bytes_other_seed_other_bytes(mixed, everything) -> None:
    a = augment_dialogue(mixed, everything, seed=3)
    b = augment_dialogue(mixed, everything, seed=3)
    c = augment_dialogue(mixed, everything, seed=4)
    assert a.audio.bytes == b.audio.bytes and a.to_row()["params"] == b.to_row()["params"]
    assert a.audio.bytes != c.audio.bytes


def test_steps_draw_from_independent_streams(mixed, everything) -> None:
    full = augment_dialogue(mixed, everything, seed=5).params["augment"]["channels"]["user"]
    cfg = AugmentConfig(**{**everything.to_dict(), "gain": False, "chain": False})
    part = augment_dialogue(mixed, cfg, seed=5).params["augment"]["channels"]["user"]
    assert part["echo"] == full["echo"] and part["reverb"] == full["reverb"]
    assert part["noise"]["wave_seed"] == full["noise"]["wave_seed"]


def test_nothing_applied_returns_the_mix_unchanged(mixed) -> None:
    out = augment_dialogue(mixed, only(), seed=1)
    assert out.audio.bytes == mixed.audio.bytes
    assert out.params["augment"]["changed"] is False


def test_both_channels_when_configured(mixed, rir_cache) -> None:
    cfg = only(echo=True, echo_reverb=False, channels=("user", "assistant"), cache_dir=rir_cache)
    out = augment_dialogue(mixed, cfg, seed=6)
    a0, u0, _ = channels(mixed.audio.bytes)
    a1, u1, _ = channels(out.audio.bytes)
    assert not np.array_equal(a0, a1) and not np.array_equal(u0, u1)
    rec = out.params["augment"]["channels"]
    assert rec["assistant"]["echo"]["source_channel"] == 1
    assert rec["user"]["echo"]["source_channel"] == 0


def test_pcm24_input_keeps_its_subtype_and_exact_assistant(mixed) -> None:
    a, u, sr = channels(mixed.audio.bytes)
    buf = io.BytesIO()
    sf.write(buf, np.stack([a, u], axis=1), sr, format="FLAC", subtype="PCM_24")
    d = mixed.replace(audio=AudioRef(buf.getvalue()))
    out = augment_dialogue(d, only(noise=True), seed=1)
    before, _, _ = pcm(d.audio.bytes)
    after, _, subtype = pcm(out.audio.bytes)
    assert subtype == "PCM_24" and np.array_equal(before[:, 0], after[:, 0])


def test_default_config_runs_and_records_every_step(mixed_many) -> None:
    proc = AugmentProcessor(AugmentConfig(rir_library_size=2, rir_cache=False), seed=1234)
    proc.setup()
    for d in mixed_many:
        out = proc(d)
        rec = out.params["augment"]["channels"]["user"]
        assert set(rec) == {"reverb", "gain", "echo", "noise", "chain", "limiter_gain_db"}
        assert np.array_equal(pcm(out.audio.bytes)[0][:, 0], pcm(d.audio.bytes)[0][:, 0])


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(audio=None), "no mixed audio"),
        (dict(audio=AudioRef(b"not flac")), "cannot be decoded"),
        (dict(audio=AudioRef(encode_flac(np.zeros(4800, np.float32), MIX_RATE))), "1 channel"),
        (dict(sample_rate=16000), "sample_rate field says 16000"),
    ],
)
def test_bad_rows_become_bad_input_rejects(mixed, change, message) -> None:
    result = AugmentProcessor(only(noise=True), seed=1)(mixed.replace(**change))
    assert isinstance(result, Reject)
    assert result.reason == "bad_input" and message in result.detail and mixed.id in result.detail


def test_processor_pickles_without_its_resources(rir_cache, mixed) -> None:
    proc = AugmentProcessor(only(reverb=True, cache_dir=rir_cache), seed=1)
    proc.setup()
    clone = pickle.loads(pickle.dumps(proc))
    assert clone.resources is None and clone.config == proc.config
    assert clone(mixed).audio.bytes == proc(mixed).audio.bytes


def test_config_round_trip_and_errors() -> None:
    cfg = AugmentConfig.from_dict(
        {
            "noise_snr_db_range": [10, 20],
            "channels": "assistant",
            "noise_dirs": ["/x"],
            "gain": False,
        }
    )
    assert cfg.noise_snr_db_range == (10.0, 20.0) and cfg.channels == ("assistant",)
    assert AugmentConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown augment option.*noize_p .did you mean noise_p"):
        AugmentConfig.from_dict({"noize_p": 0.3})
    with pytest.raises(ValueError, match="augment.noise_p: .*less than or equal to 1"):
        AugmentConfig.from_dict({"noise_p": 1.5})
    with pytest.raises(ValueError, match="gain_db_range: min 5.0 is above max"):
        AugmentConfig.from_dict({"gain_db_range": [5, -5]})
    with pytest.raises(ValueError, match="noise_level_mode"):
        AugmentConfig.from_dict({"noise_level_mode": "loud"})
    with pytest.raises(ValueError, match="unknown kind 'rain'"):
        AugmentConfig.from_dict({"noise_kinds": {"rain": 1}})
    with pytest.raises(ValueError, match="augment.gain: .*valid boolean"):
        AugmentConfig.from_dict({"gain": "yes"})
    with pytest.raises(ValueError, match="augment.channels.0: .*got 'left'"):
        AugmentConfig.from_dict({"channels": ["left"]})
