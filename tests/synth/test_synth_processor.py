"""synthesize_dialogue / SynthProcessor: fields, voices, backchannels, QC rejects, prefix rule,
cache hits, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from _synthtools import LINES, FakeBackend, plausible, rewritten, tone

from duplexsynth.audio import decode_audio
from duplexsynth.schemas.records import Dialogue, Reject
from duplexsynth.synth import SynthConfig, SynthProcessor, load_voice_bank
from duplexsynth.synth.backends.base import TTSResult
from duplexsynth.synth.engine import Synthesizer, preflight
from duplexsynth.synth.qc import IntelligibilityChecker


@pytest.fixture()
def config(tmp_path) -> SynthConfig:
    return SynthConfig(voice_bank="espeak", cache_dir=str(tmp_path / "cache"))


def processor(config: SynthConfig, backend=None, seed: int = 5) -> SynthProcessor:
    p = SynthProcessor(config, seed, backends=None if backend is None else {"espeak": backend})
    p.setup()
    return p


def test_fills_every_synth_field_with_real_speech(config) -> None:
    d = rewritten()
    out = processor(config)(d)
    assert isinstance(out, Dialogue)
    bank = load_voice_bank("espeak")
    assert out.assistant_voice == bank.assistant
    assert out.user_voice in {v.id for v in bank.user_pool()}
    for t_in, t in zip(d.turns, out.turns):
        assert t.voice == (out.user_voice if t.speaker == "user" else out.assistant_voice)
        audio, sr = decode_audio(t.audio.bytes)
        assert sr == t.sample_rate == 24000 and audio.ndim == 1
        assert t.duration_s == pytest.approx(len(audio) / sr, abs=1e-5)
        assert [w.word for w in t.tts_words] == t_in.spoken_text.split()
        assert all(w.method == "tts" for w in t.tts_words)
        assert all(0 <= w.start_s <= w.end_s <= t.duration_s for w in t.tts_words)
        assert t.spoken_text == t_in.spoken_text and t.source_text == t_in.source_text
    bcs = out.backchannels
    user_bc = [b for b in bcs if b.speaker == "user"]
    asst_bc = [b for b in bcs if b.speaker == "assistant"]
    assert {b.voice for b in user_bc} == {out.user_voice} and {b.voice for b in asst_bc} == {
        out.assistant_voice
    }
    assert {b.text for b in asst_bc} == set(config.backchannels)
    assert {b.text for b in user_bc} == set(config.backchannels) | set(config.stop_commands)
    assert all(0.1 < b.duration_s < 2.5 and b.sample_rate == 24000 for b in bcs)
    p = out.params["synth"]
    assert p["assistant_voice"] == out.assistant_voice and p["user_voice"] == out.user_voice
    assert set(p["voices"]) == {out.assistant_voice, out.user_voice}
    assert "espeak-ng" in p["voices"][out.user_voice]["engine"]
    assert [tp["turn_index"] for tp in p["turns"]] == [0, 1, 2, 3]
    assert all(isinstance(tp["gain_db"], float) for tp in p["turns"]) and p["sample_rate"] == 24000
    # the row survives the Arrow round trip
    assert Dialogue.from_row(out.to_row()).turns[0].tts_words == out.turns[0].tts_words


def test_voices_are_deterministic_and_the_assistant_is_fixed(config) -> None:
    p = processor(config, FakeBackend())
    ds = [rewritten(f"dlg-{i:03d}", LINES[:2], i) for i in range(12)]
    first = [p(d) for d in ds]
    again = [processor(config, FakeBackend(), seed=5)(d) for d in ds]
    assert [o.user_voice for o in first] == [o.user_voice for o in again]
    assert [o.to_row() for o in first] == [o.to_row() for o in again]  # byte-identical rows
    assert len({o.user_voice for o in first}) >= 3
    assert {o.assistant_voice for o in first} == {"espeak-us-m3"}
    other = [processor(config, FakeBackend(), seed=6)(d).user_voice for d in ds]
    assert other != [o.user_voice for o in first]


def test_cache_second_run_calls_the_engine_zero_times(config) -> None:
    d = rewritten()
    engine = FakeBackend()
    first = processor(config, engine)(d)
    n_texts = len(d.turns) + 2 * len(config.backchannels) + len(config.stop_commands)
    assert len(engine.calls) == n_texts
    fresh = FakeBackend()
    second = processor(config, fresh)(d)  # new process-level objects, same cache folder
    assert fresh.calls == []
    assert second.to_row() == first.to_row()
    # the same dialogue (same voices) with one new sentence only synthesizes that sentence
    d2 = rewritten(d.id, (LINES[0], ("assistant", "A brand new answer.")))
    p = processor(config, fresh)
    p(d2)
    assert fresh.calls == ["A brand new answer."]
    assert p.synthesizer.cache.hits > 0


def _fails_on(bad_text: str, result_or_exc):
    def behaviour(text: str) -> TTSResult:
        if text != bad_text:
            return plausible(text)
        if isinstance(result_or_exc, Exception):
            raise result_or_exc
        return result_or_exc

    return behaviour


SR = 22050
BAD_CASES = [
    ("tts_error", RuntimeError("engine exploded")),
    ("tts_empty", TTSResult(np.zeros(SR, np.float32), SR)),
    ("tts_empty", TTSResult(np.zeros(0, np.float32), SR)),
    ("tts_clipping", TTSResult(np.clip(tone(2.0, SR, amp=3.0), -1, 1), SR)),
    ("tts_duration", TTSResult(tone(25.0, SR), SR)),  # far too long for the text
    ("tts_duration", TTSResult(tone(0.15, SR), SR)),  # far too short for the text
    ("tts_error", TTSResult(np.full(SR, np.nan, np.float32), SR)),
]


@pytest.mark.parametrize(("reason", "bad"), BAD_CASES)
def test_each_qc_failure_rejects_with_its_reason(config, reason: str, bad) -> None:
    d = rewritten(lines=LINES[:2])
    out = processor(config, FakeBackend(_fails_on(LINES[1][1], bad)))(d)
    assert isinstance(out, Reject)
    assert out.reason == reason and out.stage == "synth" and out.id == d.id
    assert "turn 1 (assistant" in out.detail


def test_a_failed_turn_cuts_the_dialogue_to_its_clean_prefix(config) -> None:
    bad = TTSResult(np.zeros(SR, np.float32), SR)
    d = rewritten()  # user, assistant, user, assistant
    out = processor(config, FakeBackend(_fails_on(LINES[2][1], bad)))(d)
    assert isinstance(out, Dialogue) and len(out.turns) == 2
    cut = out.params["synth"]["cut"]
    assert cut["at_turn"] == 2 and cut["reason"] == "tts_empty" and cut["kept_turns"] == 2
    out = processor(config, FakeBackend(_fails_on(LINES[3][1], bad)))(d)
    assert len(out.turns) == 2  # the prefix must end on an assistant turn
    strict = SynthConfig(voice_bank="espeak", cache_dir=config.cache_dir, keep_prefix=False)
    out = processor(strict, FakeBackend(_fails_on(LINES[2][1], bad)))(d)
    assert isinstance(out, Reject) and out.reason == "tts_empty"


def test_backchannel_failures_are_dropped_not_fatal(config) -> None:
    out = processor(config, FakeBackend(_fails_on("Oh, wow.", RuntimeError("nope"))))(rewritten())
    assert isinstance(out, Dialogue)
    assert "Oh, wow." not in {b.text for b in out.backchannels}
    dropped = out.params["synth"]["backchannels_dropped"]
    assert {d["speaker"] for d in dropped} == {"user", "assistant"} and dropped[0][
        "reason"
    ] == "tts_error"


def test_bad_input_is_a_reject_naming_the_turn(config) -> None:
    d = rewritten()
    broken = d.replace(turns=(d.turns[0].replace(spoken_text=None), *d.turns[1:]))
    out = processor(config, FakeBackend())(broken)
    assert isinstance(out, Reject) and out.reason == "bad_input"
    assert "turn 0" in out.detail and "rewrite" in out.detail


class FakeASR(IntelligibilityChecker):
    """Hears a fixed transcript (or the reference text when none is set)."""

    def __init__(self, heard: dict[str, str]) -> None:
        super().__init__()
        self.heard = heard
        self.calls = 0

    def load(self) -> None:
        pass

    def version(self) -> str:
        return "fake-asr"

    def transcribe(self, audio, sr) -> str:
        self.calls += 1
        return self.heard.get("next", "")


def test_asr_check_rejects_unintelligible_turns(tmp_path) -> None:
    config = SynthConfig(
        voice_bank="espeak", cache_dir=str(tmp_path), asr_check=True, wer_threshold=0.4
    )
    bank = load_voice_bank("espeak")
    asr = FakeASR({"next": "completely different words here"})
    synth = Synthesizer(config, bank, backends={"espeak": FakeBackend()}, asr=asr)
    long_text = "Please tell me about the weather tomorrow."
    u = synth.render(bank.assistant_voice, long_text)
    assert u.reason == "tts_unintelligible" and "WER" in u.detail
    asr.heard["next"] = "please tell me about the weather tomorrow"
    synth2 = Synthesizer(config, bank, backends={"espeak": FakeBackend()}, asr=asr)
    ok = synth2.render(bank.assistant_voice, long_text + " ")  # another cache key
    assert ok.wer == 0.0
    before = asr.calls
    assert synth2.render(bank.assistant_voice, long_text + " ").wer == 0.0
    assert asr.calls == before  # transcripts are cached too
    short = synth2.render(bank.assistant_voice, "Okay.")  # too short to judge
    assert short.wer is None


@pytest.mark.slow
def test_real_asr_check_on_piper_speech(tmp_path, say) -> None:
    """faster-whisper tiny.en hears real speech; the wrong text for that speech fails."""
    heard_text = "The train to the airport leaves every twenty minutes."

    def speak(text: str) -> TTSResult:
        audio, sr, words = say(heard_text)
        return TTSResult(audio, sr, words if text == heard_text else None)

    config = SynthConfig(voice_bank="espeak", cache_dir=str(tmp_path), asr_check=True)
    bank = load_voice_bank("espeak")
    synth = Synthesizer(config, bank, backends={"espeak": FakeBackend(speak)})
    ok = synth.render(bank.assistant_voice, heard_text)
    assert ok.wer is not None and ok.wer <= 0.2
    wrong = synth.render(bank.assistant_voice, "My favourite colour is a deep shade of green.")
    assert wrong.reason == "tts_unintelligible"


def test_preflight_names_missing_backend_settings(tmp_path) -> None:
    from duplexsynth.synth.voices import parse_voice_bank

    wav = tmp_path / "p.wav"
    wav.write_bytes(b"")
    bank = parse_voice_bank(
        {
            "assistant": "a",
            "voices": [
                {"id": "a", "backend": "openai", "role": "assistant", "params": {"voice": "alloy"}},
                {"id": "c", "backend": "cosyvoice", "prompt_wav": str(wav), "prompt_text": "Hi."},
            ],
        }
    )
    with pytest.raises(ValueError, match="--cosyvoice-model"):
        preflight(SynthConfig(), bank)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "cosyvoice2.yaml").write_text("{}")
    with pytest.raises(ValueError, match="not readable audio"):
        preflight(SynthConfig(cosyvoice_model=str(tmp_path / "model")), bank)


def test_config_round_trip_and_errors() -> None:
    c = SynthConfig(sample_rate_hz=16000, backchannels=("Yeah.",))
    assert SynthConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="unknown synth option"):
        SynthConfig.from_dict({"sample_rat": 1})
    with pytest.raises(ValueError, match="sample_rate"):
        SynthConfig.from_dict({"sample_rate_hz": 10})
    with pytest.raises(ValueError, match="asr_check"):
        SynthConfig.from_dict({"asr_check": "yes"})
    with pytest.raises(ValueError, match="backchannels"):
        SynthConfig.from_dict({"backchannels": ["", "ok"]})


def test_duration_bounds_leave_room_for_short_clips() -> None:
    from duplexsynth.synth.audio import RawStats
    from duplexsynth.synth.qc import check_signal

    config = SynthConfig()

    def stats(active_s: float) -> RawStats:
        return RawStats(24000, active_s + 0.1, 0.5, 0.0, active_s)

    assert check_signal("Got it.", stats(0.25), config) is None  # brisk but fine
    assert check_signal("Hello.", stats(1.5), config) is None  # a drawn-out single word
    long_text = " ".join(["word"] * 20)
    assert check_signal(long_text, stats(1.0), config).reason == "tts_duration"  # truncated
    assert check_signal("Yes.", stats(6.0), config).reason == "tts_duration"  # babbling on
    assert "too long" in check_signal("Yes.", stats(6.0), config).detail
