"""``duplexsynth run --language zh`` end to end on the bundled Chinese sample (Belle and Moss
records written for this project), and ``--language auto`` on a corpus mixing English and
Chinese dialogues: every record accounted for, a valid dataset, Chinese words in the rows and in
both exports, a report card."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from duplexsynth.cli.main import main
from duplexsynth.dataset.validate import validate_output
from duplexsynth.filter import sample_corpus_dir
from duplexsynth.lang import has_han, word_tokens


def _rows(out: Path) -> list[dict]:
    return [
        r
        for f in sorted((out / "dialogues").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    ]


def _records(folder: Path) -> int:
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob("*.jsonl"))


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("zh")
    out = tmp / "out"
    res = CliRunner().invoke(
        main,
        ["run", "--language", "zh", "--output", str(out), "--set", "augment.rir_library_size=2"],
        env={"DUPLEXSYNTH_CACHE": str(tmp / "cache")},
    )
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.slow
def test_bundled_chinese_sample_runs_end_to_end(zh_run: Path) -> None:
    s = json.loads((zh_run / "summary.json").read_text())
    n = _records(sample_corpus_dir("zh"))
    assert s["input_records"] == n
    assert s["dialogues_written"] + sum(s["rejected"].values()) == n
    # the sample holds one code, one LaTeX, one URL and one English record on purpose
    assert s["rejected_by_stage"]["filter"] == {"code": 1, "math": 1, "url": 1, "language": 1}
    assert s["dialogues_written"] == n - 4
    for stage in ("rewrite", "synth", "align", "mix", "augment", "write"):
        assert s["per_stage"][stage]["rejected"] == 0, stage
    result = validate_output(zh_run)
    assert result.ok, [str(p) for p in result.problems]


@pytest.mark.slow
def test_rows_carry_chinese_words_timed_on_the_audio(zh_run: Path) -> None:
    rows = _rows(zh_run)
    assert rows and all(json.loads(r["params"])["synth"]["language"] == "zh" for r in rows)
    for r in rows:
        for t in r["turns"]:
            if t["kind"] == "turn" and not t.get("interrupted") and not t.get("stop_command"):
                assert not any(ch.isdigit() for ch in t["text"])
        words = [w for w in r["words"] if w["kind"] == "turn"]
        assert sum(has_han(w["word"]) for w in words) >= 0.9 * len(words)
        assert all(0 <= w["start_s"] <= w["end_s"] <= r["duration_s"] + 1e-6 for w in r["words"])
        first = next(t for t in r["turns"] if t["turn_index"] == 0)
        said = [w["word"] for w in r["words"] if w["turn_index"] == 0 and w["kind"] == "turn"]
        assert said == word_tokens(first["text"])


@pytest.mark.slow
def test_exports_and_report_carry_chinese(zh_run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["export", "moshi", str(zh_run), str(tmp_path / "m")]).exit_code == 0
    aligned = [json.loads(p.read_text()) for p in (tmp_path / "m" / "data_stereo").glob("*.json")]
    assert aligned and all(any(has_han(a[0]) for a in j["alignments"]) for j in aligned)
    res = runner.invoke(main, ["export", "lhotse", str(zh_run), str(tmp_path / "l")])
    assert res.exit_code == 0, res.output
    with gzip.open(tmp_path / "l" / "supervisions.jsonl.gz", "rt", encoding="utf-8") as f:
        sups = [json.loads(line) for line in f]
    assert sups and {s["language"] for s in sups} == {"Chinese"}
    assert any(has_han(item[0]) for s in sups for item in s.get("alignment", {}).get("word", []))
    res = runner.invoke(main, ["report", str(zh_run)])
    assert res.exit_code == 0, res.output
    assert (zh_run / "report" / "voices.png").stat().st_size > 0
    first = _rows(zh_run)[0]["id"]
    res = runner.invoke(main, ["preview", str(zh_run), first, "--dest", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert "Glyph" not in res.output  # no per-glyph warnings, with or without a CJK font
    assert list((tmp_path / "p").glob("*.png"))


@pytest.mark.slow
def test_auto_voices_each_dialogue_in_its_own_language(tmp_path: Path) -> None:
    corpus = tmp_path / "mixed.jsonl"
    records = [
        {"conversation_id": 1, "conversation": [
            {"human": "明天北京的天气怎么样？", "assistant": "明天多云，气温5到10度。"}]},
        {"conversations": [
            {"from": "human", "value": "How long should I boil an egg?"},
            {"from": "gpt", "value": "About 9 minutes for a firm yolk."}]},
        {"conversations": [
            {"from": "human", "value": "Wie spät ist es in Berlin, wenn es hier Mittag ist?"},
            {"from": "gpt", "value": "Das hängt davon ab, wo du bist, aber meistens ist es Abend."}]},
    ]  # fmt: skip
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "run", "--language", "auto", "--input", str(corpus), "--output", str(out),
            "--voice-bank", "espeak", "--set", "augment.rir_library_size=2",
        ],
        env={"DUPLEXSYNTH_CACHE": str(tmp_path / "cache")},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    s = json.loads((out / "summary.json").read_text())
    assert s["dialogues_written"] == 2 and s["rejected_by_stage"]["filter"] == {"language": 1}
    by_lang = {}
    for r in _rows(out):
        p = json.loads(r["params"])
        by_lang[p["synth"]["language"]] = r
        assert p["rewrite"]["language"] == p["synth"]["language"]
    zh, en = by_lang["zh"], by_lang["en"]
    assert (
        zh["assistant_voice"].startswith("espeak-cmn") and en["assistant_voice"] == "espeak-us-m3"
    )
    assert "五到十度" in zh["turns"][1]["text"] and "nine minutes" in en["turns"][1]["text"]
    assert {t["text"] for t in zh["turns"] if t["kind"] == "backchannel"} <= {
        "嗯。", "对。", "好的。", "是吗？", "嗯嗯。", "明白。", "没错。", "真的吗？", "这样啊。",
        "对对对。", "等一下，停一下。", "等一下。", "停一下。",
    }  # fmt: skip
    assert not any(has_han(t["text"]) for t in en["turns"])
    assert validate_output(out).ok


def test_stage_commands_take_language(tmp_path: Path) -> None:
    """``filter --language zh`` reads the bundled Chinese sample; ``rewrite --language zh``
    speaks every kept dialogue in Chinese (the English rules would reject them all)."""
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(main, ["filter", "--language", "zh", "-o", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["rewrite", "--language", "zh", "-i", str(out), "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = [
        r
        for f in sorted((out / "rewritten").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    ]
    assert len(rows) == _records(sample_corpus_dir("zh")) - 4
    for r in rows:
        assert json.loads(r["params"])["rewrite"]["language"] == "zh"
        for t in r["turns"]:
            assert has_han(t["spoken_text"]) and not any(ch.isdigit() for ch in t["spoken_text"])
