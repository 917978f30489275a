"""The five real seed reports get the verdicts a careful human would give."""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.report.analysis import analyze_path
from tests.conftest import SEEDS

EXPECTED = {
    "000": dict(agency="文峰区商务局", jurisdiction="文峰区", year=2023, level="department", template="2021",
                codes={"LABEL_NONSTANDARD": 1}),
    "001": dict(agency="温县商务局", jurisdiction="温县", year=2021, level="department", template="2021",
                codes={"TABLE_CELL_COUNT": 4, "FEE_STATEMENT_MISSING": 1, "LABEL_NONSTANDARD": 1}),
    "002": dict(agency="薛城区商务和投资促进局", jurisdiction="薛城区", year=2023, level="department",
                template="2021", codes={}),
    "003": dict(agency="红旗区商务局", jurisdiction="红旗区", year=2023, level="department", template="2021",
                codes={}),
    "004": dict(agency="区商务局", jurisdiction=None, year=2019, level="department", template="2019",
                codes={"TABLE_CELL_BLANK": 4, "LABEL_NONSTANDARD": 1}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_verdict(name: str) -> None:
    report = analyze_path(SEEDS[name])
    data = report.to_json()
    want = EXPECTED[name]
    for key in ("agency", "jurisdiction", "year", "level", "template"):
        assert data[key] == want[key], key
    assert data["sections"] == [1, 2, 3, 4, 5, 6]
    assert Counter(f["code"] for f in data["findings"]) == Counter(want["codes"])
    assert not [f for f in data["findings"] if f["code"].startswith("ARITH_")]
    # every table was parsed whole
    assert data["tables"]["t2"]["found"] and data["tables"]["t3"]["found"] and data["tables"]["t4"]["found"]
    assert data["tables"]["t3"]["missing_rows"] == [] and data["tables"]["t2"]["missing_rows"] == []
    assert len(data["tables"]["t4"]["rows"]) == 3


def test_seed_001_short_rows_and_label() -> None:
    findings = analyze_path(SEEDS["001"]).findings
    short = sorted(f.detail["row"] for f in findings if f.code == "TABLE_CELL_COUNT")
    assert short == sorted(["（一）予以公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
                            "1.属于国家秘密", "2.其他法律行政法规禁止公开"])
    assert all(f.detail["found"] == 6 and f.detail["expected"] == 7 for f in findings if f.code == "TABLE_CELL_COUNT")
    label = next(f for f in findings if f.code == "LABEL_NONSTANDARD")
    assert label.detail["found"].endswith("其他法律法规禁止公开")
    assert label.detail["expected"] == "2.其他法律行政法规禁止公开"


def test_seed_000_nonstandard_column() -> None:
    label = next(f for f in analyze_path(SEEDS["000"]).findings if f.code == "LABEL_NONSTANDARD")
    assert label.detail == {"table": "表二", "kind": "column", "expected": "本年废止件数", "found": "本年度止件数",
                            "line": label.detail["line"]}


def test_seed_004_trial_format_blanks() -> None:
    report = analyze_path(SEEDS["004"])
    blanks = {f.detail["row"]: f.detail["columns"] for f in report.findings if f.code == "TABLE_CELL_BLANK"}
    assert blanks["二、上年结转政府信息公开申请数量"] == ["自然人"]
    assert blanks["（一）予以公开"] == ["总计"]
    assert len(blanks["1.属于国家秘密"]) == 7
    # the "四、存在的主要问题及改进措施" sub-heading inside 总体情况 is not section 5
    assert report.sections.headings[5].text.startswith("五、")
    assert report.identity.title == "区商务局政府信息公开工作2019年度报告"
    # trial 表二 has 8 rows, 表三 has a single （六）其他处理 row
    assert len(report.tables.t2.rows) == 8 and len(report.tables.t3.rows) == 23


def test_seed_002_identity_details() -> None:
    data = analyze_path(SEEDS["002"]).to_json()
    assert data["date_line"] == "2024-01-16"
    assert data["statistics_period"] == [2023, 2023]
    assert data["title"] == "薛城区商务和投资促进局2023年政府信息公开工作年度报告"


def test_numbers_point_to_their_source(seed_name: str) -> None:
    report = analyze_path(SEEDS[seed_name])
    lines = report.lines
    for table in report.tables.all():
        for row in table.rows:
            for cell in row.cells:
                if cell.raw:
                    assert lines[cell.line - 1][cell.col - 1:].startswith(cell.raw), (row.label, cell)
