"""The synth stage's entry point: :func:`synthesize_dialogue` and :class:`SynthProcessor`.

For one dialogue: pick the voices (assistant: the bank's fixed voice; user: drawn from the
weighted pool with ``dialogue_rng(seed, id, "synth.voice")``), render every turn's
``spoken_text`` (cache first), check it, and fill ``voice``, ``audio`` (mono FLAC),
``sample_rate``, ``duration_s`` and ``tts_words`` per turn, ``assistant_voice``,
``user_voice`` and ``backchannels`` (the lexicon in both voices) per row, and
``params["synth"]``. A turn that fails QC cuts the dialogue to its longest clean prefix ending
on an assistant turn (at least one exchange), like the filter's prefix rule; with no such
prefix (or ``keep_prefix`` off) the dialogue is rejected with the failing turn's reason.
"""

from __future__ import annotations

from typing import Any

from duplexsynth.lang import dialogue_language
from duplexsynth.schemas.limits import oversize
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import (
    ASSISTANT,
    SPEAKERS,
    USER,
    AudioRef,
    Backchannel,
    Dialogue,
    Reject,
    Turn,
    Word,
    make_reject,
)
from duplexsynth.synth.backends import TTSBackend
from duplexsynth.synth.config import SynthConfig
from duplexsynth.synth.engine import Synthesizer, Utterance
from duplexsynth.synth.qc import QCFailure
from duplexsynth.synth.voices import Voice, VoiceBank, load_voice_bank
from duplexsynth.worker_local import WorkerLocal

STAGE = "synth"


def _reject(d: Dialogue, reason: Reason | str, detail: str) -> Reject:
    return make_reject(d, STAGE, reason, detail)


def validate_dialogue(d: Dialogue) -> None:
    """``ValueError`` naming the record and the bad value unless ``d`` is synth input."""
    if not d.turns:
        raise ValueError(f"dialogue {d.id!r} has no turns")
    for t in d.turns:
        if t.speaker not in SPEAKERS:
            raise ValueError(
                f"dialogue {d.id!r} turn {t.turn_index}: speaker {t.speaker!r} is not user/assistant"
            )
        if not isinstance(t.spoken_text, str) or not t.spoken_text.strip():
            raise ValueError(
                f"dialogue {d.id!r} turn {t.turn_index}: no spoken_text ({t.spoken_text!r}); "
                "run `duplexsynth rewrite` first"
            )
        too_big = oversize(t.spoken_text)
        if too_big:
            raise ValueError(f"dialogue {d.id!r} turn {t.turn_index}: spoken_text is {too_big}")


def clean_prefix(turns: tuple[Turn, ...], failed_at: int) -> int:
    """Length of the longest prefix of ``turns[:failed_at]`` that ends on an assistant turn
    and holds at least one user->assistant exchange; 0 when there is none."""
    for n in range(failed_at, 1, -1):
        if turns[n - 1].speaker == ASSISTANT and any(t.speaker == USER for t in turns[: n - 1]):
            return n
    return 0


def synthesize_dialogue(
    dialogue: Dialogue, synthesizer: Synthesizer, seed: int, config: SynthConfig | None = None
) -> Dialogue | Reject:
    """Synthesize one dialogue (see the module docstring). ``ValueError`` for bad input."""
    config = config or synthesizer.config
    validate_dialogue(dialogue)
    bank = synthesizer.bank
    assistant = bank.assistant_voice
    user = bank.sample_user(seed, dialogue.id)
    voice_of = {ASSISTANT: assistant, USER: user}

    rendered: dict[int, Utterance | QCFailure] = {}
    for speaker in (USER, ASSISTANT):  # one batch per voice
        idx = [i for i, t in enumerate(dialogue.turns) if t.speaker == speaker]
        if idx:
            results = synthesizer.render_many(
                voice_of[speaker], [dialogue.turns[i].spoken_text for i in idx]
            )
            rendered.update(zip(idx, results))

    cut: dict[str, Any] | None = None
    n_keep = len(dialogue.turns)
    for i in range(len(dialogue.turns)):
        if isinstance(rendered[i], QCFailure):
            fail = rendered[i]
            turn = dialogue.turns[i]
            detail = f"turn {turn.turn_index} ({turn.speaker}, voice {voice_of[turn.speaker].id}): {fail.detail}"
            n_keep = clean_prefix(dialogue.turns, i) if config.keep_prefix else 0
            if n_keep == 0:
                return _reject(dialogue, fail.reason, detail)
            cut = {
                "at_turn": turn.turn_index,
                "reason": str(fail.reason),
                "detail": detail,
                "kept_turns": n_keep,
            }
            break

    turns = []
    turn_params = []
    for i in range(n_keep):
        t, u = dialogue.turns[i], rendered[i]
        voice = voice_of[t.speaker]
        words = (
            None if u.words is None else tuple(Word(w, s, e, method="tts") for w, s, e in u.words)
        )
        turns.append(
            t.replace(
                voice=voice.id,
                audio=AudioRef(bytes=u.flac, path=f"{dialogue.id}-t{t.turn_index:03d}.flac"),
                sample_rate=u.sample_rate,
                duration_s=round(u.duration_s, 6),
                tts_words=words,
            )
        )
        tp = {
            "turn_index": t.turn_index,
            "voice": voice.id,
            "gain_db": round(u.gain_db, 3),
            "level_in": round(u.level_in, 3),
            "level_method": u.level_method,
            "peak_limited": u.peak_limited,
        }
        if u.wer is not None:
            tp["wer"] = round(u.wer, 4)
        turn_params.append(tp)

    backchannels, dropped = _backchannels(synthesizer, config, {USER: user, ASSISTANT: assistant})
    params = {
        "assistant_voice": assistant.id,
        "user_voice": user.id,
        "voices": {
            v.id: {**v.describe(), "engine": synthesizer.engine_version(v.backend)}
            for v in sorted({assistant.id: assistant, user.id: user}.values(), key=lambda v: v.id)
        },
        "sample_rate": config.sample_rate_hz,
        "loudness_lufs": config.loudness_lufs,
        "max_true_peak_dbfs": config.max_true_peak_dbfs,
        "trim_silence": config.trim_silence,
        "asr_check": config.asr_check,
        "turns": turn_params,
        "backchannels": list(config.backchannels),
        "stop_commands": list(config.stop_commands),
    }
    if config.asr_check:
        params["wer_threshold"] = config.wer_threshold
    if dropped:
        params["backchannels_dropped"] = dropped
    if cut:
        params["cut"] = cut
    return dialogue.replace(
        turns=tuple(turns),
        assistant_voice=assistant.id,
        user_voice=user.id,
        backchannels=backchannels,
    ).with_params(STAGE, params)


