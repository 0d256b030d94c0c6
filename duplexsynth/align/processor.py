"""The align stage's entry point: :func:`align_dialogue` and :class:`AlignProcessor`.

For every turn (in order) the spoken text's tokens get one timed word each, from the TTS
engine's own timings or a recogniser (see :mod:`duplexsynth.align.config`), then pass
:func:`~duplexsynth.align.validate.validate_words`. A turn that cannot be aligned costs the
smallest coherent unit, its user/assistant exchange, and the rest of the dialogue is still
aligned (``params["align"]["dropped_exchanges"]`` names each dropped exchange and why); with
``on_turn_failure="tail"`` it instead cuts the dialogue to its clean prefix ending on an
assistant turn. A dialogue left without one exchange is rejected as ``align_error``. Backchannel lexicon
entries are aligned by the same rules; one a recogniser cannot hear (short "mm-hmm"s often are
not) gets its words spread over its voiced part (``method="interpolated"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from duplexsynth.align.backends import make_asr_aligner
from duplexsynth.align.backends.tts import words_from_tts
from duplexsynth.align.base import AlignmentError, AsrAligner, tokens_of, voiced_span
from duplexsynth.align.config import AlignConfig
from duplexsynth.align.textmap import INTERPOLATED, interpolate_all
from duplexsynth.align.validate import Fixes, validate_words
from duplexsynth.audio import decode_audio
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import (
    ASSISTANT,
    Backchannel,
    Dialogue,
    Reject,
    Turn,
    Word,
    exchange_prefix,
    make_reject,
)
from duplexsynth.worker_local import WorkerLocal

STAGE = "align"

AsrSource = AsrAligner | Callable[[], AsrAligner | None] | None


class _BadInput(Exception):
    pass


def _stage_reject(dialogue: Dialogue, reason: Reason, detail: str) -> Reject:
    d = dialogue
    return make_reject(d, STAGE, reason, detail)


def _text_of(turn: Turn) -> str:
    return turn.spoken_text if turn.spoken_text is not None else (turn.source_text or "")


def _decode(audio_bytes: bytes, what: str) -> tuple[Any, int]:
    try:
        audio, sr = decode_audio(audio_bytes)
    except Exception as exc:
        raise _BadInput(f"{what}: audio cannot be decoded ({exc})") from exc
    if audio.ndim != 1:
        raise _BadInput(f"{what}: expected mono audio, got {audio.shape[1]} channels")
    if len(audio) == 0:
        raise _BadInput(f"{what}: audio is empty")
    return audio, sr


class _Aligning:
    """State of one dialogue's alignment (config, recogniser source, fixes, counters)."""

    def __init__(self, config: AlignConfig, asr: AsrSource) -> None:
        self.config = config
        self._asr = asr
        self.fixes = Fixes()
        self.tts_fallback: list[int | str] = []
        self.asr_used = False

    def asr(self) -> AsrAligner | None:
        if callable(self._asr) and not isinstance(self._asr, AsrAligner):
            self._asr = self._asr()
        return self._asr  # type: ignore[return-value]

    def words(
        self,
        tts_words: tuple[Word, ...] | None,
        audio: Any,
        sr: int,
        text: str,
        label: int | str,
    ) -> tuple[list[Word], str]:
        """Validated words of one utterance and the backend method that produced them."""
        cfg = self.config
        tokens = tokens_of(text)
        duration_s = len(audio) / float(sr)
        voiced = voiced_span(audio, sr)
        problem = None
        if cfg.backend == "tts":
            try:
                words = words_from_tts(
                    tts_words,
                    tokens,
                    duration_s,
                    voiced=voiced,
                    min_match_ratio=cfg.min_match_ratio,
                    min_heard_fraction=cfg.min_heard_fraction,
                    language=cfg.language,
                )
                return self._validated(words, tokens, duration_s), "tts"
            except AlignmentError as exc:
                problem = f"TTS timings unusable: {exc}"
            if cfg.fallback == "none":
                raise AlignmentError(f"{problem}; no fallback configured (--fallback none)")
        try:
            asr = self.asr()
        except ValueError as exc:  # e.g. the bundled English-only model for a Chinese turn
            raise AlignmentError(
                f"{problem or 'no TTS timings'}; recogniser unusable: {exc}"
            ) from exc
        if asr is None:  # pragma: no cover - guarded by config
            raise AlignmentError(problem or "no recogniser configured")
        self.asr_used = True
        if problem is not None:
            self.tts_fallback.append(label)
        try:
            words = asr.align(audio, sr, text)
            return self._validated(words, tokens, duration_s), asr.name
        except AlignmentError as exc:
            if problem is None:
                raise
            raise AlignmentError(f"{problem}; fallback {asr.name}: {exc}") from exc

    def _validated(self, words: list[Word], tokens: list[str], duration_s: float) -> list[Word]:
        cfg = self.config
        fixed, fixes = validate_words(
            words,
            tokens,
            duration_s,
            clamp_tolerance_s=cfg.clamp_tolerance_s,
            overlap_tolerance_s=cfg.overlap_tolerance_s,
            min_word_s=cfg.min_word_s,
        )
        self.fixes.add(fixes)
        return fixed


