"""Identity of a report: title variants, agency, jurisdiction, level, dates, sections."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.report.analysis import analyze_text
from monitor.report.identity import find_date_line, find_published, jurisdiction_of, level_of, title_agency, title_year
from monitor.report.sections import find_sections
from monitor.report.textutil import parse_date


@pytest.mark.parametrize("title,agency,year", [
    ("温县商务局2021年政府信息公开工作年度报告", "温县商务局", 2021),
    ("文峰区商务局 2023 年政府信息公开工作年度报告", "文峰区商务局", 2023),
    ("区商务局政府信息公开工作2019年度报告", "区商务局", 2019),
    ("2023年青川县教育局政府信息公开工作年度报告", "青川县教育局", 2023),
    ("青川县人民政府2023年度政府信息公开工作年度报告", "青川县人民政府", 2023),
    ("城关镇人民政府二〇二三年政府信息公开工作年度报告", "城关镇人民政府", 2023),
    ("某县民政局2017年政府信息公开年度报告", "某县民政局", 2017),
])
def test_title_variants(title: str, agency: str, year: int) -> None:
    assert title_agency(title) == agency
    assert title_year(title) == year


@pytest.mark.parametrize("agency,level", [
    ("青川县人民政府", "government"), ("温县人民政府", "government"), ("温县商务局", "department"),
    ("温县人民政府办公室", "department"), ("城关镇人民政府", "township"), ("东城街道办事处", "township"),
    ("青川县乡村振兴局", "department"), ("红旗区发展和改革委员会", "department"), ("和平街道", "township"),
])
def test_levels(agency: str, level: str) -> None:
    assert level_of(agency, jurisdiction_of(agency)) == level


def test_government_report_named_by_jurisdiction_only() -> None:
    report = analyze_text("青川县2023年政府信息公开工作年度报告\n一、总体情况\n" + "正文。" * 20)
    assert report.identity.agency == "青川县人民政府"
    assert report.identity.level == "government"
    assert report.identity.jurisdiction == "青川县"


def test_two_line_title() -> None:
    report = analyze_text("北京市大兴区商务局\n2023年政府信息公开工作年度报告\n一、总体情况\n" + "正文。" * 20)
    assert report.identity.title == "北京市大兴区商务局2023年政府信息公开工作年度报告"
    assert report.identity.jurisdiction == "大兴区"


@pytest.mark.parametrize("text,expected", [
    ("2024-01-23", date(2024, 1, 23)), ("2024年1月23日", date(2024, 1, 23)), ("2024/01/23 09:30", date(2024, 1, 23)),
    ("[2024-01-25]", date(2024, 1, 25)), ("二〇二四年一月十六日", date(2024, 1, 16)), ("2024年13月1日", None),
    ("2024年01-23", None),
])
def test_dates(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("page,expected,label", [
    ("索引号：K1/2024-1 发布日期：2024年01月25日 发布机构：区商务局", date(2024, 1, 25), "发布日期"),
    ("发布时间:2026-01-19 18:36  点击率:", date(2026, 1, 19), "发布时间"),
    ("日期:2018-03-22 10:00    来源:北京市西城区人民政府", date(2018, 3, 22), "日期"),
    ("成文日期：2024-01-10 发 布 日 期：2024-01-12", date(2024, 1, 12), "发布日期"),
    ("本报告统计时间：2023年1月1日至12月31日", None, None),
])
def test_published_labels(page: str, expected: date | None, label: str | None) -> None:
    assert find_published(page) == (expected, label)


def test_date_line_at_end() -> None:
    lines = ["正文", "", "某某县商务局", "二〇二四年一月十六日", ""]
    assert find_date_line(lines) == (date(2024, 1, 16), 4)


def test_sections_by_words_not_numerals() -> None:
    text = "\n".join([
        "标题", "## 1. 总体情况", "正文", "**2、主动公开政府信息情况**", "（一）收到和处理政府信息公开申请情况的说明文字很长很长",
        "三、行政机关收到和处理政府信息公开申请情况", "第四部分 因政府信息公开工作被申请行政复议、提起行政诉讼情况",
        "五、存在问题及改进措施", "六、其他需要报告事项",
    ])
    sections = find_sections(text.split("\n"))
    assert sections.found == [1, 2, 3, 4, 5, 6]
    assert sections.headings[3].line == 6
    assert sections.out_of_order == []


def test_section_order_and_missing() -> None:
    text = "\n".join(["标题", "一、总体情况", "正文", "三、收到和处理政府信息公开申请情况",
                      "二、主动公开政府信息情况", "六、其他需要报告的事项"])
    sections = find_sections(text.split("\n"))
    assert sections.missing == [4, 5]
    assert sections.out_of_order == [2] or sections.out_of_order == [3]


@pytest.mark.parametrize("names", [
    ("温县", "温县政府", "温县人民政府", "河南省焦作市温县人民政府"),
    ("区政府国资局", None, "浑南区国资局", "沈阳市浑南区政府国资局"),  # 区政府国资局 with its district
    ("东湖街道", "东湖街道办", "东湖街道办事处", "绍兴市越城区东湖街道办事处"),
    ("鞍山高新区", "鞍山高新区管委会", "鞍山高新区管理委员会", None),
])
def test_one_unit_one_name(names: tuple[str | None, ...]) -> None:
    """Every spelling of a unit gives one key (issue 11 #4)."""
    from monitor.report.identity import canonical_agency, full_agency_name

    spelled = [n for n in names if n]
    keys = {canonical_agency(full_agency_name(n, "浑南区") if n.startswith("区") else n) for n in spelled}
    assert len(keys) == 1, keys


def test_government_titled_by_its_place_is_not_a_second_unit(tmp_path) -> None:
    """A portal that titles the government's report "温县2023年…" stores it as 温县人民政府's: the
    configured 温县人民政府 is not declared MISSING and no unit "温县" appears."""
    from monitor.judge import expected_units, unit_name
    from monitor.report.intake import Source, judge_fetched

    html = ("<html><head><title>温县2023年政府信息公开工作年度报告</title></head><body><div class='content'>"
            "<p>一、总体情况</p><p>" + "2023年，全县政府信息公开工作稳步推进。" * 10 + "</p></div></body></html>")
    judged = judge_fetched(Source("http://127.0.0.1/a.html", html.encode()), [], title="温县2023年政府信息公开工作年度报告",
                           portal_jurisdiction="温县")
    assert (judged.agency, judged.level) == ("温县人民政府", "government")
    assert unit_name("温县") == unit_name("温县人民政府") == judged.agency
    assert set(expected_units([], _registry(), "温县", 2023)) == {"温县人民政府"}


def _registry():
    from monitor.judge.registry import Registry

    return Registry()


def test_migration_merges_spellings_of_one_unit(tmp_path) -> None:
    """A store written before units were canonical: 温县's rows become 温县人民政府's, merged."""
    from monitor.store import open_store
    from monitor.store.migrations import _m006_canonical_units

    store = open_store(tmp_path / "n.db")
    report = analyze_text("温县2023年政府信息公开工作年度报告\n一、总体情况\n" + "正文。" * 20)
    a = store.record_report(report, jurisdiction="温县", agency="温县", year=2023, url="http://127.0.0.1/a")
    b = store.record_report(report, jurisdiction="温县", agency="温县人民政府", year=2023, url="http://127.0.0.1/b")
    c = store.record_report(report, jurisdiction="温县", agency="温县政府", year=2022, url="http://127.0.0.1/c")
    assert len({a.report_id, b.report_id, c.report_id}) == 3
    with store.transaction():
        _m006_canonical_units(store.db)
    rows = {(r["agency"], r["year"]) for r in store.db["reports"].rows}
    assert rows == {("温县人民政府", 2023), ("温县人民政府", 2022)}
    assert store.db.execute("select count(*) from report_versions where report_id = ?", [b.report_id]).fetchone()[0] >= 1
    assert store.db.execute("pragma foreign_key_check").fetchall() == []
