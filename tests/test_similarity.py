"""COPIED_*: a re-dated copy is flagged; honest reports that share the template's boilerplate are not."""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np

from demo.synth import render_text, sample_report
from monitor.report import similarity
from monitor.report.analysis import analyze_path, analyze_text
from monitor.report.similarity import (
    BANDS,
    COPY_THRESHOLD,
    MAX_BUCKET,
    NUM_HASHES,
    candidate_pairs,
    confirm_many,
    jaccard,
    make_doc,
    shingle_hashes,
    similar_pairs,
)
from tests.conftest import SEEDS, seed_text


def doc(report, key: int = 0):
    return make_doc(key, report.authored_prose(), [report.identity.agency, report.identity.jurisdiction])


def test_honest_seed_reports_are_not_copies() -> None:
    docs = [doc(analyze_path(path), n) for n, path in enumerate(SEEDS.values())]
    for a, b in combinations(docs, 2):
        assert jaccard(a.shingles, b.shingles) < 0.2
    assert similar_pairs(docs) == []


def test_redated_copy_is_flagged() -> None:
    original = doc(analyze_text(seed_text("000")))
    # next year's "report": every year moved on, every number changed
    def move(m: re.Match[str]) -> str:
        n = int(m.group())
        return str(n + 1) if 2000 <= n <= 2099 else str(n + 3)

    copied = re.sub(r"\d+", move, seed_text("000"))
    assert "2024 年政府信息公开工作年度报告" in copied
    assert jaccard(original.shingles, doc(analyze_text(copied)).shingles) >= 0.99


def test_copy_by_another_unit_with_small_edits_is_flagged() -> None:
    original = doc(analyze_text(seed_text("002")), 1)
    text = seed_text("002").replace("薛城区商务和投资促进局", "薛城区教育和体育局").replace("商促局", "教体局")
    text = text.replace("招商引资、商贸流通、对外开放、安全生产", "教育教学、校园安全、体育赛事")
    copied = doc(analyze_text(text), 2)
    score = jaccard(original.shingles, copied.shingles)
    assert COPY_THRESHOLD <= score < 1.0
    assert [(a, b) for a, b, _ in similar_pairs([original, copied])] == [(1, 2)]


def test_synthetic_honest_reports_share_boilerplate_only() -> None:
    docs = [doc(analyze_text(render_text(sample_report(n, agency=agency))), n)
            for n, agency in enumerate(["青川县教育局", "青川县民政局", "青川县财政局", "青川县商务局", "城关镇人民政府"])]
    scores = [jaccard(a.shingles, b.shingles) for a, b in combinations(docs, 2)]
    assert max(scores) < COPY_THRESHOLD and min(scores) > 0.1  # they do share the template's phrases
    assert similar_pairs(docs) == []


def test_short_texts_are_never_compared() -> None:
    a, b = make_doc(1, "无其他需要报告的事项"), make_doc(2, "无其他需要报告的事项")
    assert similar_pairs([a, b]) == []