def align_dialogue(
    dialogue: Dialogue,
    config: AlignConfig | None = None,
    *,
    seed: int = 0,
    asr: AsrSource = None,
) -> Dialogue | Reject:
    """Fill ``turns[].words``, ``align_method`` and ``params["align"]`` (or reject).

    ``asr`` is the recogniser for the configured ASR backend (or a function returning it,
    called only if a turn needs it); when ``None`` and one is needed, it is built and loaded
    here (slow: use :class:`AlignProcessor` for many dialogues).
    """
    cfg = config or AlignConfig()
    if asr is None and cfg.asr_backend is not None:
        backend = cfg.asr_backend

        def asr() -> AsrAligner:
            aligner = make_asr_aligner(backend, cfg)
            aligner.load()
            return aligner

    state = _Aligning(cfg, asr)
    try:
        return _align(dialogue, cfg, seed, state)
    except _BadInput as exc:
        return _stage_reject(dialogue, Reason.BAD_INPUT, str(exc))


def _align(dialogue: Dialogue, cfg: AlignConfig, seed: int, state: _Aligning) -> Dialogue | Reject:
    if not dialogue.turns:
        raise _BadInput("dialogue has no turns")
    decoded = []
    for turn in dialogue.turns:
        label = f"turn {turn.turn_index} ({turn.speaker})"
        if turn.audio is None or not turn.audio.bytes:
            raise _BadInput(f"{label} has no audio: run `duplexsynth synth` first")
        if not tokens_of(_text_of(turn)):
            raise _BadInput(f"{label} has no spoken text")
        decoded.append(_decode(turn.audio.bytes, label))

    if cfg.on_turn_failure == "exchange":
        aligned, methods, dropped = _align_by_exchange(dialogue.turns, decoded, state)
        cut: dict[str, Any] | None = None
        if len(aligned) < 2:
            return _stage_reject(dialogue, Reason.ALIGN_ERROR, dropped[0]["reason"])
    else:
        aligned, methods, cut = _align_prefix(dialogue.turns, decoded, state)
        dropped = []
        if cut is not None and cut["kept_turns"] < 2:
            return _stage_reject(dialogue, Reason.ALIGN_ERROR, cut["reason"])

    backchannels, bc_report = _align_backchannels(dialogue.backchannels, state)
    words_all = [w for t in aligned for w in (t.words or ())]
    params: dict[str, Any] = {
        "seed": int(seed),
        "config": {k: v for k, v in cfg.to_dict().items() if k not in ("cache", "cache_dir")},
        "turn_methods": methods,
        "words": len(words_all),
        "interpolated_words": sum(1 for w in words_all if w.method == INTERPOLATED),
        "fixes": state.fixes.as_dict(),
    }
    if state.asr_used:
        asr = state.asr()
        params["asr"] = asr.describe() if asr is not None else None
    if state.tts_fallback:
        params["tts_fallback"] = state.tts_fallback
    if cut is not None:
        params["cut"] = cut
    if dropped:
        params["dropped_exchanges"] = dropped
    if bc_report:
        params["backchannels"] = bc_report
    return dialogue.replace(
        turns=tuple(aligned),
        backchannels=backchannels,
        align_method="+".join(sorted(set(methods))),
    ).with_params(STAGE, params)


def _align_prefix(
    turns: tuple[Turn, ...], decoded: list[tuple[Any, int]], state: _Aligning
) -> tuple[list[Turn], list[str], dict[str, Any] | None]:
    """Align in order; the first failure cuts the dialogue to its prefix ending on an
    assistant turn (``on_turn_failure="tail"``)."""
    aligned: list[Turn] = []
    methods: list[str] = []
    for k, (turn, (audio, sr)) in enumerate(zip(turns, decoded)):
        try:
            words, method = state.words(turn.tts_words, audio, sr, _text_of(turn), turn.turn_index)
        except AlignmentError as exc:
            keep = exchange_prefix(aligned, k)
            detail = f"turn {turn.turn_index} ({turn.speaker}): {exc}"
            return (
                aligned[:keep],
                methods[:keep],
                {
                    "kept_turns": keep,
                    "of_turns": len(turns),
                    "reason": detail,
                },
            )
        aligned.append(turn.replace(words=tuple(words)))
        methods.append(method)
    return aligned, methods, None


