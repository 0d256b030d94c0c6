"""Engine-independent pauses inside turns, and per-dialogue timing variation.

TTS engines leave very different silences between the words of one utterance (espeak almost
none, Piper a sentence pause), so a schedule that keeps them gives different pause figures per
engine. :func:`pace_clip` measures every silence between two words of a turn from its word
timings and sets it to a value drawn from the preset's pause model:

* at each word boundary a pause is drawn with a probability that depends on the boundary: after
  a sentence end (``pause_sentence_prob``), after a clause mark ``, ; :`` (``pause_clause_prob``)
  or elsewhere (``pause_word_prob``, hesitations);
* a drawn pause lasts a log-normal time (mode ``pause_mode_s``, shape ``pause_sigma``, between
  ``pause_min_s`` and ``pause_max_s``); silence is inserted only up to that length;
* a boundary without a drawn pause keeps the engine's silence up to ``pause_short_s`` (below the
  0.2 s that ends an IPU); a longer engine silence is shortened by cutting its middle.

Splices get 4 ms ramps so they never click. Word times move with the audio, so every later step
(gaps, interruptions, backchannels at pauses) sees the paced turn. The draws per boundary are
fixed (two numbers), whatever the knobs.

:func:`dialogue_variation` draws one factor per timing family for a dialogue (speaker pairs
differ: some reply faster, pause more, backchannel more) and returns the scaled config.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

from duplexsynth.schedule.config import MixConfig
from duplexsynth.schedule.inputs import Clip
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


def target_silences(words: tuple[Word, ...], cfg: MixConfig, rng: np.random.Generator) -> list[float]:
    """The silence (s) wanted after each word but the last (two draws per boundary)."""
    probs = {
        "sentence": cfg.pause_sentence_prob,
        "clause": cfg.pause_clause_prob,
        "word": cfg.pause_word_prob,
    }
    out = []
    for k in range(len(words) - 1):
        u = float(rng.random())
        z = float(rng.standard_normal())
        existing = max(0.0, words[k + 1].start_s - words[k].end_s)
        if u < probs[boundary_kind(words[k].word)]:
            length = _lognormal(z, cfg.pause_mode_s, cfg.pause_sigma)
            out.append(min(max(length, cfg.pause_min_s), cfg.pause_max_s))
        else:
            out.append(min(existing, cfg.pause_short_s))
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
_PAUSE_PROBS = ("pause_sentence_prob", "pause_clause_prob", "pause_word_prob")


def dialogue_variation(cfg: MixConfig, rng: np.random.Generator) -> tuple[MixConfig, dict]:
    """The config for one dialogue: gap, pause, overlap and backchannel knobs each scaled by a
    log-normal factor ``exp(dialogue_variation_sigma * N(0, 1))`` (four draws, always made)."""
    z = rng.standard_normal(4)
    sigma = cfg.dialogue_variation_sigma
    gap_f, pause_f, overlap_f, bc_f = (float(math.exp(sigma * v)) for v in z)
    if sigma <= 0:
        return cfg, {}
    changes: dict[str, float] = {k: getattr(cfg, k) * gap_f for k in _GAP_KNOBS}
    for k in _PAUSE_PROBS:
        changes[k] = min(1.0, getattr(cfg, k) * pause_f)
    changes["reply_overlap_prob"] = min(1.0, cfg.reply_overlap_prob * overlap_f)
    changes["backchannel_rate_per_min"] = cfg.backchannel_rate_per_min * bc_f
    factors = {"gap": gap_f, "pause": pause_f, "overlap": overlap_f, "backchannel": bc_f}
    return dataclasses.replace(cfg, **changes), factors
