"""`duplexsynth report`: a dataset card with real figures and plots that show data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _writetools import augmented_rows
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.pipelines import io
from duplexsynth.pipelines.write import finalize_rows, write_dialogue_rows
from duplexsynth.schemas.records import Reject


def coloured_pixels(png: Path, rgb: tuple[float, float, float], tol: float = 0.12) -> int:
    """Pixels of ``png`` within ``tol`` of colour ``rgb`` (0..1)."""
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB"), dtype=np.float64) / 255.0
    return int(np.sum(np.all(np.abs(img - np.asarray(rgb)) < tol, axis=-1)))


def non_background(png: Path) -> float:
    from PIL import Image

    img = np.asarray(Image.open(png).convert("L"), dtype=np.float64)
    return float(np.mean(img < 240))


TAB_BLUE = (0.12, 0.47, 0.71)
TAB_ORANGE = (1.0, 0.5, 0.05)
TAB_RED = (0.84, 0.15, 0.16)


@pytest.fixture(scope="module")
def out_root(tmp_path_factory, say) -> Path:
    root = tmp_path_factory.mktemp("rep")
    kept, _ = finalize_rows(augmented_rows(say, 3))
    write_dialogue_rows(root, kept)
    rejects = [
        Reject("s.jsonl", 7, None, "filter", "code", "fenced code block").to_row(),
        Reject("s.jsonl", 8, None, "filter", "code", "inline code").to_row(),
        Reject("s.jsonl", 9, None, "synth", "tts_error", "engine failed", "dlg-x").to_row(),
    ]
    io.write_rejects(root, "filter", rejects[:2])
    io.write_rejects(root, "synth", rejects[2:])
    res = CliRunner().invoke(main, ["report", str(root)])
    assert res.exit_code == 0, res.output
    return root


def test_card_has_the_figures(out_root: Path) -> None:
    card = (out_root / "README.md").read_text()
    assert card.startswith("---\nconfigs:")  # Hugging Face front matter
    assert "| dialogues | 3 |" in card
    assert "| turns | 12 (6 user, 6 assistant) |" in card
    assert "| backchannels | 3 |" in card
    assert "| filter | code | 2 |" in card and "| synth | tts_error | 1 |" in card
    assert "| user.noise | 3 | 100% |" in card and "| user.echo | 2 | 67% |" in card
    assert "| overlap |" in card and "human (Fisher)" in card
    stats = json.loads((out_root / "report" / "stats.json").read_text())
    assert stats["dialogues"] == 3 and stats["words"] > 90
    realism = stats["realism"]
    # the fabricated dialogues have one overlap per dialogue and gaps around 0.3-0.6 s
    assert realism["overlap"]["count"] >= 3 and realism["gap"]["count"] >= 3
    assert 0.2 < realism["gap"]["mean_s"] < 0.8
    for name in ("gaps_overlaps", "realism", "durations", "voices", "augmentation"):
        assert f"report/{name}.png" in card


def test_plots_show_data(out_root: Path) -> None:
    rdir = out_root / "report"
    for png in rdir.glob("*.png"):
        assert png.stat().st_size > 5000, png
        assert non_background(png) > 0.02, png
    # bars of both histograms are drawn (blue gaps, orange overlaps)
    assert coloured_pixels(rdir / "gaps_overlaps.png", TAB_BLUE) > 500
    assert coloured_pixels(rdir / "gaps_overlaps.png", TAB_ORANGE) > 500
    # one bar for the assistant voice, one for the user voice
    assert coloured_pixels(rdir / "voices.png", TAB_RED) > 500
    assert coloured_pixels(rdir / "voices.png", TAB_BLUE) > 500


def test_report_is_deterministic(out_root: Path) -> None:
    before = {p.name: p.read_bytes() for p in (out_root / "report").glob("*")}
    card = (out_root / "README.md").read_bytes()
    assert CliRunner().invoke(main, ["report", str(out_root)]).exit_code == 0
    assert {p.name: p.read_bytes() for p in (out_root / "report").glob("*")} == before
    assert (out_root / "README.md").read_bytes() == card


def test_report_against_real_recordings(out_root: Path, tmp_path: Path) -> None:
    """--reference measures real stereo recordings and puts their distributions beside ours."""
    from bench.slow_recordings import write_recordings

    write_recordings(tmp_path / "rec", conversations=2, seed=5)
    res = CliRunner().invoke(main, ["report", str(out_root), "--reference", str(tmp_path / "rec")])
    assert res.exit_code == 0, res.output
    card = (out_root / "README.md").read_text()
    assert "### Against the reference" in card
    pause_row = [line for line in card.splitlines() if line.startswith("| pause |")][-1]
    assert pause_row.count(" / ") == 6  # mean/median/p10/p90 for this dataset and the reference
    ref = json.loads((out_root / "report" / "stats.json").read_text())["reference"]
    # the recordings pause and wait much longer than the dataset's own gaps (~0.3-0.6 s)
    assert ref["gap"]["median_s"] > 0.5 and ref["pause"]["median_s"] > 0.6
    assert CliRunner().invoke(main, ["report", str(out_root)]).exit_code == 0
