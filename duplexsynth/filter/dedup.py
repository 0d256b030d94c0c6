"""Exact and near-duplicate detection over the kept turns of each dialogue.

Text: each kept turn is lower-cased and every run of non-alphanumeric characters becomes one
space; turns stay apart (a NUL separator). Two dialogues are

* **exact duplicates** when these normalized texts are equal (so case, punctuation and spacing
  differences do not count), found by grouping on a 96-bit BLAKE2b key;
* **near duplicates** when the estimated Jaccard similarity of their character ``shingle_chars``
  -gram sets is at least ``near_dup_threshold`` (default 0.8). Estimation: a ``minhash_perm``
  -value one-permutation MinHash with optimal densification (see :class:`MinHasher`); candidates
  are found by LSH banding (``minhash_bands`` bands of ``minhash_rows`` values: two dialogues are
  compared only if one band is identical; with 10 x 6 a pair at similarity 0.8 becomes a
  candidate with probability 0.95, at 0.9 with 0.9995, at 0.5 with 0.15) and confirmed on the
  low 16 bits of all ``minhash_perm`` values. The estimate's standard error is about 0.05 near
  0.8 with 64 values, so pairs just under the threshold are sometimes dropped and pairs just over
  it sometimes kept; raise ``minhash_perm`` (with the bands) for a sharper cut.

Decision, deterministic whatever the order of arrival: within each group of candidates (sorted by
id), the first member is a representative; each later member is dropped as a duplicate of the
first representative it matches, or becomes a representative itself. A dialogue dropped in any
group is dropped, pointing at the lowest id it was matched with; pointers are followed down to a
dialogue that was not dropped, which is the *kept* id named in the reject's detail. The lowest id
of every duplicate cluster is therefore always kept.

All hash constants are fixed (derived from SHA-256 of a constant), so verdicts never depend on
the run seed or on the machine.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from duplexsynth.filter.config import FilterConfig
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import Dialogue, Reject, make_reject

EXACT = "exact"
NEAR = "near"
_NORM_RE = re.compile(r"[\W_]+")
_ASCII_NON_ALNUM = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
_ASCII_NON_ALNUM_KEEP_NUL = str.maketrans(
    {c: " " for c in map(chr, range(1, 128)) if not c.isalnum()}
)
_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # marks a bin no shingle fell into (batch path)
_PAIRWISE_MAX = 48  # groups up to this size compare all pairs in one numpy call

#: (pointer id, kind, similarity): "dropped as a duplicate of pointer"
Verdict = tuple[str, str, float]
#: (id, compact signature or None): one member of a candidate group
Member = tuple[str, bytes | None]


def normalize(text: str | None) -> str:
    """Lower-case; every run of non-alphanumeric characters becomes one space."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_NON_ALNUM).split())
    return _NORM_RE.sub(" ", text.lower()).strip()


def dialogue_text(texts: Iterable[str | None]) -> str:
    """The normalized text dedup compares: normalized turns separated by a NUL token.

    ASCII dialogues are normalized in one ``translate`` over the joined turns, with exactly the
    result of normalizing turn by turn (the separator is its own token and survives).
    """
    parts = [t or "" for t in texts]
    joined = " \x00 ".join(parts)
    if joined.isascii():
        return " ".join(joined.lower().translate(_ASCII_NON_ALNUM_KEEP_NUL).split())
    return " ".join(" \x00 ".join(normalize(t) for t in parts).split())


def exact_key(norm: str) -> bytes:
    """The grouping key of exact duplicates."""
    return b"x" + hashlib.blake2b(norm.encode("utf-8"), digest_size=12).digest()


def _constant(label: str) -> int:
    """A fixed 64-bit constant derived from SHA-256 (no RNG: the same on every machine)."""
    return int.from_bytes(
        hashlib.sha256(f"duplexsynth-minhash-{label}".encode()).digest()[:8], "little"
    )


