"""Exports read back by their consumers: Lhotse with lhotse itself, moshi-finetune with a reader
that follows how its data loader uses the files (manifest paths relative to the manifest's
folder, ``splitext(path)[0] + ".json"``, bisection on start times, SPEAKER_MAIN filtering)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _writetools import SR, augmented_rows
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.dataset.export.moshi import SPEAKER_MAIN, SPEAKER_USER, moshi_alignments
from duplexsynth.pipelines.write import finalize_rows, write_dialogue_rows


@pytest.fixture(scope="module")
def final_root(tmp_path_factory, say) -> Path:
    root = tmp_path_factory.mktemp("final")
    kept, rejects = finalize_rows(augmented_rows(say, 3))
    assert not rejects
    write_dialogue_rows(root, kept)
    return root


@pytest.fixture(scope="module")
def final_rows(final_root: Path) -> dict[str, dict]:
    from duplexsynth.dataset.shards import iter_dialogues

    return {r["id"]: r for r in iter_dialogues(final_root)}


# ------------------------------------------------------------ moshi-finetune, as its loader reads
def _bisect_start(alignments, value: float, lo: int = 0, hi: int | None = None) -> int:
    """First index whose start is >= value (moshi-finetune's dichotomy on a[1][0])."""
    hi = len(alignments) if hi is None else hi
    while lo < hi:
        mid = (lo + hi) // 2
        if alignments[mid][1][0] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def read_moshi_window(manifest: Path, index: int, start_s: float, duration_s: float):
    """(stereo audio window, main-speaker words with window-relative times) of one entry."""
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    entry = entries[index]
    path = os.path.join(manifest.parent, entry["path"])
    audio, sr = sf.read(path, dtype="float32", always_2d=True)
    with open(os.path.splitext(path)[0] + ".json") as fh:
        alignments = json.load(fh)["alignments"]
    lo = _bisect_start(alignments, start_s)
    hi = _bisect_start(alignments, start_s + duration_s)
    window = [(a[0], (a[1][0] - start_s, a[1][1] - start_s), a[2]) for a in alignments[lo:hi]]
    main_words = [a for a in window if a[2] == SPEAKER_MAIN and a[1][0] < a[1][1]]
    i0 = int(start_s * sr)
    return entry, audio[i0 : i0 + int(duration_s * sr)], sr, main_words, alignments


def test_moshi_export_reads_back_like_moshi_finetune(final_root, final_rows, tmp_path) -> None:
    dest = tmp_path / "moshi"
    res = CliRunner().invoke(main, ["export", "moshi", str(final_root), str(dest)])
    assert res.exit_code == 0, res.output
    manifest = dest / "dataset.jsonl"
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert len(entries) == 3 and all(not os.path.isabs(e["path"]) for e in entries)
    for i, e in enumerate(entries):
        did = Path(e["path"]).stem
        row = final_rows[did]
        entry, window, sr, main_words, alignments = read_moshi_window(manifest, i, 1.0, 3.0)
        assert sr == SR and window.shape[1] == 2
        assert abs(entry["duration"] - row["duration_s"]) < 1e-3
        # sorted by start across both speakers, both labels present, no zero-length words
        starts = [a[1][0] for a in alignments]
        assert starts == sorted(starts)
        assert {a[2] for a in alignments} == {SPEAKER_MAIN, SPEAKER_USER}
        assert all(a[1][1] > a[1][0] for a in alignments)
        n_main = sum(1 for w in row["words"] if w["channel"] == 0)
        assert sum(1 for a in alignments if a[2] == SPEAKER_MAIN) == n_main
        # the main speaker's words fall on speech in channel 0 (left) of the window
        assert main_words
        for _word, (s, t), _ in main_words:
            seg = window[max(0, int(s * sr)) : int(t * sr), 0]
            if len(seg):
                assert np.abs(seg).max() > 0.01


def test_moshi_skips_existing_unless_overwrite(final_root, tmp_path) -> None:
    dest = tmp_path / "m"
    runner = CliRunner()
    assert runner.invoke(main, ["export", "moshi", str(final_root), str(dest)]).exit_code == 0
    wav = sorted((dest / "data_stereo").glob("*.wav"))[0]
    wav.write_bytes(b"placeholder")
    res = runner.invoke(main, ["export", "moshi", str(final_root), str(dest)])
    assert "3 already there" in res.output and wav.read_bytes() == b"placeholder"
    res = runner.invoke(main, ["export", "moshi", str(final_root), str(dest), "--overwrite"])
    assert res.exit_code == 0 and sf.info(str(wav)).channels == 2
    assert not list(dest.rglob(".*.tmp"))


def test_moshi_alignments_drop_empty_words_and_label_speakers() -> None:
    words = [
        {"word": "late", "start_s": 2.0, "end_s": 2.3, "channel": 1},
        {"word": "zero", "start_s": 1.0, "end_s": 1.0, "channel": 0},
        {"word": "early", "start_s": 0.5, "end_s": 0.9, "channel": 0},
        {"word": "back", "start_s": 0.1, "end_s": 0.05, "channel": 1},
    ]
    assert moshi_alignments(words) == [
        ["early", [0.5, 0.9], SPEAKER_MAIN],
        ["late", [2.0, 2.3], SPEAKER_USER],
    ]
    assert moshi_alignments(words, include_user=False) == [["early", [0.5, 0.9], SPEAKER_MAIN]]


# ----------------------------------------------------------------------------------- Lhotse
def test_lhotse_export_loads_with_lhotse(final_root, final_rows, tmp_path) -> None:
    lhotse = pytest.importorskip("lhotse")
    from lhotse import CutSet, RecordingSet, SupervisionSet
    from lhotse.qa import validate_recordings_and_supervisions

    dest = tmp_path / "lh"
    res = CliRunner().invoke(main, ["export", "lhotse", str(final_root), str(dest), "--shar"])
    assert res.exit_code == 0, res.output
    recs = RecordingSet.from_file(dest / "recordings.jsonl.gz")
    sups = SupervisionSet.from_file(dest / "supervisions.jsonl.gz")
    validate_recordings_and_supervisions(recs, sups)
    assert len(recs) == 3
    for rec in recs:
        row = final_rows[rec.id]
        assert rec.num_channels == 2 and rec.channel_ids == [0, 1]
        audio = rec.load_audio()
        assert audio.shape == (2, rec.num_samples) and rec.sampling_rate == SR
        rsups = [s for s in sups if s.recording_id == rec.id]
        assert len(rsups) == len(row["turns"])
        for s in rsups:
            turn = row["turns"][s.custom["turn_index"]]
            assert s.channel == turn["channel"] and s.text == turn["text"]
            assert s.speaker == turn["voice"] and s.custom["role"] == turn["speaker"]
            items = s.alignment["word"]
            assert [a.symbol for a in items] == turn["text"].split()
            for a in items:  # recording-relative times inside the supervision, on speech
                assert s.start - 1e-6 <= a.start and a.end <= s.end + 1e-6
                seg = audio[s.channel, int(a.start * SR) : int(a.end * SR)]
                assert np.abs(seg).max() > 0.01
    cuts = CutSet.from_file(dest / "cuts.jsonl.gz")
    cut = cuts[0]
    assert isinstance(cut, lhotse.MultiCut) and cut.num_channels == 2
    assert cut.load_audio().shape[0] == 2
    shar = CutSet.from_shar(in_dir=dest / "shar")
    loaded = list(shar)
    assert len(loaded) == 3 and loaded[0].load_audio().shape[0] == 2


def test_export_errors_are_clean(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(
        main, ["export", "moshi", str(tmp_path / "empty"), str(tmp_path / "d")]
    )
    assert res.exit_code == 2 and "duplexsynth run" in res.output
