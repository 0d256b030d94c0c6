"""The mix stage's entry point: aligned dialogue in, stereo timeline dialogue out.

``mix_dialogue`` checks the input, decodes it, samples a :class:`~duplexsynth.mix.plan.MixPlan`
from ``dialogue_rng(seed, id, "mix")``, renders it and fills every field the stage contract
gives the mix stage (top-level stereo ``audio``, ``sample_rate``, ``duration_s``, ``words``,
``labels``, ``events``; per turn ``start_s``, ``end_s``, ``channel``, ``kind``, ``interrupted``,
``cut_s``, ``text``, ``stop_command``; backchannels as extra turns; ``params["mix"]``).
"""

from __future__ import annotations

import dataclasses

from duplexsynth.audio import encode_flac
from duplexsynth.lang import join_tokens, word_tokens
from duplexsynth.mix.config import MixConfig
from duplexsynth.mix.inputs import PreparedDialogue, check_dialogue, mix_sample_rate, prepare
from duplexsynth.mix.labels import build_events, frame_labels
from duplexsynth.mix.pacing import dialogue_variation, pace_clip, target_silences
from duplexsynth.mix.plan import PLAN_VERSION, MixPlan, TurnPlan, plan_mix
from duplexsynth.mix.render import render
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import (
    KIND_BACKCHANNEL,
    KIND_TURN,
    AudioRef,
    Dialogue,
    Reject,
    TimelineWord,
    Turn,
    Word,
    make_reject,
)
from duplexsynth.schemas.rng import dialogue_rng

STAGE = "mix"
RNG_STREAM = "mix"


def _r(x: float) -> float:
    """Timeline times are kept to the microsecond (stable, readable output)."""
    return round(float(x), 6)


def _turn_words(
    tp: TurnPlan, words: tuple[Word, ...], sr: int
) -> tuple[tuple[Word, ...], list[tuple[str, float, float]]]:
    """The words actually said (turn-relative) and their timeline spans."""
    spoken = words[: tp.words_spoken]
    base = tp.offset_samples / sr
    spans = []
    for n, w in enumerate(spoken):
        start, end = base + w.start_s, base + w.end_s
        if tp.interrupted and n == len(spoken) - 1:
            end = min(end, tp.end_s)
        spans.append((w.word, _r(start), _r(max(start, end))))
    return spoken, spans


def _said_text(turn: Turn, spoken: tuple[Word, ...]) -> str:
    """What was said: the first tokens of ``spoken_text`` when they match the words, else the words."""
    tokens = word_tokens(turn.spoken_text)
    if len(tokens) == len(turn.words or ()):
        return join_tokens(tokens[: len(spoken)])
    return join_tokens(w.word for w in spoken)


def pace_dialogue(
    prep: PreparedDialogue, config: MixConfig, rng
) -> tuple[PreparedDialogue, list[list[tuple[int, float, float]]]]:
    """Every turn clip with its word silences set from the pause model (``pacing.py``);
    unchanged when ``config.pause_pacing`` is off. Also returns each turn's edits."""
    if not config.pause_pacing:
        return prep, [[] for _ in prep.clips]
    clips, edits = [], []
    for clip in prep.clips:
        paced, changed = pace_clip(clip, prep.sample_rate, target_silences(clip.words, config, rng))
        clips.append(paced)
        edits.append(changed)
    return dataclasses.replace(prep, clips=tuple(clips)), edits