class MinHasher:
    """One-permutation MinHash signatures of character shingles, LSH band keys, check values.

    Each shingle gets one 64-bit hash; the hash range is cut into ``num_perm`` bins and the
    signature is the minimum hash in every bin (one-permutation hashing, Li, Owen and Zhang 2012).
    A bin no shingle fell into borrows the value of the first non-empty bin along a fixed
    pseudo-random probe sequence of its own ("optimal densification", Shrivastava 2017), so two
    texts agree on a signature position with probability equal to their Jaccard similarity, as
    with classic MinHash, at the cost of one hash and one sort per text instead of
    ``num_perm`` hashes per shingle.
    """

    def __init__(
        self, num_perm: int = 64, shingle: int = 5, bands: int = 10, rows: int = 6
    ) -> None:
        if bands * rows > num_perm:
            raise ValueError(f"bands * rows = {bands * rows} exceeds num_perm = {num_perm}")
        self.num_perm, self.shingle, self.bands, self.rows = num_perm, shingle, bands, rows
        self._mix_a = np.uint64(_constant("mix-a") | 1)
        self._mix_b = np.uint64(_constant("mix-b"))
        probe_rng = np.random.Generator(np.random.PCG64(_constant(f"probe-{num_perm}")))
        self._probe = np.stack([probe_rng.permutation(num_perm) for _ in range(num_perm)])
        self._bins = np.arange(num_perm)
        self._band_prefix = [b"b" + i.to_bytes(2, "little") for i in range(bands)]

    @classmethod
    def from_config(cls, config: FilterConfig) -> MinHasher:
        return cls(
            config.minhash_perm, config.shingle_chars, config.minhash_bands, config.minhash_rows
        )

    def shingles(self, norm: str) -> np.ndarray:
        """64-bit hashes of the ``shingle``-character substrings of ``norm`` (>= 1 value)."""
        codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        n = len(codes)
        if n == 0:
            return np.zeros(1, dtype=np.uint64)
        k = min(self.shingle, n)
        m = n - k + 1
        h = codes[:m].copy()
        for j in range(1, k):
            h *= _SHINGLE_MULT
            h += codes[j : j + m]
        return h

    def signature(self, norm: str) -> np.ndarray:
        """``num_perm`` uint64 values: the smallest shingle hash in each bin (densified)."""
        h = self.shingles(norm) * self._mix_a + self._mix_b
        h ^= h >> np.uint64(29)
        h.sort()
        # bin = top 32 bits scaled to [0, num_perm): monotonic in h, so bins are contiguous
        bins = ((h >> np.uint64(32)) * np.uint64(self.num_perm)) >> np.uint64(32)
        first = np.minimum(np.searchsorted(bins, self._bins), len(h) - 1)
        filled = bins[first] == self._bins
        sig = h[first]
        if not filled.all():
            pick = filled[self._probe].argmax(axis=1)
            sig = np.where(filled, sig, sig[self._probe[self._bins, pick]])
        return sig

    def signatures(self, norms: Sequence[str]) -> np.ndarray:
        """``(len(norms), num_perm)`` signatures, row ``i`` equal to ``signature(norms[i])``.

        One numpy pass over all texts (shingle windows that cross from one text into the next
        are masked out, per-bin minima with ``np.minimum.at``): several times faster than one
        call per text, which matters at corpus scale.
        """
        k, nperm = self.shingle, self.num_perm
        out = np.empty((len(norms), nperm), dtype=np.uint64)
        long_idx = [i for i, t in enumerate(norms) if len(t) >= k]
        for i in set(range(len(norms))) - set(long_idx):  # shorter than one shingle
            out[i] = self.signature(norms[i])
        if not long_idx:
            return out
        texts = [norms[i] for i in long_idx]
        lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        m = len(codes) - k + 1
        h = codes[:m].copy()
        for j in range(1, k):
            h *= _SHINGLE_MULT
            h += codes[j : j + m]
        valid = np.ones(m, dtype=bool)
        valid[(np.cumsum(lens)[:-1, None] - np.arange(1, k)[None, :]).ravel()] = False
        owner = np.repeat(np.arange(len(texts)), lens - k + 1)
        x = h[valid] * self._mix_a + self._mix_b
        x ^= x >> np.uint64(29)
        bins = (((x >> np.uint64(32)) * np.uint64(nperm)) >> np.uint64(32)).astype(np.int64)
        sig = np.full(len(texts) * nperm, _EMPTY, dtype=np.uint64)
        np.minimum.at(sig, owner * nperm + bins, x)
        sig = sig.reshape(len(texts), nperm)
        filled = sig != _EMPTY
        rows = np.flatnonzero(~filled.all(axis=1))
        if len(rows):
            f, sub = filled[rows], sig[rows]
            pick = f[:, self._probe].argmax(axis=2)
            src = self._probe[self._bins[None, :], pick]
            sig[rows] = np.where(f, sub, np.take_along_axis(sub, src, axis=1))
        out[long_idx] = sig
        return out

    def band_keys(self, sig: np.ndarray) -> list[bytes]:
        """One grouping key per LSH band: ``b`` + band number + the band's values."""
        step = 8 * self.rows
        raw = sig[: self.bands * self.rows].tobytes()
        return [p + raw[i * step : (i + 1) * step] for i, p in enumerate(self._band_prefix)]

    @staticmethod
    def compact(sig: np.ndarray) -> bytes:
        """The low 16 bits of every MinHash value: what candidates are confirmed on."""
        return (sig & np.uint64(0xFFFF)).astype(np.uint16).tobytes()


