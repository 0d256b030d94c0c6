"""Markdown to speech: the markdown passes of the rules normalizer.

:func:`markdown_blocks` turns block-level markdown into sentences (lists become spoken
enumerations, headings sentences; rules, fences and table separators go);
:func:`inline_markdown` strips emphasis, links and inline code marks. The other passes, and
their order, are in :mod:`duplexsynth.rewrite.rules`.
"""

from __future__ import annotations

import re

# ------------------------------------------------------------------- 2. markdown block level
_ITEM_RE = re.compile(r"^\s*(?:[-*+•●▪◦‣]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+(\S.*)$")
_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_HR_RE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_TABLE_SEP_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LEADS = (
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
)


def markdown_blocks(text: str) -> str:
    """Fences, headings, rules, quotes and tables to plain lines; runs of list items to one
    spoken enumeration ("A, B and C." for short items, "First, ... Second, ... Finally, ..."
    otherwise); then all lines joined into sentences."""
    lines = text.split("\n")
    out: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if items:
            if out and out[-1].endswith(":") and not _short_items(items):
                out[-1] = out[-1][:-1] + "."
            out.append(_enumerate(items))
            items.clear()

    for raw in lines:
        line = raw.rstrip()
        if _FENCE_RE.match(line) or _HR_RE.match(line) or _TABLE_SEP_RE.match(line):
            continue
        if not line.strip():
            continue  # blank lines between list items keep the list going
        m = _HEADING_RE.match(line)
        if m:
            flush()
            out.append(_end_sentence(m.group(1)))
            continue
        line = re.sub(r"^\s*(?:>\s?)+", "", line)
        if line.count("|") >= 2:
            flush()
            cells = [c.strip() for c in line.strip().strip("|").split("|") if c.strip()]
            out.append(_end_sentence(", ".join(cells)))
            continue
        m = _ITEM_RE.match(line)
        if m and (items or _starts_list(m.group(0))):
            items.append(m.group(1).strip())
            continue
        flush()
        out.append(line.strip())
    flush()
    joined: list[str] = []
    for i, line in enumerate(out):
        nxt = out[i + 1] if i + 1 < len(out) else None
        if nxt is not None and not re.search(r"[.!?:;,]$", line):
            line = _end_sentence(line)
        joined.append(line)
    return " ".join(joined)


def _starts_list(item_line: str) -> bool:
    """A letter marker "a)"/"b." opens a list only as "a"; bullets and numbers always do."""
    m = re.match(r"^\s*\(?([a-zA-Z])[.)]\s", item_line)
    return m is None or m.group(1) in "aA"


def _short_items(items: list[str]) -> bool:
    """Items of at most four words without punctuation read as one phrase ("A, B and C")."""
    return all(len(i.split()) <= 4 and not re.search(r"[.!?;,]|:.", i) for i in items)


def _enumerate(items: list[str]) -> str:
    short = _short_items(items)
    cleaned = [re.sub(r"[\s.;,:]+$", "", i) for i in items]
    cleaned = [c for c in cleaned if c]
    if not cleaned:
        return ""
    if len(cleaned) == 1:
        return _end_sentence(cleaned[0])
    if short:
        cleaned = cleaned[:1] + [_decap_item(c) for c in cleaned[1:]]
        return _end_sentence(", ".join(cleaned[:-1]) + " and " + cleaned[-1])
    parts = []
    for i, item in enumerate(cleaned):
        if i == len(cleaned) - 1 and len(cleaned) >= 3:
            lead = "Finally"
        elif i < len(_LEADS):
            lead = _LEADS[i]
        else:
            lead = "Next"
        parts.append(f"{lead}, {_decap_item(item)}" + ("" if item[-1] in "!?" else "."))
    return " ".join(parts)


def _decap_item(item: str) -> str:
    m = re.match(r"([A-Z])([a-z][a-z'-]*)(.*)", item, re.S)
    if m:
        return m.group(1).lower() + m.group(2) + m.group(3)
    return item


def _end_sentence(s: str) -> str:
    s = s.strip()
    if not s:
        return s
    if s[-1] in ".!?":
        return s
    if s[-1] in ",;:":
        s = s[:-1]
    return s + "."


# -------------------------------------------------------------------- 3. inline markdown
def inline_markdown(t: str) -> str:
    """Images and links to their text, emphasis/strike/inline code to plain text, HTML tags out."""
    if "[" in t:
        t = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", t)
        t = re.sub(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)", r"\1", t)
        t = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", t)
    if "[" in t or "]" in t or "{" in t or "}" in t:
        t = stray_brackets(t)
    if "<" in t:
        t = re.sub(r"</?[A-Za-z][^<>]*>", " ", t)
    if "`" in t:
        t = re.sub(r"`{1,3}([^`]+)`{1,3}", r"\1", t)
    if "*" in t or "_" in t:
        # spans are bounded (200 characters) so that stray markers stay linear
        t = re.sub(r"(\*\*|__)(?=\S)(.{1,200}?)(?<=\S)\1", r"\2", t)
        t = re.sub(r"(?<![\w*])\*(?=[^\s*])(.{1,200}?)(?<=[^\s*])\*(?![\w*])", r"\1", t)
        t = re.sub(r"(?<![\w_])_(?=[^\s_])(.{1,200}?)(?<=[^\s_])_(?![\w_])", r"\1", t)
    if "~~" in t:
        t = re.sub(r"~~(?=\S)(.{1,200}?)(?<=\S)~~", r"\1", t)
    return t


def stray_brackets(t: str) -> str:
    """Citation marks (``[1]``) out, ``[aside]``/``{aside}`` to ``(aside)``, lone brackets out."""
    t = re.sub(r"\s?\[\d{1,3}(?:[,-]\s?\d{1,3})*\]", "", t)
    t = re.sub(r"[\[{]([^\[\]{}\n]{1,200})[\]}]", r"(\1)", t)
    return re.sub(r"[\[\]{}]", " ", t)
