"""Spoken-style rewrite: an LLM through any OpenAI-compatible server, or the offline rules.

Public entry points: :func:`rewrite_dialogue` (one dialogue) and :class:`RewriteProcessor`
(what the Beam transform wraps); settings in :class:`RewriteConfig`. Plain Python, no Beam.
"""

from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.process import RewriteProcessor, rewrite_dialogue
from duplexsynth.rewrite.prompt import PROMPT_VERSION
from duplexsynth.rewrite.rules import RULES_VERSION, find_unspeakable, normalize_text

__all__ = [
    "PROMPT_VERSION",
    "RULES_VERSION",
    "RewriteConfig",
    "RewriteProcessor",
    "find_unspeakable",
    "normalize_text",
    "rewrite_dialogue",
]
