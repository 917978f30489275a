"""Layouts real reports come in (issue 11), each reduced to a small case: flattened text, digits run
together, PDF labels wrapped around a vertical group label, page markers, blank totals, clauses that
bind a number to what it counts, metadata blocks. The real corpus (test_real_corpus.py) has them
whole; these say which rule each one needs."""

from __future__ import annotations

import random

from demo.synth import SynthReport, consistent_tables, render_text
from monitor.report.analysis import analyze_text
from monitor.report.identity import identify
from monitor.report.layout import relayout
from monitor.report.tables import split_runs

ARITH = ("ARITH_BALANCE", "ARITH_ROW_TOTAL", "ARITH_OUTCOME_TOTAL", "ARITH_REVIEW_TOTAL")


def codes(text: str) -> list[str]:
    return [f.code for f in analyze_text(text).findings]


def flatten(text: str, join: str = "") -> str:
    """A page's text with its line breaks and table separators gone, as archives and copies keep it."""
    return join.join(line.replace("\t", "") for line in text.split("\n"))


def report(seed: int = 1, **kwargs) -> SynthReport:
    return SynthReport("青川县教育局", 2023, consistent_tables(random.Random(seed), "2021", scale=30), jurisdiction="青川县",
                       **kwargs)


def test_flattened_headings_are_found_inside_the_line() -> None:
    text = flatten(render_text(report()))
    assert "\n" not in text
    found = analyze_text(text)
    assert found.sections.found == [1, 2, 3, 4, 5, 6]
    assert "SECTION_MISSING" not in codes(text)


def test_the_issue_example_flattened() -> None:
    text = ("根据《条例》要求，现公布青川县2021年政府信息公开工作年度报告，全文包括六个部分。一、总体情况2021年，我区"
            + "坚持以公开为常态。" * 20 + "二、主动公开政府信息情况 第二十条第（一）项 " + "公开信息。" * 30
            + "三、收到和处理政府信息公开申请情况 " + "办理申请。" * 30 + "四、政府信息公开行政复议、行政诉讼情况 "
            + "无。" * 30 + "五、存在的主要问题及改进情况 " + "问题和改进。" * 20 + "六、其他需要报告的事项 未收取信息处理费。")
    assert analyze_text(text).sections.found == [1, 2, 3, 4, 5, 6]


def test_digits_run_together_are_split_only_when_one_reading_fits() -> None:
    # 6000017 = 6 0 0 0 0 1 7: seven digits for seven cells, no other reading
    assert split_runs(["6000017"], 7, lambda v: sum(v[:-1]) == v[-1]) == [list("6000017")]
    # 801000081 = 80 1 0 0 0 0 81, the only reading whose six parts add up to the last
    assert split_runs(["801000081"], 7, lambda v: sum(v[:-1]) == v[-1]) == [["80", "1", "0", "0", "0", "0", "81"]]
    # 270020130: 27 0 0 2 0 1 30 and 2 7 0 0 20 1 30 both add up: not certain
    assert len(split_runs(["270020130"], 7, lambda v: sum(v[:-1]) == v[-1])) == 2
    # a space is a boundary: 20 0 00 0 121 = 20 0 0 0 0 1 21
    assert split_runs(["20", "0", "00", "0", "121"], 7, lambda v: sum(v[:-1]) == v[-1]) == \
        [["20", "0", "0", "0", "0", "1", "21"]]


def test_a_flattened_table_that_cannot_be_read_says_so_and_raises_no_arithmetic() -> None:
    r = report(seed=3)
    text = flatten(render_text(r))
    found = analyze_text(text)
    assert not set(ARITH) & {f.code for f in found.findings}
    assert "TABLE_MISSING" not in {f.code for f in found.findings}
    unreadable = [f for f in found.findings if f.detail.get("reason") == "digits_run_together"]
    for f in unreadable:
        assert f.code == "TABLE_CELL_COUNT" and "连在一起" in f.message
    # whatever could not be read is said; whatever was read was read right
    t3 = found.tables.t3
    for row in t3.rows:
        if row.cell_count == row.expected and all(c.status == "ok" for c in row.cells):
            assert [c.value for c in row.cells] == r.tables.t3[row.key], row.key


