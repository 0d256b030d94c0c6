"""Small builders for filter tests: dialogues, raw records and corpus files written on the fly."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from duplexsynth.filter.config import FilterConfig
from duplexsynth.schemas.records import ASSISTANT, USER, Dialogue, Turn


def dialogue(*texts: str | None, id: str = "t-000000", **kw: Any) -> Dialogue:
    """A user-first alternating dialogue with the given turn texts."""
    turns = tuple(Turn(i, USER if i % 2 == 0 else ASSISTANT, t) for i, t in enumerate(texts))
    fields: dict[str, Any] = dict(
        id=id, source_file="t.jsonl", source_index=0, record_id=None, format="openai"
    )
    fields.update(kw)
    return Dialogue(turns=turns, **fields)


def raw(record: Any, id: str = "t-000000", index: int = 0) -> dict[str, Any]:
    """A raw record as the sources produce it (already decoded)."""
    return {"id": id, "source_file": "t.jsonl", "source_index": index, "record": record}


def write_jsonl(path: Path, records: list[Any], *, gz: bool = False) -> Path:
    """One JSON value per line; ``str`` items are written verbatim (for broken lines)."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def chat(*texts: str, id: Any = None) -> dict[str, Any]:
    """An OpenAI-messages record, user first, alternating."""
    rec: dict[str, Any] = {
        "messages": [
            {"role": "user" if i % 2 == 0 else "assistant", "content": t}
            for i, t in enumerate(texts)
        ]
    }
    if id is not None:
        rec["id"] = id
    return rec


CLEAN_Q = "What is a good way to spend a rainy afternoon at home?"
CLEAN_A = "Bake some bread, read a novel by the window, or call a friend you have not heard from."

DEFAULT = FilterConfig()