def _equal_lanes(a: bytes, b: bytes) -> int:
    """How many 16-bit values two compact signatures share (XOR, then count zero lanes)."""
    x = (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")
    return memoryview(x).cast("H").tolist().count(0)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity from two :meth:`MinHasher.compact` signatures."""
    x = np.frombuffer(a, dtype=np.uint16)
    y = np.frombuffer(b, dtype=np.uint16)
    return float(np.count_nonzero(x == y)) / max(1, len(x))


def exact_entry(dialogue_id: str, norm: str) -> tuple[bytes, Member]:
    """The exact-duplicate ``(group key, member)`` of one dialogue's normalized text."""
    return exact_key(norm), (dialogue_id, None)


def near_entries(
    dialogue_id: str, sig: np.ndarray, hasher: MinHasher
) -> list[tuple[bytes, Member]]:
    """The LSH band ``(group key, member)`` pairs of one dialogue's signature."""
    compact = hasher.compact(sig)
    return [(key, (dialogue_id, compact)) for key in hasher.band_keys(sig)]


def dedup_entries(
    dialogue_id: str, texts: Sequence[str | None], config: FilterConfig, hasher: MinHasher | None
) -> list[tuple[bytes, Member]]:
    """The ``(group key, member)`` pairs one dialogue contributes to duplicate detection."""
    norm = dialogue_text(texts)
    entries = [exact_entry(dialogue_id, norm)]
    if config.near_dup and hasher is not None:
        entries.extend(near_entries(dialogue_id, hasher.signature(norm), hasher))
    return entries


def judge_group(members: Iterable[Member], threshold: float) -> list[tuple[str, Verdict]]:
    """``(dropped id, verdict)`` for one group of candidates (see the module docstring).

    Members without a signature (the exact-key group) are all duplicates of the lowest id.
    """
    ordered = sorted(set(members), key=lambda m: m[0])
    if len(ordered) < 2:
        return []
    if ordered[0][1] is None:
        first = ordered[0][0]
        return [(mid, (first, EXACT, 1.0)) for mid, _ in ordered[1:]]
    m = len(ordered)
    if m == 2:  # the common case, without numpy
        (rid, rsig), (mid, sig) = ordered
        sim = _equal_lanes(rsig, sig) / (len(sig) // 2)
        return [(mid, (rid, NEAR, round(sim, 3)))] if sim >= threshold else []
    sigs = np.frombuffer(b"".join(sig for _, sig in ordered), dtype=np.uint16).reshape(m, -1)
    width = sigs.shape[1]
    out: list[tuple[str, Verdict]] = []
    if m <= _PAIRWISE_MAX:  # all pairs at once, then the greedy pass in plain Python
        equal = np.count_nonzero(sigs[:, None, :] == sigs[None, :, :], axis=2).tolist()
        reps = [0]
        for i in range(1, m):
            row = equal[i]
            for r in reps:
                if row[r] / width >= threshold:
                    out.append((ordered[i][0], (ordered[r][0], NEAR, round(row[r] / width, 3))))
                    break
            else:
                reps.append(i)
        return out
    rep_idx = [0]
    for i in range(1, m):
        sims = np.count_nonzero(sigs[rep_idx] == sigs[i], axis=1) / width
        hit = int(np.argmax(sims >= threshold))
        if sims[hit] >= threshold:
            out.append(
                (ordered[i][0], (ordered[rep_idx[hit]][0], NEAR, round(float(sims[hit]), 3)))
            )
        else:
            rep_idx.append(i)
    return out


def lowest(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict with the lowest pointer id (``exact`` before ``near`` on a tie)."""
    return min(verdicts)


def resolve_kept(dialogue_id: str, dropped: Mapping[str, Verdict]) -> str:
    """Follow duplicate pointers from ``dialogue_id`` down to a dialogue that was kept."""
    current = dialogue_id
    for _ in range(len(dropped) + 1):
        verdict = dropped.get(current)
        if verdict is None:
            return current
        current = verdict[0]
    raise RuntimeError(f"duplicate pointers loop at {dialogue_id!r}")  # pragma: no cover


def duplicate_detail(dialogue_id: str, dropped: Mapping[str, Verdict]) -> str:
    """``"exact duplicate of X"`` / ``"near duplicate of X (similarity 0.91)[ via Y]"``."""
    pointer, kind, sim = dropped[dialogue_id]
    kept = resolve_kept(pointer, dropped)
    text = f"{kind} duplicate of {kept}"
    if kind == NEAR:
        text += f" (similarity {sim:.2f}"
        text += f" with {pointer})" if pointer != kept else ")"
    elif pointer != kept:
        text += f" (via {pointer})"
    return text


@dataclass(frozen=True)
class DedupResult:
    kept: list[Dialogue]
    rejects: list[Reject]


def dedup_dialogues(
    dialogues: Iterable[Dialogue], config: FilterConfig | None = None
) -> DedupResult:
    """In-memory duplicate removal with exactly the verdicts of the Beam transform."""
    config = config or FilterConfig()
    hasher = MinHasher.from_config(config) if config.near_dup else None
    items = list(dialogues)
    groups: dict[bytes, list[Member]] = {}
    norms = [dialogue_text(t.source_text for t in d.turns) for d in items]
    entries = [exact_entry(d.id, n) for d, n in zip(items, norms)]
    if hasher is not None and items:
        for d, sig in zip(items, hasher.signatures(norms)):
            entries.extend(near_entries(d.id, sig, hasher))
    for key, member in entries:
        groups.setdefault(key, []).append(member)
    verdicts: dict[str, list[Verdict]] = {}
    for members in groups.values():
        for mid, verdict in judge_group(members, config.near_dup_threshold):
            verdicts.setdefault(mid, []).append(verdict)
    dropped = {mid: lowest(vs) for mid, vs in verdicts.items()}
    kept, rejects = [], []
    for d in sorted(items, key=lambda x: x.id):
        if d.id in dropped:
            rejects.append(
                make_reject(d, "filter", Reason.DUPLICATE, duplicate_detail(d.id, dropped))
            )
        else:
            kept.append(d)
    return DedupResult(kept, rejects)