def assemble(
    prep: PreparedDialogue,
    plan: MixPlan,
    config: MixConfig,
    seed: int,
    pacing: list[list[tuple[int, float, float]]] | None = None,
    variation: dict | None = None,
) -> Dialogue:
    """Render ``plan`` and build the mixed :class:`Dialogue`.

    ``pacing`` (each turn's changed silences) and ``variation`` (the per-dialogue factors) are
    recorded in ``params["mix"]``; a paced turn carries its paced audio, so its words match it.
    """
    d, sr = prep.dialogue, prep.sample_rate
    stereo = render(prep, plan)
    lexicon = {e.index: e for e in prep.lexicon}
    timeline: list[TimelineWord] = []
    turns: list[Turn] = []
    for pos, (turn, tp) in enumerate(zip(d.turns, plan.turns)):
        ch = tp.channel
        spoken, spans = _turn_words(tp, prep.clips[pos].words, sr)
        text = _said_text(turn, spoken) if tp.interrupted else (turn.spoken_text or "")
        if tp.opener is not None:
            o = tp.opener
            obase = o.offset_samples / sr
            for w in lexicon[o.lexicon_index].clip.words:
                timeline.append(
                    TimelineWord(
                        w.word,
                        _r(obase + w.start_s),
                        _r(obase + w.end_s),
                        ch,
                        turn.speaker,
                        turn.turn_index,
                        KIND_TURN,
                    )
                )
            text = join_tokens([o.text, text]).strip()
        for word, a, b in spans:
            timeline.append(TimelineWord(word, a, b, ch, turn.speaker, turn.turn_index, KIND_TURN))
        paced = {}
        if pacing and pacing[pos]:
            clip = prep.clips[pos]
            paced = {
                "audio": AudioRef(encode_flac(clip.audio, sr)),
                "sample_rate": sr,
                "duration_s": _r(clip.num_samples / sr),
            }
        turns.append(
            turn.replace(
                **paced,
                words=spoken,
                start_s=_r(tp.start_s),
                end_s=_r(tp.end_s),
                channel=ch,
                kind=KIND_TURN,
                interrupted=tp.interrupted,
                cut_s=_r(tp.end_s) if tp.interrupted else None,
                text=text,
                stop_command=tp.opener is not None,
            )
        )
    for bp in plan.backchannels:
        entry = lexicon[bp.lexicon_index]
        source = d.backchannels[bp.lexicon_index]
        base = bp.offset_samples / sr
        for w in entry.clip.words:
            timeline.append(
                TimelineWord(
                    w.word,
                    _r(base + w.start_s),
                    _r(base + w.end_s),
                    bp.channel,
                    bp.speaker,
                    bp.turn_index,
                    KIND_BACKCHANNEL,
                )
            )
        turns.append(
            Turn(
                turn_index=bp.turn_index,
                speaker=bp.speaker,
                source_text=None,
                spoken_text=bp.text,
                voice=source.voice,
                audio=source.audio,
                sample_rate=source.sample_rate,
                duration_s=source.duration_s,
                words=entry.clip.words,
                start_s=_r(bp.start_s),
                end_s=_r(bp.end_s),
                channel=bp.channel,
                kind=KIND_BACKCHANNEL,
                interrupted=False,
                cut_s=None,
                text=bp.text,
                stop_command=False,
            )
        )
    timeline.sort(key=lambda w: (w.start_s, w.channel, w.turn_index, w.end_s))
    duration_s = plan.num_samples / sr
    labels = frame_labels(
        turns, timeline, duration_s, config.frame_rate_hz, config.ipu_min_silence_s
    )
    params = {
        "version": PLAN_VERSION,
        "seed": int(seed),
        "rng_stream": RNG_STREAM,
        "config": config.to_dict(),
        "variation": {k: _r(v) for k, v in (variation or {}).items()},
        "pacing": [
            {"turn_index": t.turn_index, "word": k, "before_s": _r(a), "after_s": _r(b)}
            for t, changed in zip(d.turns, pacing or ())
            for k, a, b in changed
        ],
        **plan.to_params(),
    }
    return d.with_params(STAGE, params).replace(
        turns=tuple(turns),
        audio=AudioRef(encode_flac(stereo, sr), path=f"{d.id}.flac"),
        sample_rate=sr,
        duration_s=_r(duration_s),
        words=tuple(timeline),
        labels=labels,
        events=build_events(turns),
    )


def _reject(d: Dialogue, detail: str) -> Reject:
    return make_reject(d, STAGE, Reason.BAD_INPUT, detail)


def mix_dialogue(
    dialogue: Dialogue, config: MixConfig | None = None, seed: int = 0
) -> Dialogue | Reject:
    """Schedule and mix one aligned dialogue; a :class:`Reject` (``bad_input``) if it cannot be.

    Same dialogue, config and seed always give byte-identical audio and identical fields.
    """
    config = config or MixConfig()
    problem = check_dialogue(dialogue)
    if problem is not None:
        return _reject(dialogue, f"{dialogue.id}: {problem}")
    sr = mix_sample_rate(dialogue, config.sample_rate_hz)
    try:
        prep = prepare(dialogue, sr, config.stop_command_texts)
    except (ValueError, RuntimeError) as exc:  # undecodable or multichannel clip audio
        return _reject(dialogue, f"{dialogue.id}: {exc}")
    plan_rng, pace_rng, var_rng = dialogue_rng(seed, dialogue.id, RNG_STREAM).spawn(3)
    dialogue_config, variation = dialogue_variation(config, var_rng)
    prep, pacing = pace_dialogue(prep, dialogue_config, pace_rng)
    plan = plan_mix(prep, dialogue_config, plan_rng)
    return assemble(prep, plan, config, seed, pacing, variation)


class MixProcessor:
    """Picklable processor for :class:`~duplexsynth.pipelines.stage.DialogueStage`."""

    def __init__(self, config: MixConfig | None = None, seed: int = 0) -> None:
        self.config = config or MixConfig()
        self.seed = int(seed)

    def setup(self) -> None:  # nothing to load: mixing needs no model
        return None

    def __call__(self, dialogue: Dialogue) -> Dialogue | Reject:
        return mix_dialogue(dialogue, self.config, self.seed)
