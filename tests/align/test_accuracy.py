"""The accuracy harness: known-timing speech is built right, and each backend is measured."""

from __future__ import annotations

import numpy as np
import pytest

from duplexsynth.align.accuracy import (
    asr_align,
    build_connected,
    build_corpus,
    build_speech,
    measure,
    tts_align,
)
from duplexsynth.schemas.rng import dialogue_rng


def test_built_speech_has_sound_exactly_where_the_truth_says() -> None:
    speech = build_speech(["coffee", "window", "yes"], dialogue_rng(0, "t", "acc"))
    assert speech.text == "coffee window yes"
    sr = speech.sample_rate
    peak = float(np.abs(speech.audio).max())
    prev_end = 0.0
    for s, e in speech.truth:
        a, b = round(s * sr), round(e * sr)
        assert abs(speech.audio[a]) >= 0.01 * peak * 0.5  # the clip starts on its first loud sample
        assert np.all(speech.audio[round(prev_end * sr) + 1 : a - 1] == 0)  # known silence before
        assert b > a
        prev_end = e
    assert speech.truth[-1][1] < speech.duration_s
    assert [w.word for w in speech.tts_words] == ["coffee", "window", "yes"]
    for w, (s, e) in zip(speech.tts_words, speech.truth):
        assert abs(w.start_s - s) < 0.1 and abs(w.end_s - e) < 0.2


def test_tts_path_accuracy_is_measured() -> None:
    corpus = build_corpus(2, (4, 5), seed=1)
    acc = measure("tts", corpus, tts_align)
    assert acc.words == sum(len(c.truth) for c in corpus)
    assert acc.failed_utterances == 0 and acc.interpolated == 0
    assert acc.start_median_ms <= 30.0
    assert acc.start_median_ms <= acc.start_p90_ms


@pytest.mark.slow
def test_faster_whisper_accuracy_is_measured(fw_aligner) -> None:
    corpus = build_corpus(2, (4, 5), seed=2)
    acc = measure("faster-whisper", corpus, asr_align(fw_aligner))
    assert acc.words + 5 * acc.failed_utterances >= 8
    assert acc.start_median_ms <= 80.0
    assert acc.rtf > 0


def test_a_wrong_aligner_shows_large_errors() -> None:
    corpus = build_corpus(1, (4, 4), seed=3)

    def shifted(speech):
        return [w.__class__(w.word, w.start_s + 0.3, w.end_s + 0.3) for w in tts_align(speech)]

    assert measure("shifted", corpus, shifted).start_median_ms > 250.0


def test_connected_reference_speech_keeps_only_matching_sentences() -> None:
    speech = build_connected(["That sounds good to me."])
    assert len(speech) == 1
    assert len(speech[0].truth) == 5
