"""`duplexsynth check-tts` on the offline espeak voices: passes on distinct voices, exits 1 on
look-alike voices, and checks served voices (openai backend) the same way."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from duplexsynth.cli.main import main

pytestmark = pytest.mark.slow


def invoke(*args: str):
    return CliRunner().invoke(main, ["check-tts", *args], catch_exceptions=False)


def test_espeak_voices_pass_and_report(tmp_path) -> None:
    out = tmp_path / "report.json"
    result = invoke(
        "--voice-bank",
        "espeak",
        "--voices",
        "espeak-us-m3,espeak-gb-f2,espeak-nyc-m7",
        "--json",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output
    report = json.loads(out.read_text())
    assert report["ok"] and report["method"] == "pitch + spectrum"
    assert [v["voice"] for v in report["voices"]] == [
        "espeak-us-m3",
        "espeak-gb-f2",
        "espeak-nyc-m7",
    ]
    for v in report["voices"]:
        assert 0 < v["rtf"] < 1.0 and v["wer"] is not None and v["wer"] <= 0.4
        assert v["audio_s"] > 5 and not v["failures"] and len(v["transcripts"]) == 5
    assert len(report["pairs"]) == 3 and all(p["distinct"] for p in report["pairs"])
    female = next(v for v in report["voices"] if v["voice"] == "espeak-gb-f2")
    male = next(v for v in report["voices"] if v["voice"] == "espeak-us-m3")
    assert female["pitch_hz"] > 1.4 * male["pitch_hz"]  # the pitch tracker tells them apart


def test_look_alike_voices_and_thresholds_fail_loudly(tmp_path) -> None:
    bank = tmp_path / "twins.yaml"
    voice = {"backend": "espeak", "params": {"voice": "en-us", "variant": "m3"}}
    bank.write_text(
        yaml.safe_dump(
            {
                "assistant": "a",
                "voices": [{"id": "a", "role": "assistant", **voice}, {"id": "b", **voice}],
            }
        )
    )
    result = invoke("--voice-bank", str(bank), "--max-rtf", "0.000001")
    assert result.exit_code == 1
    assert "voices a and b sound alike" in result.output
    assert "RTF" in result.output and "FAIL" in result.output


def test_served_voices_are_checked_through_the_server(tmp_path) -> None:
    from duplexsynth.synth.check import check_bank
    from duplexsynth.synth.config import SynthConfig
    from duplexsynth.synth.serve import SpeechService, start_in_thread
    from duplexsynth.synth.voices import load_voice_bank, parse_voice_bank

    srv = start_in_thread(
        SpeechService(SynthConfig(voice_bank="espeak"), load_voice_bank("espeak"))
    )
    try:
        served = parse_voice_bank(
            {
                "assistant": "m",
                "voices": [
                    {
                        "id": "m",
                        "backend": "openai",
                        "role": "assistant",
                        "params": {"voice": "espeak-us-m3"},
                    },
                    {"id": "f", "backend": "openai", "params": {"voice": "espeak-us-f1"}},
                ],
            }
        )
        url = f"http://127.0.0.1:{srv.server_port}/v1"
        report = check_bank(SynthConfig(tts_base_url=url), served)
    finally:
        srv.shutdown()
        srv.server_close()
    assert report.ok, report.problems
    assert {v.backend for v in report.voices} == {"openai"} and all(
        v.wer is not None for v in report.voices
    )


def test_speaker_model_distances(tmp_path) -> None:
    """--speaker-model runs an ONNX model on [1, frames, 80] log-mel features (like campplus)."""
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("ReduceSumSquare", ["feats"], ["emb"], axes=[1], keepdims=0)
    graph = helper.make_graph(
        [node],
        "toy-speaker",
        [helper.make_tensor_value_info("feats", TensorProto.FLOAT, [1, None, 80])],
        [helper.make_tensor_value_info("emb", TensorProto.FLOAT, [1, 80])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp_path / "toy.onnx"
    onnx.save(model, str(path))
    bank = tmp_path / "bank.yaml"
    m3 = {"backend": "espeak", "params": {"voice": "en-us", "variant": "m3"}}
    f2 = {"backend": "espeak", "params": {"voice": "en-gb-x-rp", "variant": "f2", "rate": 165}}
    bank.write_text(
        yaml.safe_dump(
            {
                "assistant": "a",
                "voices": [
                    {"id": "a", "role": "assistant", **m3},
                    {"id": "b", **m3},
                    {"id": "c", **f2},
                ],
            }
        )
    )
    out = tmp_path / "r.json"
    result = invoke(
        "--voice-bank",
        str(bank),
        "--speaker-model",
        str(path),
        "--min-embedding-distance",
        "0.001",
        "--json",
        str(out),
    )
    report = json.loads(out.read_text())
    assert report["method"].startswith("speaker embedding")
    pairs = {(p["a"], p["b"]): p for p in report["pairs"]}
    assert pairs[("a", "b")]["embedding_distance"] < 1e-4 and not pairs[("a", "b")]["distinct"]
    assert pairs[("a", "c")]["embedding_distance"] > pairs[("a", "b")]["embedding_distance"]
    assert result.exit_code == 1 and "voices a and b sound alike" in result.output


def test_cosyvoice_voices_are_checked_and_garbage_fails(tmp_path, say) -> None:
    """check-tts with --cosyvoice-model/--cosyvoice-repo (the test double of a CosyVoice
    checkout, whose "speech" is a tone): the run completes and fails on WER."""
    import sys
    from pathlib import Path

    import soundfile as sf

    fake = Path(__file__).parents[1] / "synth" / "fake_cosyvoice"
    model = tmp_path / "model"
    model.mkdir()
    for name in (
        "cosyvoice2.yaml",
        "llm.pt",
        "flow.pt",
        "hift.pt",
        "campplus.onnx",
        "speech_tokenizer_v2.onnx",
    ):
        (model / name).write_text("x")
    (model / "CosyVoice-BlankEN").mkdir()
    text = "Hello, this is my voice, recorded for a short cloning prompt."
    audio, sr, _ = say(text)
    sf.write(tmp_path / "p.wav", audio, sr)
    voice = {"backend": "cosyvoice", "prompt_wav": "p.wav", "prompt_text": text}
    bank = tmp_path / "bank.yaml"
    bank.write_text(
        yaml.safe_dump(
            {
                "assistant": "a",
                "voices": [
                    {"id": "a", "role": "assistant", **voice},
                    {"id": "b", **voice, "params": {"speed": 1.5}},
                ],
            }
        )
    )
    try:
        result = invoke(
            "--voice-bank",
            str(bank),
            "--cosyvoice-model",
            str(model),
            "--cosyvoice-repo",
            str(fake),
            "--max-wer",
            "0.5",
            "--json",
            str(tmp_path / "r.json"),
        )
    finally:
        for name in [m for m in sys.modules if m == "cosyvoice" or m.startswith("cosyvoice.")]:
            del sys.modules[name]
        while str(fake) in sys.path:
            sys.path.remove(str(fake))
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert [v["backend"] for v in report["voices"]] == ["cosyvoice", "cosyvoice"]
    assert all(v["wer"] > 0.5 for v in report["voices"])
    assert "a: WER" in result.output and "b: WER" in result.output
