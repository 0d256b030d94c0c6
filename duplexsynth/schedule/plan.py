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
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from duplexsynth.audio import db_to_gain, gain_to_db
from duplexsynth.schedule.config import MixConfig
from duplexsynth.schedule.inputs import (
    Clip,
    LexiconEntry,
    PreparedDialogue,
    audible_end_s,
    audible_start_s,
    ends_with_punctuation,
)
from duplexsynth.schemas.records import ASSISTANT, CHANNEL_OF, USER

PLAN_VERSION = "1"
#: a scaled clip never peaks above this
PEAK_LIMIT = 0.99

TRANSITION_FIRST = "first"
TRANSITION_REPLY = "reply"  # user -> assistant, gap or early start
TRANSITION_USER = "user_gap"  # assistant -> user
TRANSITION_SAME = "same_speaker"
TRANSITION_INTERRUPTION = "interruption"


@dataclass(frozen=True)
class OpenerPlan:
    """A spoken stop command that opens an interrupting user turn."""

    lexicon_index: int
    text: str
    offset_samples: int
    length_samples: int
    gain: float
    start_s: float
    end_s: float
    gap_after_s: float  # sampled silence between the stop command and the turn's first word


@dataclass(frozen=True)
class InterruptionPlan:
    """How the user cut into an assistant turn (set on the interrupted assistant turn)."""

    user_turn_index: int
    onset_word: int  # the user starts at the end of this assistant word
    stop_word: int  # the last assistant word said
    onset_s: float
    reaction_delay_s: float
    cut_s: float
    words_planned: int
    stop_command: str | None


@dataclass(frozen=True)
class TurnPlan:
    """Placement of one dialogue turn on the timeline."""

    turn_index: int
    speaker: str
    channel: int
    transition: str
    gap_s: float | None  # sampled gap before this turn (negative = overlap); None if not sampled
    pushed_s: float  # extra delay to keep clips on one channel apart
    offset_samples: int  # timeline sample where the turn audio's sample 0 lands
    length_samples: int  # samples of the turn audio used (fewer when interrupted)
    fade_samples: int
    words_spoken: int
    start_s: float  # first word on the timeline (the stop command's, when there is one)
    end_s: float  # last spoken word's end (the cut, when interrupted)
    interruption: InterruptionPlan | None = None
    opener: OpenerPlan | None = None

    @property
    def interrupted(self) -> bool:
        return self.interruption is not None


@dataclass(frozen=True)
class BackchannelPlan:
    """One backchannel token placed during the other speaker's turn."""

    turn_index: int
    speaker: str
    channel: int
    during_turn: int
    after_word: int
    lexicon_index: int
    text: str
    onset_delay_s: float
    level_db: float  # sampled level relative to the speaker's speech RMS
    applied_level_db: float  # after the peak limit
    gain: float
    offset_samples: int
    length_samples: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class MixPlan:
    """Everything sampled for one dialogue; ``render`` applies it deterministically."""

    sample_rate: int
    num_samples: int
    lead_silence_s: float
    trail_silence_s: float
    turns: tuple[TurnPlan, ...]
    backchannels: tuple[BackchannelPlan, ...]
    notes: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        return self.num_samples / self.sample_rate

    def to_params(self) -> dict[str, Any]:
        """The plan as JSON-safe values (floats rounded to microseconds)."""
        return _rounded(
            {
                "plan_version": PLAN_VERSION,
                "sample_rate": self.sample_rate,
                "num_samples": self.num_samples,
                "duration_s": self.duration_s,
                "lead_silence_s": self.lead_silence_s,
                "trail_silence_s": self.trail_silence_s,
                "turns": [asdict(t) for t in self.turns],
                "backchannels": [asdict(b) for b in self.backchannels],
                "notes": list(self.notes),
            }
        )


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


# ------------------------------------------------------------------------------ distributions
def lognormal_with_mode(
    rng: np.random.Generator, mode_s: float, sigma: float, cap_s: float
) -> float:
    """A log-normal draw whose density peaks at ``mode_s`` (shape ``sigma``), capped at ``cap_s``.

    With ``mu = ln(mode) + sigma**2`` the mode of ``exp(N(mu, sigma))`` is ``mode``. One normal
    is drawn even when ``sigma == 0`` so the stream position never depends on the knobs.
    """
    z = float(rng.standard_normal())
    if sigma <= 0:
        return min(mode_s, cap_s)
    mu = math.log(mode_s) + sigma * sigma
    return min(math.exp(mu + sigma * z), cap_s)