def _backchannels(
    synthesizer: Synthesizer, config: SynthConfig, voices: dict[str, Voice]
) -> tuple[tuple[Backchannel, ...], list[dict[str, str]]]:
    """The lexicon in the user's and the assistant's voice, plus the stop commands in the
    user's voice (memoized per process and cached on disk)."""
    out: list[Backchannel] = []
    dropped: list[dict[str, str]] = []
    for speaker in (USER, ASSISTANT):
        voice = voices[speaker]
        texts = list(config.backchannels)
        if speaker == USER:  # stop commands ("wait, stop") open user interruptions in the mix
            texts += [t for t in config.stop_commands if t not in texts]
        for text, u in zip(texts, synthesizer.render_lexicon(voice, texts)):
            if isinstance(u, QCFailure):
                dropped.append(
                    {"speaker": speaker, "voice": voice.id, "text": text, "reason": str(u.reason)}
                )
                continue
            words = (
                () if u.words is None else tuple(Word(w, s, e, method="tts") for w, s, e in u.words)
            )
            out.append(
                Backchannel(
                    speaker=speaker,
                    voice=voice.id,
                    text=text,
                    audio=AudioRef(bytes=u.flac, path=None),
                    sample_rate=u.sample_rate,
                    duration_s=round(u.duration_s, 6),
                    words=words,
                )
            )
    return tuple(out), dropped


class SynthProcessor(WorkerLocal):
    """Picklable per-dialogue processor for :class:`~duplexsynth.pipelines.stage.DialogueStage`.

    Construction only reads and checks the voice banks, one per voiced language of
    ``config.language`` (``zh``: ``voice_bank_zh`` and the Chinese lexicon; ``auto``: English and
    Chinese, each dialogue voiced in its own); :meth:`setup` (once per worker) loads the engines.
    ``backends`` injects ready backend objects by name (tests, benchmarks).
    """

    worker_local = {"_synths": {}}  # engines never travel; each worker loads its own in setup()

    def __init__(
        self,
        config: SynthConfig,
        seed: int,
        bank: VoiceBank | None = None,
        backends: dict[str, TTSBackend] | None = None,
    ) -> None:
        self.config = config
        self.seed = int(seed)
        #: per voiced language: its config (bank, lexicon) and its voice bank
        self.configs = {lang: config.for_language(lang) for lang in config.languages()}
        first = config.languages()[0]  # ``bank``, when given, is this language's bank
        self.banks = {
            lang: bank if (lang == first and bank is not None) else load_voice_bank(c.voice_bank)
            for lang, c in self.configs.items()
        }
        self.bank = self.banks[first]
        self._backends = backends
        self._synths: dict[str, Synthesizer] = {}

    def setup(self) -> None:
        for lang, bank in self.banks.items():
            if lang not in self._synths:
                self._synths[lang] = Synthesizer(self.configs[lang], bank, backends=self._backends)
            self._synths[lang].setup()

    @property
    def synthesizer(self) -> Synthesizer:
        """The synthesizer of the first configured language."""
        return self.synthesizer_for(self.config.languages()[0])

    def synthesizer_for(self, language: str) -> Synthesizer:
        """The synthesizer (voice bank, lexicon) of one voiced language."""
        if language not in self._synths:
            self.setup()
        return self._synths[language]

    def __call__(self, dialogue: Dialogue) -> Dialogue | Reject:
        try:
            validate_dialogue(dialogue)
        except ValueError as exc:
            return _reject(dialogue, Reason.BAD_INPUT, str(exc))
        language = dialogue_language(dialogue, self.config.language)
        out = synthesize_dialogue(
            dialogue, self.synthesizer_for(language), self.seed, self.configs[language]
        )
        if isinstance(out, Dialogue):
            out = out.with_params(STAGE, {**out.params[STAGE], "language": language})
        return out
