"""Per-report rules other than arithmetic: structure, statements, years, text against tables."""

from __future__ import annotations

from collections import Counter

from demo.synth import render_text, sample_report
from monitor.report.analysis import analyze_text
from tests.conftest import seed_text


def codes(text: str) -> Counter[str]:
    return Counter(f.code for f in analyze_text(text).findings)


def test_synthetic_report_is_clean() -> None:
    assert codes(render_text(sample_report(1))) == Counter()


def test_missing_section_and_table() -> None:
    got = analyze_text(render_text(sample_report(1, drop_sections=(4,)))).findings
    assert {f.code for f in got} >= {"SECTION_MISSING", "TABLE_MISSING"}
    missing = next(f for f in got if f.code == "SECTION_MISSING")
    assert missing.detail == {"section": 4, "heading": "四、政府信息公开行政复议、行政诉讼情况"}
    assert next(f for f in got if f.code == "TABLE_MISSING").detail == {"table": "表四"}


def test_missing_table_row() -> None:
    text = render_text(sample_report(2, zero=True)).replace("2.重复申请", "（删去）")
    got = analyze_text(text).findings
    assert [(f.code, f.detail.get("row")) for f in got] == [("TABLE_ROW_MISSING", "2.重复申请")]


def test_fee_statement_rules() -> None:
    assert codes(render_text(sample_report(1, fee_statement=False)))["FEE_STATEMENT_MISSING"] == 1
    # before 2021 there was no such requirement
    assert codes(render_text(sample_report(1, fmt="2019", year=2020, fee_statement=False))) == Counter()
    # the 表二/表三 labels that mention 收费 are not a statement
    assert "FEE_STATEMENT_MISSING" in codes(seed_text("001"))


def test_improvements_required_in_section_5() -> None:
    got = analyze_text(render_text(sample_report(1, improvements=False))).findings
    assert [f.code for f in got] == ["IMPROVEMENT_MISSING"]
    assert got[0].detail["states_problems"] is True


def test_government_must_report_assessment() -> None:
    gov = dict(agency="青川县人民政府")
    assert codes(render_text(sample_report(1, **gov))) == Counter()
    assert codes(render_text(sample_report(1, gov_statement=False, **gov))) == Counter({"GOV_ASSESSMENT_MISSING": 1})
    # a department is not asked for it
    assert codes(render_text(sample_report(1, gov_statement=False))) == Counter()


def test_template_outdated() -> None:
    report = sample_report(1, fmt="2019", year=2022)
    got = analyze_text(render_text(report)).findings
    assert [f.code for f in got] == ["TEMPLATE_OUTDATED"]
    assert got[0].detail == {"year": 2022, "template": "2019", "expected": "2021"}
    # the trial format was right for 2019 and 2020
    assert codes(render_text(sample_report(1, fmt="2019", year=2020))) == Counter()


def test_no_format_at_all() -> None:
    text = "青川县教育局2022年政府信息公开工作年度报告\n一、总体情况\n" + "本年度工作有序开展。" * 20
    got = codes(text)
    assert got["TEMPLATE_OUTDATED"] == 1 and got["TABLE_MISSING"] == 3


def test_pre_2019_reports_are_not_held_to_the_2019_format() -> None:
    text = "某县民政局2017年政府信息公开年度报告\n一、概述\n" + "2017年，我局认真做好政府信息公开工作。" * 20
    assert codes(text) == Counter()


def test_year_mismatch() -> None:
    text = render_text(sample_report(1, year=2023)).replace("存在的主要问题", "2023年存在的主要问题")
    # a re-dated copy: the title says 2024, the body still tells of 2023, the date line is 2024-01
    got = analyze_text(text.replace("2023年政府信息公开工作年度报告", "2024年政府信息公开工作年度报告")).findings
    mismatch = [f for f in got if f.code == "YEAR_MISMATCH"]
    assert len(mismatch) == 1
    assert mismatch[0].detail == {"title_year": 2024, "body_year": 2023, "date_line": "2024-01-20"}
    # a statistics period that disagrees with the title
    seed = seed_text("002").replace("统计期限自2023年1月1日起至2023年12月31日止", "统计期限自2022年1月1日起至2022年12月31日止")
    assert codes(seed)["YEAR_MISMATCH"] == 1


def test_text_table_mismatch() -> None:
    report = sample_report(1)
    text = render_text(report)
    stated = report.tables.t3["received"][-1]
    assert codes(text) == Counter()
    got = analyze_text(text.replace(f"收到政府信息公开申请{stated}件", f"收到政府信息公开申请{stated + 7}件")).findings
    t1 = [f for f in got if f.code == "TEXT_TABLE_MISMATCH"]
    assert len(t1) == 1 and t1[0].detail["text_value"] == stated + 7 and t1[0].detail["table_value"] == stated
    # the seeds state zero applications in words, consistent with their tables
    for name in ("001", "002", "003"):
        assert "TEXT_TABLE_MISMATCH" not in codes(seed_text(name))


def test_text_stating_zero_against_nonzero_table() -> None:
    text = render_text(sample_report(1)).replace("全年收到政府信息公开申请", "本年度未收到政府信息公开申请。另")
    assert codes(text)["TEXT_TABLE_MISMATCH"] == 1


def test_every_finding_has_chinese_message_and_detail() -> None:
    from monitor.report.spec import FINDINGS

    for name in ("000", "001", "004"):
        for f in analyze_text(seed_text(name)).findings:
            assert f.severity == FINDINGS[f.code].severity
            assert any("\u4e00" <= ch <= "\u9fff" for ch in f.message)
            assert isinstance(f.detail, dict) and f.detail
