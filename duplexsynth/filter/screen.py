"""The filter's public entry point: :func:`filter_dialogue` (and :class:`FilterProcessor`).

``filter_dialogue`` screens every turn (see :mod:`duplexsynth.filter.heuristics`), applies the
prefix rule (:mod:`duplexsynth.filter.prefix`) and returns the kept dialogue, with its verdicts
in ``params["filter"]``, or a :class:`Reject`. Duplicates are a corpus-level question answered by
:mod:`duplexsynth.filter.dedup`.
"""

from __future__ import annotations

from typing import Any

from duplexsynth.filter.config import FILTER_VERSION, FilterConfig
from duplexsynth.filter.prefix import clean_prefix
from duplexsynth.schemas.records import Dialogue, Reject, make_reject

STAGE = "filter"


def filter_dialogue(dialogue: Dialogue, config: FilterConfig | None = None) -> Dialogue | Reject:
    """Keep ``dialogue``'s longest clean prefix (>= 1 exchange) or reject it with a reason.

    ``params["filter"]`` of the result holds: ``version``, ``config`` (digest of the settings),
    ``language``, ``max_words_per_turn``, ``turns_in``, ``turns_kept``, ``cut`` (``null`` or
    ``{"turn", "reason", "detail"}`` of the first offending turn) plus what the reader recorded
    (``merged_messages``, ``dropped_leading_assistant``).
    """
    config = config or FilterConfig()
    return _filter(dialogue, config, config.digest())


def _filter(dialogue: Dialogue, config: FilterConfig, digest: str) -> Dialogue | Reject:
    verdict = _verdict(dialogue, config, digest)
    if isinstance(verdict, Reject):
        return verdict
    keep, params = verdict
    return dialogue.replace(turns=dialogue.turns[:keep], params=params)


def _verdict(
    dialogue: Dialogue, config: FilterConfig, digest: str
) -> Reject | tuple[int, dict[str, Any]]:
    """A reject, or (turns to keep, the dialogue's params with ``filter`` verdicts added)."""
    verdict = clean_prefix(dialogue.turns, config, config.max_exchanges)
    if verdict.rejected:
        return make_reject(dialogue, STAGE, verdict.reason(), verdict.detail())
    cut = None
    if verdict.finding is not None:
        cut = {
            "turn": verdict.offending_turn,
            "reason": verdict.finding.reason,
            "detail": verdict.detail(),
        }
    params = dict(dialogue.params.get(STAGE) or {})
    params.update(
        version=FILTER_VERSION,
        config=digest,
        language=config.language,
        max_words_per_turn=config.max_words_per_turn,
        turns_in=len(dialogue.turns),
        turns_kept=verdict.keep,
        cut=cut,
    )
    all_params = dict(dialogue.params)
    all_params[STAGE] = params
    return verdict.keep, all_params


class FilterProcessor:
    """``filter_dialogue`` as a picklable processor (``DialogueStage`` can wrap it).

    ``seed`` is accepted for the common processor signature; the filter draws no random numbers.
    """

    def __init__(self, config: FilterConfig | None = None, seed: int = 0) -> None:
        self.config = config or FilterConfig()
        self.seed = seed
        self._digest = self.config.digest()

    def __call__(self, dialogue: Dialogue) -> Dialogue | Reject:
        return _filter(dialogue, self.config, self._digest)

    def verdict(self, dialogue: Dialogue) -> Reject | tuple[int, dict[str, Any]]:
        """What :meth:`__call__` decides, without building the new dialogue: a reject, or
        (number of turns to keep, the params the kept dialogue carries)."""
        return _verdict(dialogue, self.config, self._digest)