def _align_by_exchange(
    turns: tuple[Turn, ...], decoded: list[tuple[Any, int]], state: _Aligning
) -> tuple[list[Turn], list[str], list[dict[str, Any]]]:
    """Align every turn; a turn that fails drops its exchange (the user turn and the assistant
    reply) and the rest is kept (``on_turn_failure="exchange"``). Returns the kept turns, their
    methods and one ``{"turns": [...], "reason": ...}`` per dropped exchange."""
    aligned: list[Turn] = []
    methods: list[str] = []
    dropped: list[dict[str, Any]] = []
    k = 0
    while k < len(turns):
        turn = turns[k]
        audio, sr = decoded[k]
        try:
            words, method = state.words(turn.tts_words, audio, sr, _text_of(turn), turn.turn_index)
        except AlignmentError as exc:
            exchange = [turn.turn_index]
            if turn.speaker == ASSISTANT:
                if aligned and aligned[-1].speaker != ASSISTANT:  # its question goes too
                    exchange.insert(0, aligned.pop().turn_index)
                    methods.pop()
                k += 1
            else:
                k += 1
                if k < len(turns) and turns[k].speaker == ASSISTANT:  # and its answer
                    exchange.append(turns[k].turn_index)
                    k += 1
            reason = f"turn {turn.turn_index} ({turn.speaker}): {exc}"
            dropped.append({"turns": exchange, "reason": reason})
            continue
        aligned.append(turn.replace(words=tuple(words)))
        methods.append(method)
        k += 1
    if aligned and aligned[-1].speaker != ASSISTANT:  # a question left without its answer
        last = aligned.pop()
        methods.pop()
        dropped.append({"turns": [last.turn_index], "reason": "its answer was dropped"})
    return aligned, methods, dropped


def _align_backchannels(
    backchannels: tuple[Backchannel, ...] | None, state: _Aligning
) -> tuple[tuple[Backchannel, ...] | None, dict[str, Any]]:
    """Align each lexicon entry; unheard ones are interpolated, silent/undecodable ones dropped."""
    if not backchannels:
        return backchannels, {}
    out: list[Backchannel] = []
    interpolated: list[str] = []
    dropped: list[str] = []
    for bc in backchannels:
        label = f"backchannel {bc.text!r} ({bc.voice})"
        tokens = tokens_of(bc.text)
        try:
            audio, sr = _decode(bc.audio.bytes, label) if bc.audio else (None, 0)
        except _BadInput as exc:
            dropped.append(str(exc))
            continue
        if audio is None or not tokens:
            dropped.append(f"{label}: no audio or no text")
            continue
        try:
            words, _ = state.words(bc.words or None, audio, sr, bc.text, label)
        except AlignmentError as exc:
            voiced = voiced_span(audio, sr)
            if voiced is None:
                dropped.append(f"{label}: silent ({exc})")
                continue
            words = interpolate_all(tokens, len(audio) / float(sr), voiced, state.config.language)
            interpolated.append(bc.text)
        out.append(dataclasses.replace(bc, words=tuple(words)))
    report: dict[str, Any] = {"aligned": len(out)}
    if interpolated:
        report["interpolated"] = interpolated
    if dropped:
        report["dropped"] = dropped
    return tuple(out), report


class AlignProcessor(WorkerLocal):
    """Picklable per-dialogue processor for :class:`~duplexsynth.pipelines.stage.DialogueStage`.

    ``setup()`` (once per worker) opens the cache and loads the recogniser when the backend is
    one; with the ``tts`` backend the fallback recogniser is loaded only when a turn needs it.
    """

    worker_local = {"_asr": None}

    def __init__(self, config: AlignConfig | None = None, seed: int = 0) -> None:
        self.config = config or AlignConfig()
        self.seed = int(seed)
        self._asr: AsrAligner | None = None

    def _make_asr(self) -> AsrAligner | None:
        backend = self.config.asr_backend
        if backend is None:
            return None
        if self._asr is None:
            aligner = make_asr_aligner(backend, self.config)
            if self.config.cache:
                from duplexsynth.cache import ContentCache, default_cache_dir

                aligner.cache = ContentCache(self.config.cache_dir or default_cache_dir(), STAGE)
            aligner.load()
            self._asr = aligner
        return self._asr

    def setup(self) -> None:
        if self.config.backend != "tts":
            self._make_asr()

    def __call__(self, dialogue: Dialogue) -> Dialogue | Reject:
        return align_dialogue(dialogue, self.config, seed=self.seed, asr=self._make_asr)


def preflight(config: AlignConfig) -> None:
    """Fail before a pipeline starts when the configured recogniser cannot be used.

    A recogniser backend is loaded once (its errors say what to install or where to point
    ``--whisper-model``); a recogniser only used as the ``tts`` fallback is import-checked.
    """
    backend = config.asr_backend
    if backend is None:
        return
    if config.backend != "tts":
        make_asr_aligner(backend, config).load()
        return
    if backend == "whisper-timestamped":
        from duplexsynth.align.backends.whisper_ts import import_whisper_timestamped

        import_whisper_timestamped()
    else:
        from duplexsynth.align.backends.faster_whisper import resolve_model

        resolve_model(config.whisper_model)