def test_a_real_defect_in_a_flattened_table_is_found_when_the_row_is_certain() -> None:
    # 表三 （七）总计 printed with one digit per cell: certain, so R3 can be checked
    r = report(seed=5)
    tables = consistent_tables(random.Random(9), "2021", zero=True)
    tables = tables.set("t3", "disclosed", 0, 1).set("t3", "disclosed", 6, 1)  # one disclosure, total row not updated
    text = flatten(render_text(SynthReport(r.agency, r.year, tables, jurisdiction="青川县")))
    assert "ARITH_OUTCOME_TOTAL" in codes(text)


WRAPPED = """1、申请人无正当理由逾期不补
正、行政机关不再处理其政府信\t0\t0\t0\t0\t0\t0\t0
息公开申请
（六）其
2、申请人逾期未按收费通知要
他处理
求缴纳费用、行政机关不再处理\t0\t0\t0\t0\t0\t0\t0
其政府信息公开申请
- 4 -
3、其他\t0\t0\t0\t0\t0\t0\t0"""


def test_pdf_labels_wrapped_around_a_vertical_group_label_are_present() -> None:
    """（六）其他处理 printed vertically between the wrapped lines of its rows, a page marker inside."""
    tables = consistent_tables(random.Random(2), "2021", zero=True)
    text = render_text(SynthReport("青川县教育局", 2023, tables, jurisdiction="青川县"))
    lines = text.split("\n")
    first = next(k for k, line in enumerate(lines) if "逾期不补正" in line)
    last = next(k for k, line in enumerate(lines) if line.lstrip("\t").startswith("3.其他"))
    text = "\n".join([*lines[:first], WRAPPED, *lines[last + 1:]])
    found = analyze_text(text)
    assert [r.key for r in found.tables.t3.rows if r.key.startswith("other_")] == \
        ["other_no_correction", "other_no_fee", "other_other"]
    assert not {"TABLE_ROW_MISSING", "TABLE_CELL_COUNT"} & {f.code for f in found.findings}


def test_numberings_and_units_are_one() -> None:
    from monitor.report.document import Document
    from monitor.report.spec import FORMATS
    from monitor.report.tables import build_rows, parse_t3

    text = "（一）予以公开 3 件 0 0 0 0 0 3件\n（2）部分公开 1 0 0 0 0 0 1\n"
    table = parse_t3(build_rows(Document("text", text=text)), FORMATS["2021"])
    assert [(row.key, [c.value for c in row.cells]) for row in table.rows] == [
        ("disclosed", [3, 0, 0, 0, 0, 0, 3]), ("partly_disclosed", [1, 0, 0, 0, 0, 0, 1])]


def test_a_blank_total_column_is_a_blank_cell_not_a_short_row() -> None:
    r = report(seed=7)
    text = render_text(r)
    lines = []
    for line in text.split("\n"):
        cells = line.split("\t")
        if ("予以公开" in line or "属于" in line) and len(cells) >= 8:
            cells[-1] = ""  # 总计 left blank on the result rows
        lines.append("\t".join(cells))
    found = analyze_text("\n".join(lines)).findings
    blank = [f for f in found if f.code == "TABLE_CELL_BLANK"]
    assert blank and all("总计" in f.message for f in blank)
    assert not [f for f in found if f.code == "TABLE_CELL_COUNT"]
    assert not set(ARITH) & {f.code for f in found}


