"""Engine-independent pauses inside turns, and per-dialogue timing variation.

TTS engines leave very different silences between the words of one utterance (espeak almost
none, Piper a sentence pause), so a schedule that keeps them gives different pause figures per
engine. :func:`pace_clip` measures every silence between two words of a turn from its word
timings and sets it to a value drawn from the preset's pause model:

* a turn gets a Poisson number of pauses (``pause_rate_per_min`` per minute of its speech),
  placed at distinct word boundaries drawn by weight: after a sentence end
  (``pause_sentence_weight``), after a clause mark ``, ; :`` (``pause_clause_weight``) or
  elsewhere (``pause_word_weight``, hesitations);
* a drawn pause lasts a log-normal time (mode ``pause_mode_s``, shape ``pause_sigma``, between
  ``pause_min_s`` and ``pause_max_s``); silence is inserted only up to that length;
* a boundary without a drawn pause keeps the engine's silence up to ``pause_short_s`` (below the
  0.2 s that ends an IPU); a longer engine silence is shortened by cutting its middle.

Splices get 4 ms ramps so they never click. Word times move with the audio, so every later step
(gaps, interruptions, backchannels at pauses) sees the paced turn.

:func:`dialogue_variation` draws one factor per timing family for a dialogue (speaker pairs
differ: some reply faster, pause more, backchannel more) and returns the scaled config.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

from duplexsynth.mix.config import MixConfig
from duplexsynth.mix.inputs import Clip
from duplexsynth.schemas.records import Word

RAMP_S = 0.004
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*$")
_CLAUSE_END = re.compile(r"[,;:]+[\"')\]]*$")


def boundary_kind(word: str) -> str:
    """``sentence``, ``clause`` or ``word``: what the text says about the boundary after ``word``."""
    if _SENTENCE_END.search(word):
        return "sentence"
    if _CLAUSE_END.search(word):
        return "clause"
    return "word"


def _lognormal(z: float, mode_s: float, sigma: float) -> float:
    if sigma <= 0:
        return mode_s
    return math.exp(math.log(mode_s) + sigma * sigma + sigma * z)


def target_silences(
    words: tuple[Word, ...], cfg: MixConfig, rng: np.random.Generator
) -> list[float]:
    """The silence (s) wanted after each word but the last.

    The number of pauses is Poisson with mean ``pause_rate_per_min`` x the turn's speaking
    minutes (its words plus the short silences kept between them, i.e. the turn as it sounds
    without pauses); they go to distinct boundaries drawn with the sentence/clause/word weights.
    """
    weights_of = {
        "sentence": cfg.pause_sentence_weight,
        "clause": cfg.pause_clause_weight,
        "word": cfg.pause_word_weight,
    }
    n = len(words) - 1
    out = [
        min(max(0.0, words[k + 1].start_s - words[k].end_s), cfg.pause_short_s) for k in range(n)
    ]
    if n <= 0:
        return out
    # speaking time as it will sound without pauses: words plus the short silences kept
    speech_min = (sum(max(0.0, w.end_s - w.start_s) for w in words) + sum(out)) / 60.0
    count = int(rng.poisson(cfg.pause_rate_per_min * speech_min))
    weights = np.asarray([weights_of[boundary_kind(w.word)] for w in words[:-1]], dtype=np.float64)
    count = min(count, int(np.count_nonzero(weights)))
    if count == 0:
        return out
    chosen = rng.choice(n, size=count, replace=False, p=weights / weights.sum())
    for k in sorted(int(c) for c in chosen):
        length = _lognormal(float(rng.standard_normal()), cfg.pause_mode_s, cfg.pause_sigma)
        out[k] = min(max(length, cfg.pause_min_s), cfg.pause_max_s)
    return out


def _ramp(seg: np.ndarray, n: int, down: bool) -> None:
    n = min(n, seg.shape[0])
    if n <= 0:
        return
    r = np.linspace(1.0, 0.0, n + 2, dtype=np.float32)[1:-1]
    if down:
        seg[-n:] *= r
    else:
        seg[:n] *= r[::-1]


def pace_clip(
    clip: Clip, sample_rate: int, targets: list[float]
) -> tuple[Clip, list[tuple[int, float, float]]]:
    """``clip`` with the silence after word ``k`` set to ``targets[k]``.

    Returns the new clip and the changed boundaries as ``(word index, before_s, after_s)``.
    """
    words = clip.words
    audio = clip.audio
    ramp = max(1, int(round(RAMP_S * sample_rate)))
    pieces: list[np.ndarray] = []
    new_words: list[Word] = []
    edits: list[tuple[int, float, float]] = []
    cursor = 0  # next source sample to copy
    shift = 0  # samples added (+) or removed (-) so far
    for k, w in enumerate(words):
        new_words.append(
            dataclasses.replace(
                w,
                start_s=w.start_s + shift / sample_rate,
                end_s=w.end_s + shift / sample_rate,
            )
        )
        if k == len(words) - 1:
            break
        a = int(round(w.end_s * sample_rate))
        b = max(a, int(round(words[k + 1].start_s * sample_rate)))
        existing = b - a
        want = int(round(targets[k] * sample_rate))
        if want == existing:
            continue
        mid = max(cursor, (a + b) // 2)
        if want > existing:
            head = audio[cursor:mid].copy()
            _ramp(head, ramp, down=True)
            pieces += [head, np.zeros(want - existing, dtype=np.float32)]
            cursor = mid
        else:
            cut = existing - want
            lo = max(cursor, mid - cut // 2)
            head = audio[cursor:lo].copy()
            _ramp(head, ramp, down=True)
            pieces.append(head)
            cursor = lo + cut
        nxt = audio[cursor : cursor + ramp].copy()
        _ramp(nxt, ramp, down=False)
        pieces.append(nxt)
        cursor += nxt.shape[0]
        shift += want - existing
        edits.append((k, existing / sample_rate, want / sample_rate))
    if not edits:
        return clip, []
    pieces.append(audio[cursor:])
    new_audio = np.concatenate(pieces).astype(np.float32, copy=False)
    new_audio.setflags(write=False)
    return Clip(audio=new_audio, words=tuple(new_words), speech_rms=clip.speech_rms), edits


#: knob families scaled together by one per-dialogue factor
_GAP_KNOBS = ("reply_gap_mode_s", "reply_gap_max_s", "user_gap_mode_s", "user_gap_max_s")


def dialogue_variation(cfg: MixConfig, rng: np.random.Generator) -> tuple[MixConfig, dict]:
    """The config for one dialogue: gap, pause, overlap and backchannel knobs each scaled by a
    log-normal factor ``exp(dialogue_variation_sigma * N(0, 1))`` (four draws, always made)."""
    z = rng.standard_normal(4)
    sigma = cfg.dialogue_variation_sigma
    gap_f, pause_f, overlap_f, bc_f = (float(math.exp(sigma * v)) for v in z)
    if sigma <= 0:
        return cfg, {}
    changes: dict[str, float] = {k: getattr(cfg, k) * gap_f for k in _GAP_KNOBS}
    changes["pause_rate_per_min"] = cfg.pause_rate_per_min * pause_f
    changes["reply_overlap_prob"] = min(1.0, cfg.reply_overlap_prob * overlap_f)
    changes["backchannel_rate_per_min"] = cfg.backchannel_rate_per_min * bc_f
    factors = {"gap": gap_f, "pause": pause_f, "overlap": overlap_f, "backchannel": bc_f}
    return cfg.model_copy(update=changes), factors
