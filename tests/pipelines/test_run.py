"""`duplexsynth run`: the stages chained as one Beam pipeline, config files, summary invariant."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from _writetools import aligned_rows
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.dataset.validate import validate_output
from duplexsynth.pipelines import io
from duplexsynth.pipelines.config import build_run_config, parse_set_option

#: small, fast augment settings for tests (2 simulated rooms, RIRs cached under tmp)
FAST = ["--set", "augment.rir_library_size=2"]


@pytest.fixture(scope="module")
def aligned_root(tmp_path_factory, say) -> Path:
    root = tmp_path_factory.mktemp("aligned")
    rows = aligned_rows(say, 3)
    broken = dict(rows[0], id="broken-no-words", source_index=99)
    broken["turns"] = [dict(t, words=None) for t in rows[0]["turns"]]
    io.write_stage_rows(root, "align", rows + [broken])
    return root


def _run(args: list[str], cache: Path):
    return CliRunner().invoke(
        main, ["run", *args, *FAST, "--set", f"augment.cache_dir={cache}"], catch_exceptions=False
    )


@pytest.fixture(scope="module")
def from_mix(aligned_root: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    res = _run(
        ["--from", "mix", "--input", str(aligned_root), "--output", str(out), "--seed", "11"],
        out / "cache",
    )
    assert res.exit_code == 0, res.output
    assert "[run] done" in res.output and "mix -> augment -> write" in res.output
    return out


def test_chained_stages_write_a_valid_dataset(from_mix: Path) -> None:
    result = validate_output(from_mix)
    assert result.ok, [str(p) for p in result.problems]
    assert result.dialogues == 3
    rows = io.read_folder_rows(from_mix / "dialogues")
    params = json.loads(rows[0]["params"])
    assert {"mix", "augment", "write"} <= set(params) and params["augment"]["seed"] == 11


def test_summary_counts_every_record(from_mix: Path) -> None:
    s = json.loads((from_mix / "summary.json").read_text())
    assert s["stage"] == "run" and s["stages_run"] == ["mix", "augment", "write"]
    assert s["input_records"] == 4 and s["dialogues_written"] == 3
    assert s["rejected_by_stage"]["mix"] == {"bad_input": 1}
    assert s["input_records"] == s["dialogues_written"] + sum(s["rejected"].values())
    assert s["per_stage"]["mix"] == {
        "input": 4,
        "kept": 3,
        "rejected": 1,
        "audio_hours": s["per_stage"]["mix"]["audio_hours"],
    }
    assert s["audio_hours"] > 0.005 and s["wall_s"] > 0
    rejects = io.read_folder_rows(from_mix / "rejects" / "mix")
    assert rejects[0]["id"] == "broken-no-words" and rejects[0]["source_index"] == 99
    assert not (from_mix / ".run").exists()


def test_effective_config_reruns_byte_identically(from_mix: Path, tmp_path: Path) -> None:
    cfg = yaml.safe_load((from_mix / "config.yaml").read_text())
    assert cfg["run"]["seed"] == 11 and cfg["run"]["from_stage"] == "mix"
    assert cfg["augment"]["rir_library_size"] == 2 and cfg["write"]["sample_rate_hz"] == 24000
    assert set(cfg) == {"run", "mix", "augment", "write"}
    res = _run(["--config", str(from_mix / "config.yaml"), "--output", str(tmp_path)], tmp_path)
    assert res.exit_code == 0, res.output
    a = sorted((from_mix / "dialogues").glob("part-*.parquet"))
    b = sorted((tmp_path / "dialogues").glob("part-*.parquet"))
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_config_file_flags_and_set_precedence(aligned_root: Path, tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text(
        '[run]\nseed = 3\nfrom_stage = "augment"\n\n[augment]\nnoise_p = 0.0\n\n'
        "[write]\nsample_rate_hz = 22050\nrow_group_rows = 4\n"
    )
    mixed = tmp_path / "mixed"
    io.write_stage_rows(mixed, "mix", _mixed_rows(aligned_root))
    out = tmp_path / "out"
    res = _run(
        [
            "--config", str(conf), "--input", str(mixed), "--output", str(out),
            "--sample-rate", "16000", "--set", "write.row_group_rows=2", "--limit", "2",
        ],
        tmp_path,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["run"]["seed"] == 3 and cfg["run"]["limit"] == 2  # file, then flag
    assert cfg["augment"]["noise_p"] == 0.0  # from the file
    assert cfg["write"]["sample_rate_hz"] == 16000  # the flag beats the file
    assert cfg["write"]["row_group_rows"] == 2  # --set beats the file
    s = json.loads((out / "summary.json").read_text())
    assert s["input_records"] == 2 and s["stages_run"] == ["augment", "write"]
    assert io.read_folder_rows(out / "dialogues")[0]["sample_rate"] == 16000


def _mixed_rows(aligned_root: Path) -> list[dict]:
    """Mixed rows made by the real mix stage's library entry point (no pipeline)."""
    from duplexsynth.mix.mix import MixProcessor
    from duplexsynth.schemas.records import Dialogue

    mix = MixProcessor(seed=1)
    rows = io.read_stage_rows(aligned_root, "mix", limit=3)
    mixed = [mix(Dialogue.from_row(r)) for r in rows]
    # the broken row becomes a Reject: only real mixed dialogues go into the mixed folder
    return [d.to_row() for d in mixed if isinstance(d, Dialogue)]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "mix.bogus_knob=1"], "bogus_knob"),
        (["--set", "nosuch.key=1"], "unknown section 'nosuch'"),
        (["--set", "novalue"], "SECTION.KEY=VALUE"),
    ],
)
def test_config_errors_are_clean(args, message, aligned_root: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main,
        ["run", "--from", "mix", "--input", str(aligned_root), "--output", str(tmp_path), *args],
    )
    assert res.exit_code == 2 and message in res.output


