"""align_dialogue / AlignProcessor / AlignTransform on fabricated synthesized dialogues."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from _aligntools import TEXTS, backchannel, dialogue, synth_dialogue, synth_turn, tone_turn

from duplexsynth.align import AlignConfig, AlignProcessor, align_dialogue
from duplexsynth.align.base import AsrAligner, HeardWord, tokens_of
from duplexsynth.audio import encode_flac
from duplexsynth.schemas.records import AudioRef, Backchannel, Dialogue, Reject

NO_ASR = AlignConfig(fallback="none", cache=False, on_turn_failure="tail")
NO_ASR_BY_EXCHANGE = AlignConfig(fallback="none", cache=False)


def test_tts_path_times_every_token_of_every_turn(say) -> None:
    d = synth_dialogue(say)
    out = align_dialogue(d, NO_ASR, seed=7)
    assert isinstance(out, Dialogue)
    assert len(out.turns) == len(d.turns)
    for before, after in zip(d.turns, out.turns):
        assert [w.word for w in after.words] == tokens_of(before.spoken_text)
        assert {w.method for w in after.words} == {"tts"}
        assert after.audio == before.audio and after.tts_words == before.tts_words
        starts = [w.start_s for w in after.words]
        assert starts == sorted(starts)
        assert all(0 <= w.start_s < w.end_s <= after.duration_s + 1e-6 for w in after.words)
    assert out.align_method == "tts"
    p = out.params["align"]
    assert p["seed"] == 7 and p["turn_methods"] == ["tts"] * 4
    assert p["config"]["backend"] == "tts" and p["interpolated_words"] == 0
    assert p["words"] == sum(len(tokens_of(t)) for t in TEXTS)
    again = align_dialogue(d, NO_ASR, seed=7)
    assert again.to_row() == out.to_row()
    assert Dialogue.from_row(out.to_row()).turns[1].words == out.turns[1].words


@pytest.mark.slow
def test_turn_without_tts_timings_falls_back_to_the_recogniser(say, fw_aligner) -> None:
    d = synth_dialogue(say, no_tts=(2,))
    out = align_dialogue(d, AlignConfig(cache=False), asr=fw_aligner)
    assert isinstance(out, Dialogue)
    assert out.params["align"]["turn_methods"] == ["tts", "tts", "faster_whisper", "tts"]
    assert out.params["align"]["tts_fallback"] == [2]
    assert out.params["align"]["asr"]["model"] == "bundled:tiny.en"
    assert out.align_method == "faster_whisper+tts"
    assert [w.word for w in out.turns[2].words] == tokens_of(TEXTS[2])
    assert {w.method for w in out.turns[2].words} <= {"faster_whisper", "interpolated"}


def test_no_fallback_rejects_or_cuts(say) -> None:
    first = align_dialogue(synth_dialogue(say, no_tts=(0,)), NO_ASR)
    assert isinstance(first, Reject)
    assert first.reason == "align_error" and first.stage == "align"
    assert "turn 0 (user)" in first.detail and "--fallback none" in first.detail
    later = align_dialogue(synth_dialogue(say, no_tts=(3,)), NO_ASR)
    assert isinstance(later, Dialogue)
    assert [t.turn_index for t in later.turns] == [0, 1]
    cut = later.params["align"]["cut"]
    assert cut["kept_turns"] == 2 and cut["of_turns"] == 4 and "turn 3" in cut["reason"]


def test_cut_prefix_ends_on_an_assistant_turn(say) -> None:
    texts = TEXTS + ("One more question.", "Go ahead.")
    d = synth_dialogue(say, texts, no_tts=(5,))
    out = align_dialogue(d, NO_ASR)
    assert [t.speaker for t in out.turns] == ["user", "assistant", "user", "assistant"]
    d2 = synth_dialogue(say, texts, no_tts=(4,))
    assert len(align_dialogue(d2, NO_ASR).turns) == 4


class HearsNonsense(AsrAligner):
    """A recogniser that hears words unrelated to the text."""

    name = "fake_asr"

    def load(self) -> None:
        pass

    def transcribe(self, audio_16k, text):
        return [HeardWord("zzz", 0.0, 0.3, 0.5), HeardWord("qqq", 0.3, 0.6, 0.5)]


def test_unintelligible_turn_is_an_align_error(say) -> None:
    turns = [synth_turn(say, 0, TEXTS[0]), tone_turn(1, "the sun is out today")]
    out = align_dialogue(dialogue(turns), AlignConfig(), asr=HearsNonsense("fake"))
    assert isinstance(out, Reject) and out.reason == "align_error"
    assert "turn 1 (assistant)" in out.detail and "0 of 5 words were heard" in out.detail
    assert "zzz qqq" in out.detail  # what the recogniser heard instead


def test_bad_input_is_rejected_with_the_turn_named(say) -> None:
    d = synth_dialogue(say, TEXTS[:2])
    no_audio = d.replace(turns=(d.turns[0], d.turns[1].replace(audio=None)))
    r = align_dialogue(no_audio, NO_ASR)
    assert isinstance(r, Reject) and r.reason == "bad_input" and "turn 1" in r.detail
    no_text = d.replace(turns=(d.turns[0].replace(spoken_text="  "), d.turns[1]))
    r = align_dialogue(no_text, NO_ASR)
    assert r.reason == "bad_input" and "no spoken text" in r.detail
    broken = d.replace(turns=(d.turns[0].replace(audio=AudioRef(b"not flac")), d.turns[1]))
    r = align_dialogue(broken, NO_ASR)
    assert r.reason == "bad_input" and "cannot be decoded" in r.detail
    assert align_dialogue(d.replace(turns=()), NO_ASR).reason == "bad_input"


def test_backchannels_get_words_even_when_unheard(say) -> None:
    bc = backchannel(say, "mm-hmm")
    silent = Backchannel("assistant", "joe", "uh-huh", AudioRef(encode_flac(np.zeros(8000), 16000)),
                         16000, 0.5)  # fmt: skip
    d = synth_dialogue(say, TEXTS[:2]).replace(backchannels=(bc, silent))
    out = align_dialogue(d, NO_ASR)
    assert len(out.backchannels) == 1
    words = out.backchannels[0].words
    assert [w.word for w in words] == ["mm-hmm"] and words[0].method == "interpolated"
    assert 0 <= words[0].start_s < words[0].end_s <= bc.duration_s
    report = out.params["align"]["backchannels"]
    assert report["aligned"] == 1 and report["interpolated"] == ["mm-hmm"]
    assert "silent" in report["dropped"][0]
    # timings the synth stage gave are kept
    timed = bc.__class__(**{**bc.__dict__, "words": (words[0].__class__("mm-hmm", 0.1, 0.3),)})
    out2 = align_dialogue(d.replace(backchannels=(timed,)), NO_ASR)
    assert out2.backchannels[0].words[0].method == "tts"
    assert (out2.backchannels[0].words[0].start_s, out2.backchannels[0].words[0].end_s) == (
        0.1,
        0.3,
    )


@pytest.mark.slow
def test_processor_loads_once_caches_transcriptions_and_pickles(say, tmp_path) -> None:
    cfg = AlignConfig(backend="faster-whisper", cache_dir=str(tmp_path / "cache"))
    proc = AlignProcessor(cfg, seed=3)
    clone = pickle.loads(pickle.dumps(proc))
    assert clone._asr is None
    proc.setup()
    asr = proc._asr
    assert asr is not None and asr.cache is not None
    d = synth_dialogue(say, TEXTS[:2])
    first = proc(d)
    assert isinstance(first, Dialogue) and first.align_method == "faster_whisper"
    assert asr.cache.misses == 2 and asr.cache.hits == 0
    second = proc(d)
    assert proc._asr is asr and asr.cache.hits == 2
    assert second.to_row() == first.to_row()
    assert pickle.loads(pickle.dumps(proc))._asr is None


def test_tts_processor_never_loads_a_recogniser(say) -> None:
    proc = AlignProcessor(AlignConfig(cache=False), seed=1)
    proc.setup()
    out = proc(synth_dialogue(say, TEXTS[:2]))
    assert isinstance(out, Dialogue) and proc._asr is None


def test_align_transform_in_beam(say) -> None:
    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that

    from duplexsynth.pipelines.transforms.align import AlignTransform

    rows = [
        synth_dialogue(say, TEXTS[:2], "dlg-0001").to_row(),
        synth_dialogue(say, TEXTS[:2], "dlg-0002", no_tts=(0,)).to_row(),
    ]

    def check_main(out):
        assert [r["id"] for r in out] == ["dlg-0001"]
        assert all(w["method"] == "tts" for t in out[0]["turns"] for w in t["words"])

    def check_rejects(out):
        assert [(r["id"], r["reason"]) for r in out] == [("dlg-0002", "align_error")]

    with TestPipeline() as p:
        result = p | beam.Create(rows) | AlignTransform(NO_ASR, seed=1)
        assert_that(result["main"], check_main, label="main")
        assert_that(result["rejects"], check_rejects, label="rejects")


def test_a_failing_turn_drops_its_exchange_and_the_rest_is_kept(say) -> None:
    texts = TEXTS + ("One more question.", "Go ahead.")
    for failing, gone in ((0, [0, 1]), (3, [2, 3]), (4, [4, 5])):
        out = align_dialogue(synth_dialogue(say, texts, no_tts=(failing,)), NO_ASR_BY_EXCHANGE)
        assert isinstance(out, Dialogue), out
        kept = [t.turn_index for t in out.turns]
        assert kept == [i for i in range(6) if i not in gone]
        (dropped,) = out.params["align"]["dropped_exchanges"]
        assert dropped["turns"] == gone and f"turn {failing} " in dropped["reason"]
        assert "cut" not in out.params["align"]
        assert [t.speaker for t in out.turns] == ["user", "assistant"] * 2


def test_every_exchange_failing_is_an_align_error(say) -> None:
    out = align_dialogue(synth_dialogue(say, no_tts=(0, 2)), NO_ASR_BY_EXCHANGE)
    assert isinstance(out, Reject) and out.reason == "align_error" and "turn 0" in out.detail