def test_candidate_pairs_filter_many_pairs_as_one_pair_at_a_time_would() -> None:
    """The estimate that rules candidates out is computed for many pairs at once: the same pairs
    as comparing each pair's signatures on its own (template-made reports share buckets)."""
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**63, NUM_HASHES, dtype=np.uint64)
    signatures = {}
    for key in range(300):  # near copies of one text, each with its own share of changed hashes
        sig = base.copy()
        changed = rng.choice(NUM_HASHES, int(rng.integers(0, NUM_HASHES // 2)), replace=False)
        sig[changed] = rng.integers(0, 2**63, len(changed), dtype=np.uint64)
        signatures[key] = sig
    pairs = candidate_pairs(signatures)
    naive = {(x, y) for x in range(300) for y in range(x + 1, 300)
             if np.mean(signatures[x] == signatures[y]) >= COPY_THRESHOLD - 0.15}
    assert pairs <= naive and len(pairs) > 1000
    # every naive pair that shares a band is kept
    rows = NUM_HASHES // BANDS
    banded = {(x, y) for x, y in naive if any((signatures[x][b * rows:(b + 1) * rows]
                                               == signatures[y][b * rows:(b + 1) * rows]).all() for b in range(BANDS))}
    assert pairs == banded


def _pairs_one_bucket_at_a_time(signatures: dict[int, np.ndarray]) -> set[tuple[int, int]]:
    """The plain statement of what candidate_pairs computes: every pair sharing a band whose bucket
    holds at most MAX_BUCKET reports, kept when the signatures agree on enough hashes."""
    rows = NUM_HASHES // BANDS
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for key, sig in signatures.items():
        for b in range(BANDS):
            buckets.setdefault((b, sig[b * rows:(b + 1) * rows].tobytes()), []).append(key)
    pairs = {(x, y) for members in buckets.values() if 1 < len(members) <= MAX_BUCKET
             for x, y in combinations(sorted(members), 2)}
    return {(x, y) for x, y in pairs if np.mean(signatures[x] == signatures[y]) >= COPY_THRESHOLD - 0.15}


def test_candidate_pairs_are_the_pairs_of_each_bucket_and_skip_overfull_ones(monkeypatch) -> None:
    """Buckets of all sizes, one fuller than MAX_BUCKET (a stock text): the pairs made as arrays,
    in batches, each estimated once, are the pairs a bucket-by-bucket reading finds."""
    rng = np.random.default_rng(5)
    signatures: dict[int, np.ndarray] = {}
    key = 1000

    def cluster(size: int, changed_at_most: int, fixed_band: int | None = None) -> None:
        nonlocal key
        base = rng.integers(0, 2**63, NUM_HASHES, dtype=np.uint64)
        rows = NUM_HASHES // BANDS
        for _ in range(size):
            sig = base.copy()
            changed = rng.choice(NUM_HASHES, int(rng.integers(0, changed_at_most)), replace=False)
            sig[changed] = rng.integers(0, 2**63, len(changed), dtype=np.uint64)
            if fixed_band is not None:  # every member keeps this band: one overfull bucket
                sig[fixed_band * rows:(fixed_band + 1) * rows] = base[fixed_band * rows:(fixed_band + 1) * rows]
            signatures[key] = sig
            key += int(rng.integers(1, 5))  # keys need not be dense

    cluster(MAX_BUCKET + 80, 40, fixed_band=3)
    for size in (2, 3, 17, 60, 240):
        cluster(size, 60)
    cluster(150, 128)  # unrelated texts
    keys = list(signatures)
    rng.shuffle(keys)  # the order they come in does not matter
    shuffled = {k: signatures[k] for k in keys}
    expected = _pairs_one_bucket_at_a_time(shuffled)
    assert len(expected) > 10_000
    assert candidate_pairs(shuffled) == expected
    monkeypatch.setattr(similarity, "PAIRS_AT_ONCE", 997)  # many batches, cut inside buckets' runs
    assert candidate_pairs(shuffled) == expected


def test_confirmation_by_hashes_is_the_jaccard_of_the_shingle_sets() -> None:
    docs = [doc(analyze_path(path), n) for n, path in enumerate(SEEDS.values())]
    docs += [doc(analyze_text(render_text(sample_report(n, agency=agency))), 10 + n)
             for n, agency in enumerate(["青川县教育局", "青川县民政局", "青川县财政局"])]
    prose = [(len(d.text), shingle_hashes(d.text)) for d in docs]
    for d, (_, hashes) in zip(docs, prose, strict=True):
        assert len(hashes) == len(d.shingles)
    for k, d in enumerate(docs):
        scores = confirm_many(prose[k], prose, threshold=0.0)
        assert scores == [round(jaccard(d.shingles, e.shingles), 3) for e in docs]