def test_unknown_file_section_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown config section"):
        build_run_config({"mixx": {}}, stages=("write",))
    assert parse_set_option("augment.noise_p=0.5") == ("augment", "noise_p", 0.5)
    assert parse_set_option("mix.preset=natural") == ("mix", "preset", "natural")


CORPUS = [
    {
        "instruction": "What is a good way to start running?",
        "input": "",
        "output": "Start slowly with short runs a few times a week and build up over a month.",
    },
    {
        "instruction": "Give me a tip for sleeping better.",
        "input": "",
        "output": "Go to bed at the same time every night and keep your bedroom cool and dark.",
    },
    {
        "instruction": "Write a function that adds two numbers.",
        "input": "",
        "output": "```python\ndef add(a, b):\n    return a + b\n```",
    },
]


@pytest.mark.slow
def test_whole_dag_from_a_corpus(tmp_path: Path, monkeypatch) -> None:
    """filter -> rewrite -> synth -> align -> mix -> augment -> write on a tiny corpus, fast
    settings (espeak voices, 2 simulated rooms), then validate, report and both exports."""
    monkeypatch.setenv("DUPLEXSYNTH_CACHE", str(tmp_path / "cache"))
    corpus = tmp_path / "tiny.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in CORPUS))
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "run", "--input", str(corpus), "--output", str(out), "--voice-bank", "espeak",
            "--set", "augment.rir_library_size=2", "--progress-every", "0.5",
            "--workers", "1",  # one process: its progress lines reach CliRunner's capture
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "[run] done" in res.output
    progress = (
        r"\[run +\d+s\] \d/3 dialogues \([\d.]+/s\), [\d.]+ h audio .*kept/rejected: \w+ \d+/\d+"
    )
    assert re.search(progress, res.output), res.output
    s = json.loads((out / "summary.json").read_text())
    assert s["stages_run"] == ["filter", "rewrite", "synth", "align", "mix", "augment", "write"]
    assert s["input_records"] == 3 and s["dialogues_written"] == 2
    assert s["rejected_by_stage"]["filter"] == {"code": 1}
    assert s["per_stage"]["synth"]["audio_hours"] > 0
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert list(cfg) == ["run", "filter", "rewrite", "synth", "align", "mix", "augment", "write"]
    assert cfg["synth"]["voice_bank"] == "espeak" and cfg["run"]["input"] == [str(corpus)]
    result = validate_output(out)
    assert result.ok, [str(p) for p in result.problems]
    runner = CliRunner()
    assert runner.invoke(main, ["report", str(out)]).exit_code == 0
    assert "| filter | code | 1 |" in (out / "README.md").read_text()
    assert runner.invoke(main, ["export", "moshi", str(out), str(tmp_path / "m")]).exit_code == 0
    assert len((tmp_path / "m" / "dataset.jsonl").read_text().splitlines()) == 2


def test_run_preflight_fails_fast_on_an_unconfigured_tts_server(tmp_path: Path) -> None:
    """A bank with OpenAI-compatible voices but no --tts-base-url stops before any pipeline step."""
    bank = tmp_path / "bank.yaml"
    bank.write_text(
        "version: 1\nassistant: srv-a\nvoices:\n"
        "  - {id: srv-a, backend: openai, params: {voice: alloy}, role: assistant}\n"
        "  - {id: srv-u, backend: openai, params: {voice: echo}}\n"
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", "--output", str(out), "--voice-bank", str(bank)])
    assert res.exit_code == 2, res.output
    assert "--tts-base-url" in res.output
    assert not (out / "dialogues").exists()
