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
from collections import defaultdict
from collections.abc import Iterable
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


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


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


PAIR_CHUNK = 20_000  # candidate pairs estimated at once: two gathered signature blocks of ~20 MB each


def candidate_pairs(signatures: dict[int, np.ndarray]) -> set[tuple[int, int]]:
    """Keys whose signatures share at least one LSH band: likely similar, to be confirmed."""
    rows = NUM_HASHES // BANDS
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for key, sig in signatures.items():
        for b in range(BANDS):
            buckets[(b, sig[b * rows:(b + 1) * rows].tobytes())].append(key)
    out: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 1 < len(members) <= 500:  # a huge bucket is an empty or stock text, not a copy
            members = sorted(members)
            out.update((members[x], members[y]) for x in range(len(members)) for y in range(x + 1, len(members)))
    if not out:
        return set()
    # the signatures' own estimate rules out most candidates before any text is read; computed for
    # many pairs at once (reports made from one template share buckets: millions of pairs at
    # national size, and one numpy call a pair cost minutes)
    keys = list(signatures)
    row_of = {key: i for i, key in enumerate(keys)}
    matrix = np.stack([signatures[key] for key in keys])
    pairs = list(out)
    kept: set[tuple[int, int]] = set()
    for start in range(0, len(pairs), PAIR_CHUNK):
        chunk = pairs[start:start + PAIR_CHUNK]
        xs = np.fromiter((row_of[x] for x, _ in chunk), dtype=np.intp, count=len(chunk))
        ys = np.fromiter((row_of[y] for _, y in chunk), dtype=np.intp, count=len(chunk))
        agree = (matrix[xs] == matrix[ys]).mean(axis=1)
        kept.update(pair for pair, ok in zip(chunk, (agree >= COPY_THRESHOLD - 0.15).tolist(), strict=True) if ok)
    return kept


def confirm(a: tuple[int, set[str]], b: tuple[int, set[str]], threshold: float = COPY_THRESHOLD) -> float | None:
    """The exact similarity of two normalised proses given as (length, shingles), when both are
    long enough and it reaches the threshold."""
    if min(a[0], b[0]) < MIN_CHARS:
        return None
    score = jaccard(a[1], b[1])
    return round(score, 3) if score >= threshold else None


def similar_pairs(docs: list[Doc], threshold: float = COPY_THRESHOLD) -> list[tuple[int, int, float]]:
    """Pairs of documents (by key) whose prose Jaccard is at least ``threshold``."""
    by_key = {d.key: d for d in docs}
    out = []
    for x, y in sorted(candidate_pairs({d.key: d.signature for d in docs})):
        a, b = by_key[x], by_key[y]
        score = confirm((len(a.text), a.shingles), (len(b.text), b.shingles), threshold)
        if score is not None:
            out.append((x, y, score))
    return out
