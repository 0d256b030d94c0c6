"""Noise: measured levels match the sampled ones, intermittent noise is silent between spans,
noise directories with odd files are indexed with warnings and never fail a run."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _augtools import channels, db, only, pcm, user_spans_mask

from duplexsynth.augment import AugmentProcessor, AugmentResources, augment_dialogue
from duplexsynth.augment.config import NOISE_KINDS
from duplexsynth.augment.sources import scan_audio_dirs
from duplexsynth.schemas.records import AudioRef


def _noise_only(clean, out):
    a0, u0, sr = channels(clean.audio.bytes)
    a1, u1, _ = channels(out.audio.bytes)
    return a0, a1, u0, u1 - u0, sr


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_measured_snr_matches_sampled(mixed, kind) -> None:
    cfg = only(
        noise=True,
        noise_level_mode="snr",
        noise_snr_db_range=(0.0, 20.0),
        noise_intermittent_p=0.0,
        noise_kinds={kind: 1.0},
    )
    out = augment_dialogue(mixed, cfg, seed=11)
    rec = out.params["augment"]["channels"]["user"]
    assert rec["noise"]["kind"] == kind and rec["limiter_gain_db"] == 0.0
    a0, a1, u0, noise, sr = _noise_only(mixed, out)
    assert np.array_equal(a0, a1)
    speech_power = np.mean(u0[user_spans_mask(mixed, u0.size, sr)] ** 2)
    measured = db(speech_power) - db(np.mean(noise**2))
    assert abs(measured - rec["noise"]["level_db"]) < 1.0, (kind, measured, rec["noise"])


def test_intermittent_noise_is_silent_between_segments(mixed) -> None:
    cfg = only(
        noise=True,
        noise_level_mode="snr",
        noise_snr_db_range=(5.0, 5.0),
        noise_intermittent_p=1.0,
        noise_on_s_range=(1.5, 3.0),
        noise_off_s_range=(1.0, 2.5),
        noise_kinds={"pink": 1.0},
    )
    out = augment_dialogue(mixed, cfg, seed=5)
    rec = out.params["augment"]["channels"]["user"]["noise"]
    assert rec["intermittent"] and len(rec["segments"]) >= 2
    _, _, u0, noise, sr = _noise_only(mixed, out)
    on = np.zeros(noise.size, dtype=bool)
    inner = np.zeros(noise.size, dtype=bool)
    fade = int(rec["fade_ms"] / 1000 * sr)
    for a, b in rec["segments"]:
        on[int(round(a * sr)) : int(round(b * sr))] = True
        inner[int(round(a * sr)) + fade + 1 : int(round(b * sr)) - fade - 1] = True
    assert np.max(np.abs(noise[~on])) < 2**-14  # silent (FLAC rounding only)
    measured = db(np.mean(u0[user_spans_mask(mixed, u0.size, sr)] ** 2)) - db(
        np.mean(noise[inner] ** 2)
    )
    assert abs(measured - 5.0) < 1.0


@pytest.mark.parametrize("mode", ["relative", "dbfs"])
def test_relative_and_dbfs_levels(mixed, mode) -> None:
    cfg = only(
        noise=True,
        noise_level_mode=mode,
        noise_relative_db_range=(-20.0, -5.0),
        noise_dbfs_range=(-50.0, -35.0),
        noise_intermittent_p=0.0,
        noise_kinds={"brown": 1.0},
    )
    out = augment_dialogue(mixed, cfg, seed=2)
    rec = out.params["augment"]["channels"]["user"]["noise"]
    _, _, u0, noise, sr = _noise_only(mixed, out)
    if mode == "dbfs":
        measured = db(np.mean(noise**2))
    else:
        measured = db(np.mean(noise**2)) - db(np.mean(u0[user_spans_mask(mixed, u0.size, sr)] ** 2))
    assert abs(measured - rec["level_db"]) < 1.0


def test_babble_is_built_from_the_rows_own_speech(mixed) -> None:
    cfg = only(noise=True, noise_intermittent_p=0.0, noise_kinds={"babble": 1.0})
    rec = augment_dialogue(mixed, cfg, seed=3).params["augment"]["channels"]["user"]["noise"]
    turn_ids = {t.turn_index for t in mixed.turns}
    assert 3 <= len(rec["babble"]) <= 6
    assert all(t["source"] == "turn" and t["index"] in turn_ids for t in rec["babble"])
    # without TTS clips in the row, babble falls back to speech-shaped noise and says so
    bare = mixed.replace(turns=tuple(t.replace(audio=None) for t in mixed.turns))
    rec2 = augment_dialogue(bare, cfg, seed=3).params["augment"]["channels"]["user"]["noise"]
    assert rec2["kind"] == "speech_shaped" and "babble" in rec2["note"]
    # a clip that cannot be decoded falls back the same way instead of losing the dialogue
    broken = mixed.replace(turns=tuple(t.replace(audio=AudioRef(b"not flac")) for t in mixed.turns))
    rec3 = augment_dialogue(broken, cfg, seed=3).params["augment"]["channels"]["user"]["noise"]
    assert rec3["kind"] == "speech_shaped" and "babble clip unreadable" in rec3["note"]


def _write_noise(path: Path, seconds: float, sr: int, channels: int = 1, seed: int = 0) -> None:
    g = np.random.default_rng(seed)
    x = (0.1 * g.standard_normal((int(seconds * sr), channels))).astype(np.float32)
    sf.write(path, x, sr)


@pytest.fixture()
def odd_noise_dir(tmp_path: Path) -> Path:
    root = tmp_path / "noise"
    (root / "free-sound").mkdir(parents=True)
    (root / "sound-bible").mkdir()
    (root / "README.txt").write_text("noise corpus notes\n")
    (root / "free-sound" / "fake.wav").write_text("this is not audio at all")
    (root / "free-sound" / "empty.wav").write_bytes(b"")
    _write_noise(root / "free-sound" / "phone-8k.wav", 3.0, 8000, seed=1)
    _write_noise(root / "sound-bible" / "street-stereo.flac", 2.0, 44100, channels=2, seed=2)
    sf.write(root / "sound-bible" / "tiny.wav", np.zeros(10, np.float32), 16000)
    return root


def test_odd_noise_files_are_skipped_with_warnings(odd_noise_dir: Path, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="duplexsynth.augment"):
        index = scan_audio_dirs([str(odd_noise_dir)], what="noise dir", min_duration_s=0.5)
    assert sorted(f.rel_path for f in index.files) == [
        "free-sound/phone-8k.wav",
        "sound-bible/street-stereo.flac",
    ]
    assert {f.category for f in index.files} == {"free-sound", "sound-bible"}
    text = caplog.text
    for name in ("fake.wav", "empty.wav", "tiny.wav", "README.txt"):
        assert name in text, name
    assert "8000 Hz" in text and "downmixed" in text
    assert index.skipped.keys() >= {"unreadable", "empty", "too short", "not audio"}


def test_noise_from_files_hits_the_sampled_snr(odd_noise_dir: Path, mixed_many) -> None:
    cfg = only(
        noise=True,
        noise_dirs=(str(odd_noise_dir),),
        noise_level_mode="snr",
        noise_snr_db_range=(0.0, 15.0),
        noise_intermittent_p=0.0,
    )
    proc = AugmentProcessor(cfg, seed=7)
    proc.setup()
    used = set()
    for d in mixed_many:
        out = proc(d)
        rec = out.params["augment"]["channels"]["user"]["noise"]
        assert rec["source"] == "file"
        used.add(rec["file"]["rel_path"])
        _, _, u0, noise, sr = _noise_only(d, out)
        measured = db(np.mean(u0[user_spans_mask(d, u0.size, sr)] ** 2)) - db(np.mean(noise**2))
        assert abs(measured - rec["level_db"]) < 1.0
    assert used <= {"free-sound/phone-8k.wav", "sound-bible/street-stereo.flac"}


def test_dir_without_usable_files_falls_back_to_generated(tmp_path: Path, mixed, caplog) -> None:
    (tmp_path / "bad.wav").write_text("nope")
    cfg = only(noise=True, noise_dirs=(str(tmp_path),))
    with caplog.at_level(logging.WARNING, logger="duplexsynth.augment"):
        res = AugmentResources.build(cfg, seed=1)
    assert len(res.noise_index) == 0 and "generated noise is used instead" in caplog.text
    rec = augment_dialogue(mixed, cfg, 1, resources=res).params["augment"]["channels"]["user"]
    assert rec["noise"]["source"] == "generated"


def test_missing_noise_dir_is_a_clear_error(tmp_path: Path) -> None:
    cfg = only(noise=True, noise_dirs=(str(tmp_path / "nope"),))
    with pytest.raises(ValueError, match="does not exist"):
        AugmentResources.build(cfg, seed=1)


def test_noise_file_that_breaks_after_indexing_falls_back(odd_noise_dir: Path, mixed) -> None:
    cfg = only(noise=True, noise_dirs=(str(odd_noise_dir),), noise_intermittent_p=0.0)
    res = AugmentResources.build(cfg, seed=1)
    for f in res.noise_index.files:
        Path(f.path).write_bytes(b"garbage")
    out = augment_dialogue(mixed, cfg, 1, resources=res)
    rec = out.params["augment"]["channels"]["user"]["noise"]
    assert rec["kind"] == "pink" and "unreadable" in rec["note"]
    assert pcm(out.audio.bytes)[0].shape == pcm(mixed.audio.bytes)[0].shape
