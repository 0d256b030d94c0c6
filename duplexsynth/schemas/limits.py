"""Input-size limits every stage enforces on its own input, whatever ran before it.

The filter rejects long turns much earlier (``filter.max_chars_per_turn``,
``filter.max_token_chars``, both configurable); these hard limits are the guard of the stages
after it, so a pathological row read with ``--from`` (or written by another tool) is a
``bad_input`` reject costing no more than a normal row, never a multi-gigabyte TTS request.
"""

from __future__ import annotations

import re

#: no stage accepts a turn with more characters than this
MAX_TURN_CHARS = 20_000
#: ... or a whitespace-free token longer than this
MAX_TOKEN_CHARS = 200

_LONG_TOKEN_RE = re.compile(rf"\S{{{MAX_TOKEN_CHARS + 1},}}")


def oversize(text: str) -> str | None:
    """Why ``text`` is too large for any stage (with the measurement), or ``None``."""
    if len(text) > MAX_TURN_CHARS:
        return f"{len(text)} characters > {MAX_TURN_CHARS}"
    m = _LONG_TOKEN_RE.search(text)
    if m is not None:
        return f"a token of {len(m.group(0))} characters > {MAX_TOKEN_CHARS}"
    return None
