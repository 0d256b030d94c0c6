"""Findings and the rule engine of the filter's per-turn checks.

A :class:`Finding` says why one turn is unfit for speech. A :class:`RuleSet` is an ordered list
of labelled regexes, each with the substrings it cannot match without (plain ``in`` tests, far
cheaper than a regex scan), so a regex only runs where it could match. The rule sets themselves
live in :mod:`duplexsynth.filter.span_rules`; the order of the checks in
:mod:`duplexsynth.filter.heuristics`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """Why one turn is unfit for speech: a reason code, the rule that fired, the offending span."""

    reason: str
    rule: str
    span: str = ""

    def detail(self, turn_index: int) -> str:
        """``"turn 1: url 'http://x.y'"``: the turn, the rule and the offending text."""
        if self.span:
            return f"turn {turn_index}: {self.rule} '{snippet(self.span)}'"
        return f"turn {turn_index}: {self.rule}"


def snippet(text: str, limit: int = 60) -> str:
    """``text`` on one line, at most ``limit`` characters (``...`` marks a cut)."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


# ------------------------------------------------------------------------------ rule engine
#: (label, regex, precondition groups, gate regex, accept): a rule runs its regex only when, for
#: every precondition group, one of the group's substrings occurs in the text (plain ``in``
#: tests, far cheaper than a regex scan), and its gate regex (if any) matches.
_Rule = tuple[
    str,
    re.Pattern[str],
    tuple[tuple[str, ...], ...],
    "re.Pattern[str] | None",
    "Callable[[re.Match[str]], bool] | None",
]


def make_rule(
    label: str,
    pattern: str,
    *,
    chars: str = "",
    needs: tuple[str, ...] = (),
    gate: str | None = None,
    flags: int = 0,
    accept: Callable[[re.Match[str]], bool] | None = None,
) -> _Rule:
    """A rule; ``chars``: one of these characters must occur; ``needs``: one of these strings."""
    groups = tuple(g for g in (tuple(chars), tuple(needs)) if g)
    return (label, re.compile(pattern, flags), groups, re.compile(gate) if gate else None, accept)


def _match(rule: _Rule, text: str) -> re.Match[str] | None:
    _, pattern, groups, gate, accept = rule
    for group in groups:
        for s in group:
            if s in text:
                break
        else:
            return None
    if gate is not None and gate.search(text) is None:
        return None
    if accept is None:
        return pattern.search(text)
    for m in pattern.finditer(text):
        if accept(m):
            return m
    return None


class RuleSet:
    """Rules of one reason, dispatched by trigger character.

    A rule whose first precondition group is single characters is only tried when one of them
    occurs in the text; the character set of a turn is computed once for all rule sets.
    """

    def __init__(self, reason: str, rules: tuple[_Rule, ...]) -> None:
        self.reason = reason
        self.rules = rules
        self.always: list[int] = []
        self.by_char: dict[str, list[int]] = {}
        for i, rule in enumerate(rules):
            groups = rule[2]
            if groups and all(len(c) == 1 for c in groups[0]):
                for c in groups[0]:
                    self.by_char.setdefault(c, []).append(i)
            else:
                self.always.append(i)
        self.trigger_chars = frozenset(self.by_char)

    def find(self, text: str, chars: frozenset[str] | None = None) -> Finding | None:
        if chars is None:
            chars = frozenset(text)
        hits = self.trigger_chars.intersection(chars)
        if hits:
            candidates = set(self.always)
            for c in hits:
                candidates.update(self.by_char[c])
            order: Iterable[int] = sorted(candidates)
        else:
            order = self.always
        rules = self.rules
        for i in order:
            m = _match(rules[i], text)
            if m is not None:
                return Finding(self.reason, rules[i][0], m.group(0))
        return None


def not_after(chars: str) -> Callable[[re.Match[str]], bool]:
    """Accept a match only when the character before it is not alphanumeric or in ``chars``."""

    def accept(m: re.Match[str]) -> bool:
        i = m.start()
        if i == 0:
            return True
        prev = m.string[i - 1]
        return not (prev.isalnum() or prev in chars)

    return accept


def after_identifier(m: re.Match[str]) -> bool:
    i = m.start()
    return i > 0 and (m.string[i - 1].isalnum() or m.string[i - 1] == "_")


def after_single_letter(m: re.Match[str]) -> bool:
    i = m.start()
    s = m.string
    return i > 0 and s[i - 1].isalpha() and (i < 2 or not s[i - 2].isalnum())
