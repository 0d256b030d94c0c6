"""Rooms: the simulated RIR library is cached and reused; measured RIRs load; reverb keeps time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _augtools import channels, only, xcorr_lag

from duplexsynth.augment import AugmentProcessor, augment_dialogue, rooms
from duplexsynth.augment.rooms import finish_rir


def test_rir_library_is_simulated_once_then_loaded(tmp_path: Path, monkeypatch) -> None:
    cfg = only(reverb=True, cache_dir=str(tmp_path), rir_library_size=2)
    first = AugmentProcessor(cfg, seed=9)
    first.setup()
    assert first.resources.rirs.origin == "simulated"
    assert len(list(tmp_path.rglob("*.npz"))) == 1

    def boom(*_a, **_k):
        raise AssertionError("simulated again instead of loading the cache")

    monkeypatch.setattr(rooms, "simulate_library", boom)
    second = AugmentProcessor(cfg, seed=9)
    second.setup()
    lib1, lib2 = first.resources.rirs, second.resources.rirs
    assert lib2.origin == "cache" and len(lib2) == 2
    assert all(np.array_equal(a, b) for a, b in zip(lib1.rirs, lib2.rirs))
    assert lib1.onsets == lib2.onsets and lib1.info == lib2.info
    # another seed is another library: it must simulate (and here, fail loudly)
    with pytest.raises(AssertionError, match="simulated again"):
        AugmentProcessor(cfg, seed=10).setup()


def test_simulated_rooms_follow_the_config(tmp_path: Path) -> None:
    cfg = only(reverb=True, cache_dir=str(tmp_path), rir_library_size=3, rir_max_s=0.5)
    lib = rooms.build_rir_library(cfg, seed=4)
    for h, onset, info in zip(lib.rirs, lib.onsets, lib.info):
        assert abs(float(np.sum(h.astype(np.float64) ** 2)) - 1.0) < 1e-4
        assert onset == int(np.argmax(np.abs(h)))
        assert h.size <= onset + 0.5 * 24000
        assert 3.0 <= info["room_dims_m"][0] <= 5.0 and 0.15 <= info["rt60_target_s"] <= 0.35
        src, mic = np.array(info["source_m"]), np.array(info["mic_m"])
        assert abs(np.linalg.norm(src - mic) - info["distance_m"]) < 0.01
        assert info["distance_m"] <= 2.5 + 0.01
        assert all(0 < v < d for p in (src, mic) for v, d in zip(p, info["room_dims_m"]))


def test_reverb_does_not_move_speech_in_time(mixed, rir_cache) -> None:
    cfg = only(reverb=True, cache_dir=rir_cache)
    out = augment_dialogue(mixed, cfg, seed=3)
    rec = out.params["augment"]["channels"]["user"]["reverb"]
    assert rec["applied"] and "room_dims_m" in rec["rir"]
    a0, u0, _ = channels(mixed.audio.bytes)
    a1, u1, _ = channels(out.audio.bytes)
    assert np.array_equal(a0, a1)
    assert not np.array_equal(u0, u1)
    assert xcorr_lag(u1, u0) == 0
    assert out.words == mixed.words and out.turns == mixed.turns
    assert out.duration_s == mixed.duration_s


def _write_rir(path: Path, sr: int, onset_s: float, channels: int = 1, seed: int = 0) -> None:
    g = np.random.default_rng(seed)
    n = int(0.4 * sr)
    t = np.arange(n) / sr
    tail = 0.05 * g.standard_normal(n) * np.exp(-t / 0.06)
    h = np.where(t >= onset_s, tail, 0.0)
    h[int(onset_s * sr)] = 0.8
    sf.write(path, np.repeat(h[:, None], channels, axis=1).astype(np.float32), sr)


def test_measured_rirs_are_loaded_from_a_directory(tmp_path: Path, mixed) -> None:
    rir_dir = tmp_path / "rirs" / "room-a"
    rir_dir.mkdir(parents=True)
    _write_rir(rir_dir / "near.wav", 16000, 0.010)
    _write_rir(rir_dir / "far-stereo.wav", 48000, 0.020, channels=2, seed=1)
    (rir_dir / "notes.txt").write_text("measured in room a")
    (rir_dir / "broken.wav").write_text("not audio")
    cfg = only(reverb=True, rir_dir=str(tmp_path / "rirs"))
    proc = AugmentProcessor(cfg, seed=1)
    proc.setup()
    lib = proc.resources.rirs
    assert lib.origin == "measured" and len(lib) == 2 and lib.sample_rate == 24000
    by_name = {Path(i["path"]).name: k for k, i in enumerate(lib.info)}
    assert abs(lib.onsets[by_name["near.wav"]] - 0.010 * 24000) <= 2
    assert abs(lib.onsets[by_name["far-stereo.wav"]] - 0.020 * 24000) <= 2
    out = proc(mixed)
    rec = out.params["augment"]["channels"]["user"]["reverb"]
    assert rec["rir"]["library"] == "measured" and rec["rir"]["path"].endswith(".wav")
    _, u0, _ = channels(mixed.audio.bytes)
    _, u1, _ = channels(out.audio.bytes)
    assert xcorr_lag(u1, u0) == 0
    picked = rooms.build_rir_library(
        only(reverb=True, rir_dir=str(tmp_path / "rirs"), rir_include=("*/near*",)), seed=1
    )
    assert [Path(i["path"]).name for i in picked.info] == ["near.wav"]


def test_empty_rir_dir_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("no rirs here")
    with pytest.raises(ValueError, match="no usable impulse response"):
        rooms.build_rir_library(only(reverb=True, rir_dir=str(tmp_path)), seed=1)


def test_finish_rir_cuts_the_decay_and_keeps_the_onset() -> None:
    sr = 16000
    t = np.arange(sr) / sr
    h = np.exp(-t / 0.02) * np.random.default_rng(0).standard_normal(sr)
    h = np.concatenate([np.zeros(50), [5.0], h])
    out, onset, length_s = finish_rir(h, sr, max_s=2.0)
    assert onset == 50 and out.size < h.size and length_s < 0.5
    with pytest.raises(ValueError):
        finish_rir(np.zeros(100), sr, 1.0)
