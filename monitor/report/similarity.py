"""Near-duplicate reports: a re-dated copy of last year's text, or another unit's text re-badged.

Method. Compare only what an author writes: the prose outside the statistics tables, without
section headings, title and date line. Normalise it: the unit's own name and jurisdiction become
one placeholder, every run of digits (years, counts, dates) becomes ``#``, whitespace and
punctuation go. Cut it into overlapping 5-character shingles and compare shingle sets by
Jaccard similarity. Candidates are found with MinHash (128 hashes) and LSH banding (16 bands of
8), so a national corpus is not compared pair by pair; every candidate is then confirmed with
the exact Jaccard.

Threshold. :data:`COPY_THRESHOLD` = 0.85 on texts of at least :data:`MIN_CHARS` characters.
Honest reports share the template's boilerplate (the same headings are removed, and stock
phrases like 坚持以公开为常态 are short); the five seed reports, all 商务局 reports built on
the same template, score at most ~0.1 against each other, while a copy re-dated with new years and
numbers scores 1.0, and one with a couple of sentences reworded still scores well above 0.85
(tests/test_similarity.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from monitor.report.textutil import compact

SHINGLE = 5
NUM_HASHES = 128
BANDS = 16  # of 8 rows: a pair at J=0.85 collides with p≈0.99, at J=0.4 with p≈0.01
COPY_THRESHOLD = 0.85
MIN_CHARS = 150

_PUNCT = re.compile(r"[，。、；：？！“”‘’（）《》【】〔〕…—\-,.;:?!()\[\]<>/\\|·•*#\s]+")
_rng = np.random.default_rng(20240131)
_A = _rng.integers(1, 2**63 - 1, NUM_HASHES, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63 - 1, NUM_HASHES, dtype=np.uint64)


def normalise(text: str, names: Iterable[str] = ()) -> str:
    flat = compact(text)
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        flat = flat.replace(compact(name), "@")
    flat = re.sub(r"\d+", "#", flat)
    return _PUNCT.sub("", flat)


def shingles(normalised: str) -> set[str]:
    return {normalised[i:i + SHINGLE] for i in range(max(0, len(normalised) - SHINGLE + 1))}


_ROLL = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit multiplier (the golden ratio's)


def shingle_hashes(normalised: str) -> np.ndarray:
    """The shingles as sorted distinct 64-bit hashes: intersection sizes by array operations, in
    an eighth of a set's memory. Each hash is a polynomial over the shingle's code points, so all
    of a text's are made at once; the same shingle always hashes alike, and two different ones
    collide with a chance of ~2^-64 (exact for any pair of reports in practice)."""
    points = np.frombuffer(normalised.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(points) - SHINGLE + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    hashes = points[:count].copy()
    with np.errstate(over="ignore"):
        for k in range(1, SHINGLE):
            hashes = hashes * _ROLL + points[k:k + count]
    return np.unique(hashes)


Prose = tuple[int, np.ndarray]  # a normalised prose's length and its shingle_hashes


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)  # the union is counted, not built
    return shared / (len(a) + len(b) - shared)


def signature(shingle_set: set[str]) -> np.ndarray:
    if not shingle_set:
        return np.full(NUM_HASHES, np.iinfo(np.uint64).max, dtype=np.uint64)
    hashes = np.fromiter((int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
                          for s in shingle_set), dtype=np.uint64, count=len(shingle_set))
    with np.errstate(over="ignore"):
        mixed = hashes[:, None] * _A[None, :] + _B[None, :]
    return mixed.min(axis=0)


@dataclass
class Doc:
    key: int  # a report version id, or any id
    text: str  # normalised prose
    shingles: set[str]
    signature: np.ndarray


def make_doc(key: int, prose: str, names: Iterable[str] = ()) -> Doc:
    norm = normalise(prose, names)
    sh = shingles(norm)
    return Doc(key, norm, sh, signature(sh))


NEAR_AGREEING = int(np.ceil((COPY_THRESHOLD - 0.15) * NUM_HASHES))  # hashes two signatures share to be confirmed
PAIR_CHUNK = 20_000  # candidate pairs estimated at once: two gathered blocks of their hashes, ~5 MB each
MAX_BUCKET = 500  # a band value shared by more reports is an empty or stock text, not a copy
PAIRS_AT_ONCE = 1_000_000  # pairs of one band made at once (a few arrays of 8 MB)


def _bucket_pairs(ids: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair (x, y), x < y, of positions whose ``ids`` are equal and not negative, in batches:
    per bucket, each member with every later one (as ``numpy.triu_indices`` would, without a
    Python loop over buckets)."""
    compared = np.flatnonzero(ids >= 0)
    if not len(compared):
        return
    members = compared[np.argsort(ids[compared], kind="stable")]  # grouped, positions ascending
    _, starts, sizes = np.unique(ids[members], return_index=True, return_counts=True)
    size = np.repeat(sizes, sizes)
    rank = np.arange(len(members)) - np.repeat(starts, sizes)
    later = size - 1 - rank  # the members each one is paired with
    ends = np.cumsum(later)
    begin = 0
    while begin < len(members):
        # whole members at a time, up to PAIRS_AT_ONCE pairs (at least one member)
        stop = max(begin + 1, int(np.searchsorted(ends, ends[begin] - later[begin] + PAIRS_AT_ONCE, "right")))
        counts = later[begin:stop]
        total = int(counts.sum())
        if total:
            owner = np.repeat(np.arange(begin, stop), counts)
            offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            yield members[owner], members[owner + 1 + offset]
        begin = stop


