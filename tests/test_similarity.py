"""COPIED_*: a re-dated copy is flagged; honest reports that share the template's boilerplate are not."""

from __future__ import annotations

import re
from itertools import combinations

from demo.synth import render_text, sample_report
from monitor.report.analysis import analyze_path, analyze_text
from monitor.report.similarity import COPY_THRESHOLD, jaccard, make_doc, similar_pairs
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
