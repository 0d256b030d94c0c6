"""The prefix rule: keep the longest clean prefix that ends on an assistant turn.

Turns are screened in order (:func:`~duplexsynth.filter.heuristics.screen_turns`) and the first
offending turn decides. The kept prefix is every turn before it, shortened to end on an assistant turn (a trailing user question without
its answer is dropped) and, if ``max_exchanges`` is set, cut to that many user/assistant
exchanges. A prefix with at least one exchange is kept; otherwise the dialogue is rejected with
the first offending turn's reason and detail (``malformed`` "no complete user/assistant
exchange" if no turn offended).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.heuristics import Finding, screen_turns
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import Turn, exchange_prefix


@dataclass(frozen=True)
class PrefixVerdict:
    """How many turns to keep, and the first offending turn (if any) with its finding."""

    keep: int
    offending_turn: int | None
    finding: Finding | None

    @property
    def rejected(self) -> bool:
        return self.keep == 0

    def reason(self) -> str:
        return self.finding.reason if self.finding else Reason.MALFORMED.value

    def detail(self) -> str:
        if self.finding is not None and self.offending_turn is not None:
            return self.finding.detail(self.offending_turn)
        return "no complete user/assistant exchange"


def clean_prefix(
    turns: Sequence[Turn],
    config: FilterConfig,
    max_exchanges: int | None = None,
) -> PrefixVerdict:
    """Screen ``turns`` (up to ``max_exchanges`` exchanges) and apply the prefix rule.

    ``turns`` must start with a user turn and alternate (readers guarantee it).
    """
    limit = len(turns) if max_exchanges is None else min(len(turns), 2 * max_exchanges)
    hit = screen_turns([t.source_text for t in turns[:limit]], config)
    cut, finding = (limit, None) if hit is None else hit
    return PrefixVerdict(
        keep=exchange_prefix(turns, cut),
        offending_turn=cut if finding is not None else None,
        finding=finding,
    )