def candidate_pairs(signatures: dict[int, np.ndarray]) -> set[tuple[int, int]]:
    """Keys (smaller first) whose signatures share at least one LSH band and whose signatures'
    own estimate comes near the threshold: likely similar, to be confirmed on the texts.

    Reports made from one template share buckets: at national size millions of pairs. So the
    pairs are made, deduplicated and estimated as arrays: a pair belongs to the first band whose
    bucket holds it, and each is estimated once, many at a time."""
    if len(signatures) < 2:
        return set()
    keys = sorted(signatures)
    matrix = np.stack([signatures[key] for key in keys])
    rows = NUM_HASHES // BANDS
    count = len(keys)
    # each document's bucket in each band, or a number of its own where the bucket is not compared
    # (alone, or too full)
    bucket = np.empty((BANDS, count), dtype=np.int64)
    own = -1 - np.arange(count, dtype=np.int64)
    for b in range(BANDS):
        band = np.ascontiguousarray(matrix[:, b * rows:(b + 1) * rows]).view(np.dtype((np.void, rows * 8))).ravel()
        _, ids = np.unique(band, return_inverse=True)
        sizes = np.bincount(ids)
        bucket[b] = np.where((sizes[ids] > 1) & (sizes[ids] <= MAX_BUCKET), ids, own)
    # the estimate compares each hash's low 16 bits: a quarter of the memory to gather, and two
    # different hashes agree there once in 65,536 (a pair is kept a little more often, never less)
    low = np.ascontiguousarray(matrix.astype(np.uint16))
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    for b in range(BANDS):
        for xs_all, ys_all in _bucket_pairs(bucket[b]):
            for at in range(0, len(xs_all), PAIR_CHUNK):
                xs, ys = xs_all[at:at + PAIR_CHUNK], ys_all[at:at + PAIR_CHUNK]
                if b:  # taken by an earlier band already
                    fresh = ~(bucket[:b, xs] == bucket[:b, ys]).any(axis=0)
                    xs, ys = xs[fresh], ys[fresh]
                # the signatures' own estimate rules out most candidates before any text is read
                near = (low[xs] == low[ys]).sum(axis=1) >= NEAR_AGREEING
                kept.append((xs[near], ys[near]))
    return {(keys[x], keys[y]) for xs, ys in kept for x, y in zip(xs.tolist(), ys.tolist(), strict=True)}


def confirm_many(one: Prose, others: list[Prose], threshold: float = COPY_THRESHOLD) -> list[float | None]:
    """The exact similarity of one prose with each of ``others`` where both are long enough and it
    reaches the threshold, else None. One pass over all of them: a report made from a common template
    is confirmed against hundreds of others."""
    out: list[float | None] = [None] * len(others)
    length, hashes = one
    if length < MIN_CHARS or not len(hashes):
        return out
    compared = [k for k, (n, h) in enumerate(others) if n >= MIN_CHARS and len(h)]
    if not compared:
        return out
    joined = np.concatenate([others[k][1] for k in compared])
    at = np.minimum(np.searchsorted(hashes, joined), len(hashes) - 1)
    starts = np.cumsum([0] + [len(others[k][1]) for k in compared[:-1]])
    shared = np.add.reduceat(hashes[at] == joined, starts).tolist()  # no segment is empty
    for k, common in zip(compared, shared, strict=True):
        score = common / (len(hashes) + len(others[k][1]) - common)
        if score >= threshold:
            out[k] = round(score, 3)
    return out


def confirm(a: Prose, b: Prose, threshold: float = COPY_THRESHOLD) -> float | None:
    """The exact similarity of two proses when both are long enough and it reaches the threshold."""
    return confirm_many(a, [b], threshold)[0]


def similar_pairs(docs: list[Doc], threshold: float = COPY_THRESHOLD) -> list[tuple[int, int, float]]:
    """Pairs of documents (by key) whose prose Jaccard is at least ``threshold``."""
    prose = {d.key: (len(d.text), shingle_hashes(d.text)) for d in docs}
    out = []
    for x, y in sorted(candidate_pairs({d.key: d.signature for d in docs})):
        score = confirm(prose[x], prose[y], threshold)
        if score is not None:
            out.append((x, y, score))
    return out
