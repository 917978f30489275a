"""COPIED_*: a re-dated copy is flagged; honest reports that share the template's boilerplate are not."""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np

from demo.synth import render_text, sample_report
from monitor.report.analysis import analyze_path, analyze_text
from monitor.report.similarity import (
    BANDS,
    COPY_THRESHOLD,
    NUM_HASHES,
    candidate_pairs,
    jaccard,
    make_doc,
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
