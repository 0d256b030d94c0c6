"""A content-addressed on-disk cache for expensive work (LLM answers, TTS audio).

Keys are SHA-256 digests of a canonical JSON of everything that determines the result
(backend, model, voice, parameters, input text, prompt version). Writes are atomic
(temp file + rename; on object stores an object appears only once its upload is complete), so a
crash never leaves a half-written entry and a rerun redoes nothing that finished. The root may be
a local folder or an object-store URL (``s3://bucket/cache``, ``gs://...``; everything goes through
Beam's FileSystems), so all the workers of a cluster can share one cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any


def content_key(**parts: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of ``parts``."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ContentCache:
    """Bytes and JSON values stored under ``root/namespace/ab/abcdef...``.

    ``root=None`` disables the cache (every ``get`` misses, ``put`` is a no-op).
    ``hits`` and ``misses`` count lookups in this process.
    """

    def __init__(self, root: str | os.PathLike[str] | None, namespace: str) -> None:
        self.root = None
        if root:
            from duplexsynth import fs  # lazily: a serving environment may lack Beam

            self.root = fs.join(str(root), namespace)
        self.namespace = namespace
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def _path(self, key: str, suffix: str) -> str:
        from duplexsynth import fs  # lazily: a serving environment may lack Beam

        if self.root is None:
            raise ValueError("the cache is disabled (no root)")
        return fs.join(self.root, key[:2], f"{key}{suffix}")

    def get_bytes(self, key: str, suffix: str = ".bin") -> bytes | None:
        from duplexsynth import fs  # lazily: a serving environment may lack Beam

        if self.root is None:
            self.misses += 1
            return None
        path = self._path(key, suffix)
        try:
            data = fs.read_bytes(path)
        except FileNotFoundError:
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put_bytes(self, key: str, data: bytes, suffix: str = ".bin") -> None:
        from duplexsynth import fs  # lazily: a serving environment may lack Beam

        if self.root is None:
            return
        fs.write_bytes(self._path(key, suffix), data)

    def get_json(self, key: str) -> Any | None:
        data = self.get_bytes(key, ".json")
        return None if data is None else json.loads(data.decode("utf-8"))

    def put_json(self, key: str, value: Any) -> None:
        self.put_bytes(
            key, json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8"), ".json"
        )


def default_cache_dir() -> str:
    """``$DUPLEXSYNTH_CACHE`` if set, else ``$XDG_CACHE_HOME/duplexsynth`` (``~/.cache/duplexsynth``)."""
    env = os.environ.get("DUPLEXSYNTH_CACHE")
    if env:
        return env
    return _home_cache_dir()


def _home_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "duplexsynth")


def local_cache_dir(preferred: str | os.PathLike[str] | None = None) -> str:
    """A local folder for files that must be on local disk (model files an engine opens).

    ``preferred`` (or the default cache root) when it is local; for an object-store cache root
    (``s3://...``), ``$XDG_CACHE_HOME/duplexsynth`` (``~/.cache/duplexsynth``) instead.
    """
    from duplexsynth import fs  # lazily: a serving environment may lack Beam

    root = str(preferred or default_cache_dir())
    return root if fs.is_local(root) else _home_cache_dir()
