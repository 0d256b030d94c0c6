"""Apply a :class:`~duplexsynth.mix.plan.MixPlan`: the stereo timeline, no randomness.

Channel 0 is the assistant, channel 1 the user (moshi-finetune's convention). Each clip is added
at its integer sample offset; the plan guarantees that clips never overlap on one channel, so an
unscaled turn appears on its channel sample for sample. An interrupted turn is truncated at the
cut with a raised-cosine fade over its last ``fade_samples`` samples (exact zeros after the cut).
The two channels of the result are the clean per-speaker stems.
"""

from __future__ import annotations

import numpy as np

from duplexsynth.mix.inputs import PreparedDialogue
from duplexsynth.mix.plan import MixPlan


def fade_out(n: int) -> np.ndarray:
    """A raised-cosine ramp of ``n`` samples from just below 1 down to exactly 0."""
    if n <= 0:
        return np.ones(0, dtype=np.float32)
    k = np.arange(1, n + 1, dtype=np.float64)
    return (0.5 * (1.0 + np.cos(np.pi * k / n))).astype(np.float32)


def _add(out: np.ndarray, ch: int, offset: int, seg: np.ndarray) -> None:
    end = offset + seg.shape[0]
    if offset < 0 or end > out.shape[0]:
        raise ValueError(
            f"clip [{offset}, {end}) falls outside the {out.shape[0]}-sample timeline (plan bug)"
        )
    out[offset:end, ch] += seg


def render(prep: PreparedDialogue, plan: MixPlan) -> np.ndarray:
    """The stereo mix as float32 ``(num_samples, 2)``."""
    if plan.sample_rate != prep.sample_rate:
        raise ValueError(
            f"plan is at {plan.sample_rate} Hz but the clips are at {prep.sample_rate} Hz"
        )
    out = np.zeros((plan.num_samples, 2), dtype=np.float32)
    lexicon = {e.index: e for e in prep.lexicon}
    for pos, tp in enumerate(plan.turns):
        seg = prep.clips[pos].audio[: tp.length_samples]
        if tp.fade_samples:
            seg = seg.copy()
            seg[-tp.fade_samples :] *= fade_out(tp.fade_samples)
        _add(out, tp.channel, tp.offset_samples, seg)
        if tp.opener is not None:
            o = tp.opener
            clip = lexicon[o.lexicon_index].clip.audio[: o.length_samples]
            _add(out, tp.channel, o.offset_samples, clip * np.float32(o.gain))
    for bp in plan.backchannels:
        clip = lexicon[bp.lexicon_index].clip.audio[: bp.length_samples]
        _add(out, bp.channel, bp.offset_samples, clip * np.float32(bp.gain))
    return out
