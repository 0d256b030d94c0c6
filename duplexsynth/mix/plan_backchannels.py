"""Backchannel placement, the last step of ``plan_mix``: short listener tokens in the listener's
free channel time, at word boundaries of the other speaker's long turns (preferring boundaries
near pauses), a Poisson count per listener over the whole dialogue."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from duplexsynth.audio import db_to_gain, gain_to_db
from duplexsynth.mix.config import MixConfig
from duplexsynth.mix.inputs import Clip, LexiconEntry, PreparedDialogue, ends_with_punctuation
from duplexsynth.mix.plan_records import BackchannelPlan, TurnPlan, matched_gain
from duplexsynth.schemas.records import ASSISTANT, CHANNEL_OF, USER


class BackchannelPlacement:
    """The planner's backchannel methods (mixed into the planner, which owns the timeline state:
    ``prep``, ``cfg``, ``clips``, ``busy``, ``notes``, ``bc_rng`` and the helpers ``_t``,
    ``_offset``, ``_free``, ``_pos``)."""

    prep: PreparedDialogue
    cfg: MixConfig
    clips: list[Clip]
    busy: dict[int, list[tuple[int, int]]]
    notes: list[str]
    bc_rng: np.random.Generator

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
        gain = matched_gain(e.clip, target)
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
