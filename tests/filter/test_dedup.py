"""Exact and near duplicates: normalization, MinHash, groups, kept ids, determinism."""

from __future__ import annotations

import random

import numpy as np
import pytest
from _filtertools import dialogue

from duplexsynth.filter import dedup
from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.dedup import (
    MinHasher,
    dedup_dialogues,
    dialogue_text,
    duplicate_detail,
    judge_group,
    normalize,
    resolve_kept,
    similarity,
)

Q = "What is a good way to spend a quiet Sunday afternoon with my two young children?"
A = (
    "You could bake simple cookies together, build a blanket fort in the living room, then "
    "read their favorite picture books aloud before an early dinner and a warm bath."
)
OTHER_Q = "How do I keep basil alive on a sunny kitchen windowsill through the winter months?"
OTHER_A = "Water it when the top of the soil feels dry, pinch off flowers, and turn the pot weekly."


def jaccard(a: str, b: str, k: int = 5) -> float:
    sa = {a[i : i + k] for i in range(len(a) - k + 1)}
    sb = {b[i : i + k] for i in range(len(b) - k + 1)}
    return len(sa & sb) / len(sa | sb)


def test_normalize_ignores_case_punctuation_and_spacing():
    assert normalize("Hello,   WORLD!! it's_me") == "hello world it s me"
    assert normalize("Café — crème brûlée?") == "café crème brûlée"
    assert normalize(None) == "" and normalize("") == ""
    assert dialogue_text(["Hi!", "Yo."]) == dialogue_text(["hi", "YO"]) == "hi \x00 yo"
    assert dialogue_text(["a b", "c"]) != dialogue_text(["a", "b c"])  # turns stay apart
    assert dialogue_text(["Café!", "", "Yo"]) == "café \x00 \x00 yo"  # non-ASCII path
    assert dialogue_text(["Cafe!", "", "Yo"]) == "cafe \x00 \x00 yo"  # ASCII path, same shape


def test_minhash_is_deterministic_and_estimates_jaccard():
    h1, h2 = MinHasher(), MinHasher()
    a = dialogue_text([Q, A])
    b = dialogue_text([Q, A.replace("cookies", "muffins")])
    c = dialogue_text([OTHER_Q, OTHER_A])
    sa, sb, sc = h1.signature(a), h2.signature(b), h1.signature(c)
    assert np.array_equal(sa, h2.signature(a))  # fixed constants: same on any instance
    assert sa.shape == (64,) and sa.dtype == np.uint64
    est = similarity(MinHasher.compact(sa), MinHasher.compact(sb))
    assert abs(est - jaccard(a, b)) < 0.15
    assert similarity(MinHasher.compact(sa), MinHasher.compact(sc)) < 0.2
    assert len(set(h1.band_keys(sa)) & set(h1.band_keys(sb))) >= 1
    assert not set(h1.band_keys(sa)) & set(h1.band_keys(sc))


def test_signature_is_the_minimum_per_bin_and_densifies_empty_bins():
    h = MinHasher()
    long_text = normalize(" ".join([A, Q, OTHER_A] * 3))
    hashes = h.shingles(long_text) * h._mix_a + h._mix_b
    hashes ^= hashes >> np.uint64(29)
    bins = ((hashes >> np.uint64(32)) * np.uint64(64)) >> np.uint64(32)
    sig = h.signature(long_text)
    for b in range(64):  # every bin holds shingles here: its own minimum
        assert sig[b] == hashes[bins == b].min()
    short = h.signature("tiny text")  # 5 shingles: most bins borrow, all values are real hashes
    own = h.shingles("tiny text") * h._mix_a + h._mix_b
    own ^= own >> np.uint64(29)
    assert set(short.tolist()) <= set(own.tolist())
    assert np.array_equal(short, MinHasher().signature("tiny text"))


def test_exact_and_near_duplicates_keep_the_lowest_id():
    items = [
        dialogue(Q, A, id="b-000001"),
        dialogue(Q.upper(), A.replace(",", " ;"), id="a-000009"),  # exact after normalization
        dialogue(Q, A.replace("cookies", "muffins"), id="c-000000"),  # near
        dialogue(OTHER_Q, OTHER_A, id="d-000000"),
    ]
    result = dedup_dialogues(items)
    assert [d.id for d in result.kept] == ["a-000009", "d-000000"]
    details = {r.id: r.detail for r in result.rejects}
    assert details["b-000001"] == "exact duplicate of a-000009"
    assert details["c-000000"].startswith("near duplicate of a-000009 (similarity ")
    assert all(r.reason == "duplicate" and r.stage == "filter" for r in result.rejects)


