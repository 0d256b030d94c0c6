"""`duplexsynth preview`: one dialogue drawn (both channels, words, events) and its WAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _writetools import SR, augmented_rows
from click.testing import CliRunner
from test_report import TAB_BLUE, TAB_RED, coloured_pixels

from duplexsynth.cli.main import main
from duplexsynth.pipelines.write import finalize_rows, write_dialogue_rows


@pytest.fixture(scope="module")
def out_root(tmp_path_factory, say) -> Path:
    root = tmp_path_factory.mktemp("prev")
    kept, _ = finalize_rows(augmented_rows(say, 2))
    write_dialogue_rows(root, kept, None)
    return root


def test_preview_png_and_wav(out_root: Path) -> None:
    res = CliRunner().invoke(main, ["preview", str(out_root), "dlg-0001"])
    assert res.exit_code == 0, res.output
    png = out_root / "preview" / "dlg-0001.png"
    wav = out_root / "preview" / "dlg-0001.wav"
    audio, sr = sf.read(wav)
    assert sr == SR and audio.shape[1] == 2 and np.abs(audio[:, 0]).max() > 0.1
    from PIL import Image

    img = Image.open(png)
    w, h = img.size
    assert w >= 800 and h >= 500
    top = png.with_name("top.png")
    bottom = png.with_name("bottom.png")
    img.crop((0, 0, w, h // 2)).save(top)
    img.crop((0, h // 2, w, h)).save(bottom)
    # the assistant's waveform (red) is drawn in the top panel, the user's (blue) below
    assert coloured_pixels(top, TAB_RED) > 2000 and coloured_pixels(top, TAB_BLUE) < 200
    assert coloured_pixels(bottom, TAB_BLUE) > 2000 and coloured_pixels(bottom, TAB_RED) < 200
    # word boundaries: many thin dark vertical lines in the plot area
    gray = np.asarray(img.convert("L"), dtype=float)
    dark_columns = np.sum((gray[h // 10 : h // 2] < 150).mean(axis=0) > 0.5)
    assert dark_columns >= 10


def test_unknown_id_is_a_clean_error(out_root: Path) -> None:
    res = CliRunner().invoke(main, ["preview", str(out_root), "nope"])
    assert res.exit_code == 2 and "no dialogue with id 'nope'" in res.output
