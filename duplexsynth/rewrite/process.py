"""The rewrite stage's entry point: one dialogue in, a spoken-style dialogue (or a Reject) out."""

from __future__ import annotations

from typing import Any

from duplexsynth.lang import dialogue_language
from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.language_rules import rules_for
from duplexsynth.rewrite.llm import LLMError, LLMRewriter, shared_rewriter
from duplexsynth.rewrite.prompt import PROMPT_VERSION, PROMPT_VERSION_ZH
from duplexsynth.rewrite.rules import (
    RULES_VERSION,
)
from duplexsynth.schemas.limits import oversize
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import (
    ASSISTANT,
    SPEAKERS,
    USER,
    Dialogue,
    Reject,
    exchange_prefix,
    make_reject,
)
from duplexsynth.schemas.rng import dialogue_rng
from duplexsynth.worker_local import WorkerLocal

STAGE = "rewrite"


def _reject(d: Dialogue, reason: Reason, detail: str) -> Reject:
    return make_reject(d, STAGE, reason, detail)


def check_input(dialogue: Dialogue) -> str | None:
    """Why ``dialogue`` cannot be rewritten (no turns, unknown speaker, missing text), or None."""
    if not dialogue.turns:
        return f"dialogue {dialogue.id!r} has no turns"
    for i, turn in enumerate(dialogue.turns):
        if turn.speaker not in SPEAKERS:
            return (
                f"dialogue {dialogue.id!r} turn {i}: speaker {turn.speaker!r} is not user/assistant"
            )
        if not isinstance(turn.source_text, str) or not turn.source_text.strip():
            return f"dialogue {dialogue.id!r} turn {i}: source_text is empty ({turn.source_text!r})"
        too_big = oversize(turn.source_text)
        if too_big:
            return f"dialogue {dialogue.id!r} turn {i}: source_text is {too_big}"
    return None


def rewrite_dialogue(
    dialogue: Dialogue, config: RewriteConfig, seed: int, client: Any | None = None
) -> Dialogue | Reject:
    """Spoken-style version of ``dialogue``: every turn gains ``spoken_text``.

    With ``config.llm_model`` the dialogue goes to the LLM (``client``: an :class:`LLMRewriter`,
    or an ``openai.OpenAI``-like object to wrap; default a shared rewriter for this config) and
    the rules run after it as a final pass; otherwise the rules run alone, trimming assistant
    turns to ``max_words_per_turn`` and inserting seeded fillers in user turns.

    A turn the rules cannot make speakable cuts the dialogue to its clean prefix (whole
    exchanges before it; ``params["rewrite"]["cut"]`` names the turn and why), as the filter does.

    Returns a :class:`Reject` with ``bad_input``, ``llm_invalid``, ``llm_error`` or
    ``rewrite_error`` (no complete exchange before the first unspeakable turn) instead of
    emitting a bad row.
    """
    problem = check_input(dialogue)
    if problem:
        return _reject(dialogue, Reason.BAD_INPUT, problem)
    if config.uses_llm:
        return _rewrite_llm(dialogue, config, seed, client)
    return _rewrite_rules(dialogue, config, seed)


def _base_params(config: RewriteConfig) -> dict[str, Any]:
    return {
        "method": config.method,
        "rules_version": RULES_VERSION,
        "max_words_per_turn": config.max_words_per_turn,
        "fillers": config.fillers,
        "date_order": config.date_order,
    }