def test_near_dup_off_keeps_near_but_drops_exact():
    items = [
        dialogue(Q, A, id="x-1"),
        dialogue(Q, A + " ", id="x-2"),
        dialogue(Q, A.replace("cookies", "muffins"), id="x-3"),
    ]
    result = dedup_dialogues(items, FilterConfig(near_dup=False))
    assert [d.id for d in result.kept] == ["x-1", "x-3"]


def test_verdicts_do_not_depend_on_input_order():
    rng = random.Random(5)
    items = [dialogue(Q, A.replace("cookies", w), id=f"i-{n:03d}") for n, w in enumerate("abcdef")]
    items += [dialogue(OTHER_Q, OTHER_A, id="z-000")]
    first = dedup_dialogues(items)
    for _ in range(3):
        rng.shuffle(items)
        again = dedup_dialogues(items)
        assert [d.id for d in again.kept] == [d.id for d in first.kept]
        assert again.rejects == first.rejects
    assert [d.id for d in first.kept] == ["i-000", "z-000"]


def test_pointer_chains_resolve_to_the_kept_id():
    dropped = {"c": ("b", "near", 0.85), "b": ("a", "near", 0.9), "e": ("a", "exact", 1.0)}
    assert resolve_kept("c", dropped) == "a"
    assert duplicate_detail("c", dropped) == "near duplicate of a (similarity 0.85 with b)"
    assert duplicate_detail("b", dropped) == "near duplicate of a (similarity 0.90)"
    assert duplicate_detail("e", dropped) == "exact duplicate of a"


def test_judge_group_exact_and_greedy_representatives():
    assert judge_group([("b", None), ("a", None), ("c", None)], 0.8) == [
        ("b", ("a", "exact", 1.0)),
        ("c", ("a", "exact", 1.0)),
    ]
    sig = np.arange(64, dtype=np.uint16)
    near = sig.copy()
    near[:8] += 1000  # 56/64 equal = 0.875
    far = sig + 1000
    members = [("a", sig.tobytes()), ("b", far.tobytes()), ("c", near.tobytes())]
    assert judge_group(members, 0.8) == [("c", ("a", "near", 0.875))]
    assert judge_group(members, 0.9) == []
    assert judge_group([("a", sig.tobytes())], 0.8) == []


def test_large_groups_take_the_same_decisions(monkeypatch: pytest.MonkeyPatch):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**16, size=(6, 64), dtype=np.uint16)
    members = []
    for i in range(60):
        sig = base[i % 6].copy()
        flip = rng.choice(64, size=int(rng.integers(0, 20)), replace=False)
        sig[flip] = rng.integers(0, 2**16, size=len(flip), dtype=np.uint16)
        members.append((f"m-{i:03d}", sig.tobytes()))
    monkeypatch.setattr(dedup, "_PAIRWISE_MAX", 100)  # all pairs in one numpy call
    pairwise = judge_group(members, 0.8)
    monkeypatch.setattr(dedup, "_PAIRWISE_MAX", 1)  # one member against the representatives
    assert judge_group(members, 0.8) == pairwise
    assert len(pairwise) > 10


def test_bad_lsh_shape_is_rejected():
    with pytest.raises(ValueError, match="exceeds num_perm"):
        MinHasher(num_perm=16, bands=5, rows=4)


def test_batched_signatures_equal_one_by_one():
    h = MinHasher()
    norms = [
        dialogue_text([Q, A]),
        "abc",  # shorter than a shingle
        "",
        dialogue_text(["Café crème, s'il vous plaît", "Voilà ! 我们去公园"]),
        dialogue_text([OTHER_Q]),
        "tiny text",
        dialogue_text([A] * 5),
    ]
    batch = h.signatures(norms)
    assert batch.shape == (len(norms), 64)
    for row, norm in zip(batch, norms):
        assert np.array_equal(row, h.signature(norm))
    assert h.signatures([]).shape == (0, 64)