def test_a_number_belongs_to_the_fact_its_clause_names() -> None:
    from monitor.report.checks import stated_counts

    line = "全市共受理政府信息公开申请120件，答复118件（含上年度结转申请2件，另有4件顺延），同比增长10件。"
    assert stated_counts(line) == [("received", 120, "全市共受理政府信息公开申请120件"),
                                   ("carried_in", 2, "含上年度结转申请2件")]
    assert stated_counts("其中予以公开12件部分公开3件，因本机关不掌握等原因无法提供265件")[:2] == [
        ("disclosed", 12, "其中予以公开12件部分公开3件"), ("partly", 3, "其中予以公开12件部分公开3件")]
    assert stated_counts("目前未收到该申请人提交的补正") == []


def test_text_against_tables_on_a_report() -> None:
    r = report(seed=11)
    t3 = r.tables.t3
    new, carried = t3["received"][-1], t3["carried_in"][-1]
    unable = sum(t3[k][-1] for k in ("unable_not_held", "unable_needs_making", "unable_unclear"))
    consistent = (f"全区共受理政府信息公开申请{new + carried}件，答复{new}件（含上年度结转申请{carried}件）。"
                  f"因本机关不掌握等原因无法提供{unable}件。")
    text = render_text(r).replace("一、总体情况\n", "一、总体情况\n" + consistent + "\n", 1)
    assert "TEXT_TABLE_MISMATCH" not in codes(text)
    wrong = text.replace(f"无法提供{unable}件", f"无法提供{unable + 7}件")
    found = [f for f in analyze_text(wrong).findings if f.code == "TEXT_TABLE_MISMATCH"]
    assert [f.detail["fact"] for f in found] == ["unable"]


def test_labels_are_never_part_of_a_name() -> None:
    ident = identify(["标题: 平潭综合实验区2021年度政府信息公开工作年度报告", "发布时间: 2022-02-08 16:34",
                      "发布机构: ", "一、总体情况"], {})
    assert (ident.agency, ident.jurisdiction, ident.level) == ("平潭综合实验区管理委员会", "平潭综合实验区", "government")
    assert ident.published.isoformat() == "2022-02-08"
    piped = identify(["索引号 | 11/2022-01 | 效力属性 | |", "发布机构 | 政府办公室 | 文 号 | |",
                      "成文日期 | 发布日期 | 2022-04-06 |", "根据《条例》，特向社会公布我旗2021年度信息公开年度报告。",
                      "一、总体情况", "2021年，全旗各部门……乌拉特前旗政府信息公开工作稳步推进，全旗共公开信息。"], {})
    assert (piped.agency, piped.level) == ("乌拉特前旗人民政府", "government")
    assert piped.published.isoformat() == "2022-04-06" and piped.sources["published"] == "metadata"


def test_relayout_leaves_ordinary_text_alone() -> None:
    text = render_text(report())
    assert relayout(text) == text


def test_review_and_litigation_outcomes_against_table_four() -> None:
    from monitor.report.checks import stated_counts

    assert stated_counts("本机关发生行政复议案件3件，其中维持2件、纠正1件；行政诉讼5件，结果维持4件。") == [
        ("review", 3, "本机关发生行政复议案件3件"), ("review_upheld", 2, "其中维持2件"),
        ("review_corrected", 1, "纠正1件"), ("litigation", 5, "行政诉讼5件"), ("litigation_upheld", 4, "结果维持4件")]
    tables = consistent_tables(random.Random(4), "2021", scale=6)
    t4 = tables.t4  # 复议: 维持, 纠正, 其他, 尚未审结, 总计
    prose = f"行政复议{t4[4]}件，其中维持{t4[0]}件、纠正{t4[1]}件。"
    text = render_text(SynthReport("青川县教育局", 2023, tables, jurisdiction="青川县"))
    text = text.replace("一、总体情况\n", "一、总体情况\n" + prose + "\n", 1)
    assert "TEXT_TABLE_MISMATCH" not in codes(text)
    wrong = text.replace(f"维持{t4[0]}件", f"维持{t4[0] + 1}件")
    assert [f.detail["fact"] for f in analyze_text(wrong).findings if f.code == "TEXT_TABLE_MISMATCH"] == ["review_upheld"]