def _rewrite_rules(dialogue: Dialogue, config: RewriteConfig, seed: int) -> Dialogue | Reject:
    rng = dialogue_rng(seed, dialogue.id, STAGE)
    language = dialogue_language(dialogue, config.language)
    rules = rules_for(language)
    count = rules.word_count
    turns = []
    trimmed: list[dict[str, int]] = []
    fillers: list[dict[str, Any]] = []
    for i, turn in enumerate(dialogue.turns):
        text = rules.normalize(turn.source_text, config.date_order)
        if turn.speaker == ASSISTANT and config.trim:
            before = count(text)
            text = rules.trim(text, config.max_words_per_turn)
            if count(text) != before:
                trimmed.append({"turn": i, "words_before": before, "words": count(text)})
        if turn.speaker == USER and config.fillers and config.filler_rate > 0:
            text, inserted = rules.insert_fillers(text, rng, config.filler_rate)
            fillers.extend({"turn": i, **f} for f in inserted)
        bad = rules.find_unspeakable(text)
        if bad:
            detail = f"turn {i} ({turn.speaker}): the rules cannot make it speakable: {bad}"
            cut = {"turn": i, "reason": str(Reason.REWRITE_ERROR), "detail": detail}
            break
        turns.append(turn.replace(spoken_text=text))
    else:
        cut = None
    if cut is not None:
        # the clean prefix, as the filter keeps it: whole exchanges ending on an assistant turn
        del turns[exchange_prefix(turns, len(turns)) :]
        if len(turns) < 2:
            return _reject(dialogue, Reason.REWRITE_ERROR, cut["detail"])
        fillers = [f for f in fillers if f["turn"] < len(turns)]
        trimmed = [t for t in trimmed if t["turn"] < len(turns)]
    params = {
        **_base_params(config),
        "language": language,
        "rules_version": rules.version,
        "trim": config.trim,
        "filler_rate": config.filler_rate if config.fillers else 0.0,
        "fillers_inserted": fillers,
        "trimmed_turns": trimmed,
        "turns_in": len(dialogue.turns),
        "turns_kept": len(turns),
        "cut": cut,
    }
    return dialogue.replace(
        turns=tuple(turns),
        rewrite_method="rules",
        rewrite_model=None,
        rewrite_prompt_version=None,
        rewrite_temperature=None,
        rewrite_seed=int(seed),
    ).with_params(STAGE, params)


def _rewrite_llm(
    dialogue: Dialogue, config: RewriteConfig, seed: int, client: Any | None
) -> Dialogue | Reject:
    if client is None:
        rewriter = shared_rewriter(config)
    elif isinstance(client, LLMRewriter):
        rewriter = client
    else:
        rewriter = LLMRewriter(config, client=client)
    request_seed = None
    if config.send_seed:
        request_seed = int(dialogue_rng(seed, dialogue.id, f"{STAGE}.llm").integers(0, 2**31 - 1))
    pairs = [(t.speaker, t.source_text) for t in dialogue.turns]
    try:
        outcome = rewriter.rewrite_turns(pairs, request_seed)
    except LLMError as exc:
        return _reject(dialogue, Reason.LLM_ERROR, str(exc))
    if outcome.texts is None:
        return _reject(dialogue, Reason.LLM_INVALID, outcome.problem or "invalid answer")
    turns = tuple(t.replace(spoken_text=s) for t, s in zip(dialogue.turns, outcome.texts))
    language = dialogue_language(dialogue, config.language)
    prompt_version = PROMPT_VERSION_ZH if language == "zh" else PROMPT_VERSION
    params = {
        **_base_params(config),
        "language": language,
        "rules_version": rules_for(language).version,
        "model": config.llm_model,
        "base_url": config.public_base_url(),
        "prompt_version": prompt_version,
        "temperature": config.temperature,
        "length_tolerance": config.length_tolerance,
        "response_format": config.response_format,
        "request_seed": request_seed,
        "repaired": outcome.repaired,
        "first_problem": outcome.first_problem,
    }
    return dialogue.replace(
        turns=turns,
        rewrite_method="llm",
        rewrite_model=config.llm_model,
        rewrite_prompt_version=prompt_version,
        rewrite_temperature=float(config.temperature),
        rewrite_seed=int(seed),
    ).with_params(STAGE, params)


class RewriteProcessor(WorkerLocal):
    """Picklable processor for ``DialogueStage`` and the batching LLM transform.

    ``setup()`` builds the LLM client once per worker (nothing is built at construction, and
    the client is never pickled).
    """

    worker_local = {"_rewriter": None, "_client": None}

    def __init__(self, config: RewriteConfig, seed: int, client: Any | None = None) -> None:
        self.config = config
        self.seed = int(seed)
        self._client = client
        self._rewriter: LLMRewriter | None = None

    def setup(self) -> None:
        if self.config.uses_llm and self._rewriter is None:
            if isinstance(self._client, LLMRewriter):
                self._rewriter = self._client
            elif self._client is not None:
                self._rewriter = LLMRewriter(self.config, client=self._client)
            else:
                self._rewriter = shared_rewriter(self.config)

    @property
    def rewriter(self) -> LLMRewriter | None:
        return self._rewriter

    def __call__(self, dialogue: Dialogue) -> Dialogue | Reject:
        if self.config.uses_llm and self._rewriter is None:
            self.setup()
        return rewrite_dialogue(dialogue, self.config, self.seed, client=self._rewriter)
