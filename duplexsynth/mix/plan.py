"""Sample a mix plan: every random decision of the scheduler, made once, into typed records.

``plan_mix`` draws from the dialogue's RNG (``dialogue_rng(seed, id, "mix")``, split into
independent child streams for timing, interruptions and backchannels so that switching one
feature off never shifts the draws of another) and returns a :class:`MixPlan` whose clip
placements are integer sample offsets. ``render`` then applies the plan without any randomness.

Timeline rules (all times are speech times, i.e. word starts/ends, not audio edges):

* the first user word starts after the lead silence (at least the turn audio's own lead-in);
* user -> assistant: a *reply gap* (log-normal, or with ``reply_overlap_prob`` a small overlap
  bounded by the user's last word); assistant -> user: a separately sampled *user gap*; gaps
  hold between the audible end of one turn and the audible start of the next (word times
  corrected by ``audible_end_s``/``audible_start_s``), so engines' tails do not shorten them;
* with ``interruption_prob`` the user instead cuts in at a word boundary of the assistant; the
  assistant stops at the first word boundary after ``onset + reaction delay`` (fade-out before
  the cut); the user's turn may open with a stop command from the user's lexicon;
* backchannels are placed afterwards, in the listener's free channel time, at word boundaries of
  the other speaker's long turns, preferring boundaries near pauses; each listener's count is
  Poisson over the whole dialogue (rate x the other's speech minutes);
* clips never overlap on one channel: a clip that would is pushed later (recorded as
  ``pushed_s``), so every channel holds each clip sample-exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from duplexsynth.mix.config import MixConfig
from duplexsynth.mix.inputs import (
    Clip,
    LexiconEntry,
    PreparedDialogue,
    audible_end_s,
    audible_start_s,
)
from duplexsynth.mix.plan_backchannels import BackchannelPlacement
from duplexsynth.mix.plan_records import (
    PEAK_LIMIT,
    PLAN_VERSION,
    TRANSITION_FIRST,
    TRANSITION_INTERRUPTION,
    TRANSITION_REPLY,
    TRANSITION_SAME,
    TRANSITION_USER,
    BackchannelPlan,
    InterruptionPlan,
    MixPlan,
    OpenerPlan,
    TurnPlan,
    lognormal_with_mode,
    matched_gain,
)
from duplexsynth.schemas.records import ASSISTANT, CHANNEL_OF, USER

# the records live in plan_records; importing them from here keeps working
__all__ = [
    "PEAK_LIMIT",
    "PLAN_VERSION",
    "BackchannelPlan",
    "InterruptionPlan",
    "MixPlan",
    "OpenerPlan",
    "TurnPlan",
    "lognormal_with_mode",
    "plan_mix",
]


# ------------------------------------------------------------------------------ the planner
@dataclass(frozen=True)
class _CutDraws:
    """The draws of one assistant -> user transition's interruption (always all drawn, so the
    stream position never depends on whether the cut happens)."""

    u: float
    delay_s: float
    pick_k: float
    u_stop: float
    pick_stop: float
    stop_gap_s: float


class _Planner(BackchannelPlacement):
    def __init__(self, prep: PreparedDialogue, cfg: MixConfig, rng: np.random.Generator) -> None:
        self.prep = prep
        self.cfg = cfg
        self.sr = prep.sample_rate
        self.turns = prep.dialogue.turns
        self.clips = prep.clips
        self.timing_rng, self.cut_rng, self.bc_rng = rng.spawn(3)
        self.guard = int(round(cfg.channel_guard_s * self.sr))
        self.busy: dict[int, list[tuple[int, int]]] = {0: [], 1: []}
        self.notes: list[str] = []

    # -- helpers
    def _t(self, samples: int) -> float:
        return samples / self.sr

    def _offset(self, speech_start_s: float, clip_first_word_s: float) -> int:
        return max(0, int(round((speech_start_s - clip_first_word_s) * self.sr)))

    def _channel_end(self, ch: int) -> int:
        return max((b for _, b in self.busy[ch]), default=-self.guard)

    def _free(self, ch: int, a: int, b: int) -> bool:
        g = self.guard
        return all(b + g <= s or a >= e + g for s, e in self.busy[ch])

    def _place(
        self,
        i: int,
        speech_start_s: float,
        transition: str,
        gap_s: float | None,
        min_offset: int | None = None,
    ) -> TurnPlan:
        turn, clip = self.turns[i], self.clips[i]
        ch = CHANNEL_OF[turn.speaker]
        offset = self._offset(speech_start_s, clip.words[0].start_s)
        floor = self._channel_end(ch) + self.guard
        if min_offset is not None:
            floor = max(floor, min_offset)
        pushed = 0
        if offset < floor:
            pushed, offset = floor - offset, floor
        base = self._t(offset)
        return TurnPlan(
            turn_index=turn.turn_index,
            speaker=turn.speaker,
            channel=ch,
            transition=transition,
            gap_s=gap_s,
            pushed_s=self._t(pushed),
            offset_samples=offset,
            length_samples=clip.num_samples,
            fade_samples=0,
            words_spoken=len(clip.words),
            start_s=base + clip.words[0].start_s,
            end_s=base + clip.words[-1].end_s,
        )

    def _commit(self, tp: TurnPlan) -> None:
        self.busy[tp.channel].append((tp.offset_samples, tp.offset_samples + tp.length_samples))
        if tp.opener is not None:
            o = tp.opener
            self.busy[tp.channel].append((o.offset_samples, o.offset_samples + o.length_samples))

    def _uncommit_last(self, ch: int) -> None:
        self.busy[ch].pop()

    # -- gaps
    def _reply_gap(self, prev: TurnPlan) -> float:
        cfg, rng = self.cfg, self.timing_rng
        u = float(rng.random())
        overlap = float(rng.uniform(cfg.reply_overlap_s_min, cfg.reply_overlap_s_max))
        gap = lognormal_with_mode(
            rng, cfg.reply_gap_mode_s, cfg.reply_gap_sigma, cfg.reply_gap_max_s
        )
        if u < cfg.reply_overlap_prob:
            last = self.clips[self._pos(prev.turn_index)].words[prev.words_spoken - 1]
            bound = cfg.overlap_last_word_frac * (last.end_s - last.start_s)
            # the assistant never starts before the user's last word began
            return -min(overlap, bound)
        return gap

    def _user_gap(self) -> float:
        cfg = self.cfg
        return lognormal_with_mode(
            self.timing_rng, cfg.user_gap_mode_s, cfg.user_gap_sigma, cfg.user_gap_max_s
        )

    def _audible_shift(self, prev: TurnPlan, i: int) -> float:
        """What to add to a gap between aligned words so that it holds between the sounds:
        the decay after ``prev``'s last word plus the onset before turn ``i``'s first word
        (engines put different amounts of either inside or outside their word times)."""
        tail = 0.0
        if not prev.interrupted:
            clip = self.clips[self._pos(prev.turn_index)]
            k = prev.words_spoken - 1
            tail = audible_end_s(clip, k, self.sr) - clip.words[k].end_s
        nxt = self.clips[i]
        return tail + nxt.words[0].start_s - audible_start_s(nxt, 0, self.sr)

    def _pos(self, turn_index: int) -> int:
        for p, t in enumerate(self.turns):
            if t.turn_index == turn_index:
                return p
        raise KeyError(turn_index)

    # -- interruptions
    def _stop_entries(self) -> list[LexiconEntry]:
        return [e for e in self.prep.lexicon if e.speaker == USER and e.is_stop_command]

    def _interrupt(self, prev: TurnPlan, i: int) -> tuple[TurnPlan, TurnPlan] | None:
        """Try to let user turn ``i`` cut into assistant turn ``prev``; None when not possible."""
        draws = self._draw_cut()
        if draws.u >= self.cfg.interruption_prob:
            return None
        a_clip = self.clips[self._pos(prev.turn_index)]
        ends = [self._t(prev.offset_samples) + w.end_s for w in a_clip.words]
        cands = self._cut_candidates(prev, ends, draws.delay_s)
        if not cands:
            self.notes.append(
                f"turn {prev.turn_index}: interruption drawn but the turn is too short to cut"
            )
            return None
        k, j = cands[min(len(cands) - 1, int(draws.pick_k * len(cands)))]
        user = self._place_cutting_user(i, ends[k], draws)
        if user is None:
            return None
        return self._cut_assistant(prev, a_clip, user, i, k, j, draws.delay_s), user

    def _draw_cut(self) -> _CutDraws:
        """A fixed number of draws per assistant -> user transition, used or not."""
        cfg, rng = self.cfg, self.cut_rng
        return _CutDraws(
            u=float(rng.random()),
            delay_s=float(rng.uniform(cfg.reaction_delay_s_min, cfg.reaction_delay_s_max)),
            pick_k=float(rng.random()),
            u_stop=float(rng.random()),
            pick_stop=float(rng.random()),
            stop_gap_s=float(rng.uniform(cfg.stop_command_gap_s_min, cfg.stop_command_gap_s_max)),
        )

    def _cut_candidates(
        self, prev: TurnPlan, ends: list[float], delay_s: float
    ) -> list[tuple[int, int]]:
        """``(onset word, last word said)`` pairs where the user may cut in: late enough in the
        turn, and leaving at least one planned word unsaid after the reaction delay."""
        cfg, n = self.cfg, len(ends)
        cands: list[tuple[int, int]] = []
        for k in range(max(0, cfg.interruption_min_words - 1), n - 1):
            onset = ends[k]
            if onset - prev.start_s < cfg.interruption_min_s - 1e-9:
                continue
            j = next((j for j in range(k, n) if ends[j] >= onset + delay_s - 1e-9), n - 1)
            if j <= n - 2:  # at least one planned word is never said
                cands.append((k, j))
        return cands

    def _place_cutting_user(self, i: int, onset: float, draws: _CutDraws) -> TurnPlan | None:
        """The interrupting user turn starting at ``onset`` (opened by a stop command when one
        is drawn); None when the user's channel is still busy there."""
        cfg = self.cfg
        user_clip = self.clips[i]
        floor = self._channel_end(CHANNEL_OF[USER]) + self.guard
        stops = self._stop_entries() if cfg.stop_commands else []
        wants_stop = draws.u_stop < cfg.stop_command_prob
        if cfg.stop_commands and not stops and wants_stop:
            self.notes.append(
                f"turn {self.turns[i].turn_index}: stop command drawn but the user lexicon has "
                "no stop-command token; skipped"
            )
        if not (stops and wants_stop):
            if self._offset(onset, user_clip.words[0].start_s) < floor:
                return None  # the user's channel is still busy: no room to cut in here
            return self._place(i, onset, TRANSITION_INTERRUPTION, None)
        e = stops[min(len(stops) - 1, int(draws.pick_stop * len(stops)))]
        o_off = self._offset(onset, e.clip.words[0].start_s)
        if o_off < floor:
            return None
        o_base = self._t(o_off)
        opener = OpenerPlan(
            lexicon_index=e.index,
            text=e.text,
            offset_samples=o_off,
            length_samples=e.clip.num_samples,
            gain=matched_gain(e.clip, user_clip.speech_rms),
            start_s=o_base + e.clip.words[0].start_s,
            end_s=o_base + e.clip.words[-1].end_s,
            gap_after_s=draws.stop_gap_s,
        )
        user = self._place(
            i,
            opener.end_s + draws.stop_gap_s,
            TRANSITION_INTERRUPTION,
            None,
            min_offset=o_off + e.clip.num_samples + self.guard,
        )
        return replace(user, opener=opener, start_s=opener.start_s)

    def _cut_assistant(
        self, prev: TurnPlan, a_clip: Clip, user: TurnPlan, i: int, k: int, j: int, delay_s: float
    ) -> TurnPlan:
        """Assistant turn ``prev`` cut after word ``j`` (faded out) because ``user`` cut in at
        the end of word ``k``."""
        cut_rel = min(a_clip.num_samples, int(round(a_clip.words[j].end_s * self.sr)))
        if j == k:  # no reaction delay: the assistant stops the moment the user starts
            cut_rel = min(cut_rel, int(math.floor(user.start_s * self.sr)) - prev.offset_samples)
        cut_s = self._t(prev.offset_samples + cut_rel)
        fade = min(cut_rel, int(round(self.cfg.fade_ms * self.sr / 1000.0)))
        return replace(
            prev,
            length_samples=cut_rel,
            fade_samples=fade,
            words_spoken=j + 1,
            end_s=cut_s,
            interruption=InterruptionPlan(
                user_turn_index=self.turns[i].turn_index,
                onset_word=k,
                stop_word=j,
                onset_s=user.start_s,
                reaction_delay_s=delay_s,
                cut_s=cut_s,
                words_planned=len(a_clip.words),
                stop_command=user.opener.text if user.opener else None,
            ),
        )

    # -- main turns
    def place_turns(self) -> tuple[list[TurnPlan], float, float]:
        cfg = self.cfg
        lead = float(self.timing_rng.uniform(cfg.lead_silence_s_min, cfg.lead_silence_s_max))
        trail = float(self.timing_rng.uniform(cfg.trail_silence_s_min, cfg.trail_silence_s_max))
        plans: list[TurnPlan] = []
        for i, turn in enumerate(self.turns):
            if i == 0:
                tp = self._place(
                    i, max(lead, self.clips[0].words[0].start_s), TRANSITION_FIRST, None
                )
                plans.append(tp)
                self._commit(tp)
                continue
            prev = plans[-1]
            if prev.speaker == ASSISTANT and turn.speaker == USER:
                # drawn even when the user interrupts, so the interruption knobs never shift
                # the timing stream of later turns
                gap, transition = self._user_gap(), TRANSITION_USER
                pair = self._interrupt(prev, i)
                if pair is not None:
                    cut, user = pair
                    self._uncommit_last(prev.channel)
                    plans[-1] = cut
                    self._commit(cut)
                    plans.append(user)
                    self._commit(user)
                    continue
            elif prev.speaker == USER and turn.speaker == ASSISTANT:
                gap, transition = self._reply_gap(prev), TRANSITION_REPLY
            else:
                gap, transition = self._user_gap(), TRANSITION_SAME
            tp = self._place(i, prev.end_s + gap + self._audible_shift(prev, i), transition, gap)
            plans.append(tp)
            self._commit(tp)
        return plans, lead, trail


def plan_mix(prep: PreparedDialogue, config: MixConfig, rng: np.random.Generator) -> MixPlan:
    """Sample the whole plan for one prepared dialogue (see the module docstring)."""
    planner = _Planner(prep, config, rng)
    turns, lead, trail = planner.place_turns()
    backchannels = planner.place_backchannels(turns)
    sr = prep.sample_rate
    last_speech = max(t.end_s for t in turns)
    clip_end = max(e for ch in planner.busy.values() for _, e in ch)
    num_samples = max(int(round((last_speech + trail) * sr)), clip_end)
    return MixPlan(
        sample_rate=sr,
        num_samples=num_samples,
        lead_silence_s=lead,
        trail_silence_s=trail,
        turns=tuple(turns),
        backchannels=tuple(backchannels),
        notes=tuple(planner.notes),
    )