# ------------------------------------------------------------------------------ the planner
class _Planner:
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
        cfg, rng = self.cfg, self.cut_rng
        # fixed number of draws per assistant -> user transition
        u = float(rng.random())
        delay = float(rng.uniform(cfg.reaction_delay_s_min, cfg.reaction_delay_s_max))
        pick_k = float(rng.random())
        u_stop = float(rng.random())
        pick_stop = float(rng.random())
        stop_gap = float(rng.uniform(cfg.stop_command_gap_s_min, cfg.stop_command_gap_s_max))
        if u >= cfg.interruption_prob:
            return None
        a_clip = self.clips[self._pos(prev.turn_index)]
        base = self._t(prev.offset_samples)
        ends = [base + w.end_s for w in a_clip.words]
        n = len(ends)
        cands: list[tuple[int, int]] = []
        for k in range(max(0, cfg.interruption_min_words - 1), n - 1):
            onset = ends[k]
            if onset - prev.start_s < cfg.interruption_min_s - 1e-9:
                continue
            j = next((j for j in range(k, n) if ends[j] >= onset + delay - 1e-9), n - 1)
            if j <= n - 2:  # at least one planned word is never said
                cands.append((k, j))
        if not cands:
            self.notes.append(
                f"turn {prev.turn_index}: interruption drawn but the turn is too short to cut"
            )
            return None
        k, j = cands[min(len(cands) - 1, int(pick_k * len(cands)))]
        onset = ends[k]

        user_clip = self.clips[i]
        user_ch = CHANNEL_OF[USER]
        floor = self._channel_end(user_ch) + self.guard
        opener = None
        stops = self._stop_entries() if cfg.stop_commands else []
        if cfg.stop_commands and not stops and u_stop < cfg.stop_command_prob:
            self.notes.append(
                f"turn {self.turns[i].turn_index}: stop command drawn but the user lexicon has "
                "no stop-command token; skipped"
            )
        if stops and u_stop < cfg.stop_command_prob:
            e = stops[min(len(stops) - 1, int(pick_stop * len(stops)))]
            o_off = self._offset(onset, e.clip.words[0].start_s)
            if o_off < floor:
                return None
            o_base = self._t(o_off)
            gain = _matched_gain(e.clip, user_clip.speech_rms)
            opener = OpenerPlan(
                lexicon_index=e.index,
                text=e.text,
                offset_samples=o_off,
                length_samples=e.clip.num_samples,
                gain=gain,
                start_s=o_base + e.clip.words[0].start_s,
                end_s=o_base + e.clip.words[-1].end_s,
                gap_after_s=stop_gap,
            )
            user = self._place(
                i,
                opener.end_s + stop_gap,
                TRANSITION_INTERRUPTION,
                None,
                min_offset=o_off + e.clip.num_samples + self.guard,
            )
            user = replace(user, opener=opener, start_s=opener.start_s)
        else:
            if self._offset(onset, user_clip.words[0].start_s) < floor:
                return None  # the user's channel is still busy: no room to cut in here
            user = self._place(i, onset, TRANSITION_INTERRUPTION, None)

        cut_rel = min(a_clip.num_samples, int(round(a_clip.words[j].end_s * self.sr)))
        if j == k:  # no reaction delay: the assistant stops the moment the user starts
            cut_rel = min(cut_rel, int(math.floor(user.start_s * self.sr)) - prev.offset_samples)
        cut_s = self._t(prev.offset_samples + cut_rel)
        fade = min(cut_rel, int(round(cfg.fade_ms * self.sr / 1000.0)))
        cut = replace(
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
                reaction_delay_s=delay,
                cut_s=cut_s,
                words_planned=n,
                stop_command=opener.text if opener else None,
            ),
        )
        return cut, user

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

    # -- backchannels
    def _listener_entries(self, listener: str) -> list[LexiconEntry]:
        entries = [e for e in self.prep.lexicon if e.speaker == listener and not e.is_stop_command]
        d = self.prep.dialogue
        voice = d.user_voice if listener == USER else d.assistant_voice
        if voice is None:
            voice = next((t.voice for t in d.turns if t.speaker == listener and t.voice), None)
        same_voice = [e for e in entries if voice is not None and e.voice == voice]
        return same_voice or entries

    def _enabled(self, listener: str) -> bool:
        cfg = self.cfg
        if not cfg.backchannels:
            return False
        return cfg.user_backchannels if listener == USER else cfg.assistant_backchannels

    def _candidates(self, tp: TurnPlan) -> tuple[list[tuple], list[float], float]:
        """Word boundaries of ``tp`` a listener may backchannel after, their weights, and the
        turn's speech span (0 when the turn is too short for backchannels)."""
        cfg = self.cfg
        clip = self.clips[self._pos(tp.turn_index)]
        words = clip.words[: tp.words_spoken]
        base = self._t(tp.offset_samples)
        first_s = base + words[0].start_s
        span = tp.end_s - first_s
        if span < cfg.backchannel_min_turn_s:
            return [], [], 0.0
        cands, weights = [], []
        for k in range(len(words) - 1):
            b = base + words[k].end_s
            if b < first_s + cfg.backchannel_edge_s or b > tp.end_s - cfg.backchannel_edge_s:
                continue
            silence = words[k + 1].start_s - words[k].end_s
            # with paced pauses the silence itself says where the pauses are
            near = silence >= cfg.backchannel_pause_s or (
                not cfg.pause_pacing and ends_with_punctuation(words[k].word)
            )
            w = 1.0 if near else cfg.backchannel_off_pause_weight
            if w > 0:
                cands.append((tp, clip, k, b))
                weights.append(w)
        return cands, weights, span

    def place_backchannels(self, plans: list[TurnPlan]) -> list[BackchannelPlan]:
        """Per listener: a Poisson count for the whole dialogue (rate x the other speaker's
        speech minutes), spread over the candidate boundaries of all the other's turns, so the
        rate is met whenever the turns leave enough pauses."""
        cfg, rng = self.cfg, self.bc_rng
        placed: list[BackchannelPlan] = []
        for listener in (USER, ASSISTANT):
            if not self._enabled(listener):
                continue
            entries = self._listener_entries(listener)
            if not entries:
                self.notes.append(
                    f"no {listener} backchannel lexicon: {listener} backchannels skipped"
                )
                continue
            cands: list[tuple] = []
            weights: list[float] = []
            span = 0.0
            for tp in plans:
                if tp.speaker == listener:
                    continue
                c, w, s = self._candidates(tp)
                cands += c
                weights += w
                span += s
            count = int(rng.poisson(cfg.backchannel_rate_per_min * span / 60.0))
            made = 0
            while made < count and cands:
                p = np.asarray(weights) / float(sum(weights))
                pick = int(rng.choice(len(cands), p=p))
                tp, clip, k, boundary_s = cands.pop(pick)
                weights.pop(pick)
                e = entries[int(rng.integers(len(entries)))]
                delay = float(rng.uniform(cfg.backchannel_onset_s_min, cfg.backchannel_onset_s_max))
                level_db = float(
                    rng.uniform(cfg.backchannel_level_db_min, cfg.backchannel_level_db_max)
                )
                bp = self._try_backchannel(tp, clip, k, boundary_s, e, delay, level_db, placed)
                if bp is not None:
                    placed.append(bp)
                    self.busy[bp.channel].append(
                        (bp.offset_samples, bp.offset_samples + bp.length_samples)
                    )
                    made += 1
        placed.sort(key=lambda b: (b.start_s, b.channel))
        first_index = max(t.turn_index for t in self.turns) + 1
        return [replace(b, turn_index=first_index + n) for n, b in enumerate(placed)]

    def _try_backchannel(
        self,
        tp: TurnPlan,
        speaker_clip: Clip,
        k: int,
        boundary_s: float,
        e: LexiconEntry,
        delay: float,
        level_db: float,
        placed: list[BackchannelPlan],
    ) -> BackchannelPlan | None:
        cfg = self.cfg
        start = boundary_s + delay
        if start - e.clip.words[0].start_s < 0:
            return None
        ch = CHANNEL_OF[e.speaker]
        off = self._offset(start, e.clip.words[0].start_s)
        if not self._free(ch, off, off + e.clip.num_samples):
            return None
        base = self._t(off)
        start_s = base + e.clip.words[0].start_s
        if k + 1 < tp.words_spoken:
            # the speaker resumes here: the backchannel may run into it only this far
            resume_s = self._t(tp.offset_samples) + speaker_clip.words[k + 1].start_s
            if base + e.clip.words[-1].end_s > resume_s + cfg.backchannel_overlap_max_s:
                return None
        for other_bc in placed:
            if (
                other_bc.channel == ch
                and abs(other_bc.start_s - start_s) < cfg.backchannel_min_spacing_s
            ):
                return None
        target = speaker_clip.speech_rms * db_to_gain(level_db)
        gain = _matched_gain(e.clip, target)
        applied = (
            gain_to_db(gain * e.clip.speech_rms / speaker_clip.speech_rms)
            if (speaker_clip.speech_rms > 0 and e.clip.speech_rms > 0)
            else level_db
        )
        return BackchannelPlan(
            turn_index=-1,
            speaker=e.speaker,
            channel=ch,
            during_turn=tp.turn_index,
            after_word=k,
            lexicon_index=e.index,
            text=e.text,
            onset_delay_s=delay,
            level_db=level_db,
            applied_level_db=applied,
            gain=gain,
            offset_samples=off,
            length_samples=e.clip.num_samples,
            start_s=start_s,
            end_s=base + e.clip.words[-1].end_s,
        )


def _matched_gain(clip: Clip, target_rms: float) -> float:
    """Gain that brings ``clip``'s speech RMS to ``target_rms``, limited so it never clips."""
    if clip.speech_rms <= 0 or target_rms <= 0:
        return 1.0
    gain = target_rms / clip.speech_rms
    peak = float(np.max(np.abs(clip.audio))) if clip.num_samples else 0.0
    if peak > 0 and gain * peak > PEAK_LIMIT:
        gain = PEAK_LIMIT / peak
    return float(gain)


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
