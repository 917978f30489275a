"""The per-report rules: each check reads a parsed report and returns its findings.

Checks are pure functions of the :class:`monitor.report.analysis.Report` they get; they never look at
the network or the database. A number that could not be read (blank, misaligned row) is left
out of every rule that needs it: the defect is reported once as a table finding, never again
as a false arithmetic error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from monitor.report.findings import Finding
from monitor.report.spec import (
    CURRENT_FORMAT,
    FEE_STATEMENT_FROM_YEAR,
    FEE_STATEMENT_PATTERNS,
    FIRST_FORMAT_YEAR,
    FORMATS,
    GOV_ASSESSMENT_WORDS,
    IMPROVEMENT_PATTERNS,
    PROBLEM_WORDS,
    SECTIONS,
    T4_GROUPS,
    TABLE_NAMES,
    TABLE_SHORT,
)
from monitor.report.tables import Cell, ParsedTable, TableRow
from monitor.report.textutil import compact

if TYPE_CHECKING:
    from monitor.report.model import Report

Number = int | Decimal

# --------------------------------------------------------------------------- structure


def check_sections(r: Report) -> list[Finding]:
    if not r.structured_year:
        return []
    out = []
    for n in r.sections.missing:
        spec = SECTIONS[n - 1]
        out.append(Finding("SECTION_MISSING", f"缺少第{n}部分“{spec.canonical}”。",
                           {"section": n, "heading": spec.canonical}))
    if r.sections.out_of_order:
        order = [h.number for h in sorted(r.sections.headings.values(), key=lambda h: h.line)]
        out.append(Finding("SECTION_ORDER", "各部分顺序与国家格式不一致：" + "、".join(map(str, order)) + "。",
                           {"order": order, "out_of_order": r.sections.out_of_order}))
    return out


def check_template(r: Report) -> list[Finding]:
    year, fmt = r.identity.year, r.template
    if year is None or year < FIRST_FORMAT_YEAR:
        return []
    current = FORMATS[CURRENT_FORMAT]
    if fmt is None:
        return [Finding("TEMPLATE_OUTDATED", f"{year}年度年报未使用国家统一的年报格式。",
                        {"year": year, "template": None, "expected": current.version})]
    if year >= current.first_year and fmt != current.version:
        used = FORMATS[fmt]
        return [Finding("TEMPLATE_OUTDATED",
                        f"{year}年度年报仍使用{used.name}（{used.source}），应使用{current.name}（{current.source}）。",
                        {"year": year, "template": fmt, "expected": current.version})]
    return []


def _row_label(table: ParsedTable, row: TableRow) -> str:
    return f"{TABLE_SHORT[table.name]}“{row.label}”"


BLANK_GROUP_ROWS = 3  # rows with the same blank columns reported as one finding


def check_tables(r: Report) -> list[Finding]:
    if not r.structured_year and not r.tables.format:
        return []
    out: list[Finding] = []
    for table in r.tables.all():
        short = TABLE_SHORT[table.name]
        if not table.found:
            out.append(Finding("TABLE_MISSING", f"缺少{TABLE_NAMES[table.name]}（或无法从文本中识别）。",
                               {"table": short}))
            continue
        for label in table.missing_rows:
            out.append(Finding("TABLE_ROW_MISSING", f"{short}缺少“{label}”一行。",
                               {"table": short, "row": label}))
        for label in table.empty_rows:
            # the row is printed but none of its cells holds a number: blank cells, not a missing row
            out.append(Finding("TABLE_CELL_BLANK", f"{short}“{label}”一行的各栏均为空。",
                               {"table": short, "row": label, "found": 0, "columns": "all"}))
        unreadable = [row for row in table.rows if row.run_together and not row.recovered]
        if unreadable:
            examples = [row.cells[0].raw for row in unreadable[:3]]
            out.append(Finding(
                "TABLE_CELL_COUNT",
                f"{short}有{len(unreadable)}行的数字在文本中连在一起（如“{examples[0]}”），无法确定各数字所属的列，"
                "未核验这些行的勾稽关系。",
                {"table": short, "reason": "digits_run_together", "rows": [row.label for row in unreadable],
                 "raw": examples, "line": unreadable[0].line}))
        blank_rows: dict[tuple[str, ...], list[tuple[TableRow, list[Cell]]]] = {}
        for row in table.rows:
            if row.run_together and not row.recovered:
                continue
            if row.label_match == "fuzzy":
                out.append(Finding("LABEL_NONSTANDARD",
                                   f"{short}行名“{row.found_label}”与格式规定的“{row.label}”不一致。",
                                   {"table": short, "kind": "row", "expected": row.label, "found": row.found_label,
                                    "line": row.line}))
            if row.cell_count != row.expected:
                out.append(Finding(
                    "TABLE_CELL_COUNT",
                    f"{_row_label(table, row)}应有{row.expected}个数字，实际为{row.cell_count}个，无法确定各数字所属的列。",
                    {"table": short, "row": row.label, "expected": row.expected, "found": row.cell_count,
                     "raw": [c.raw for c in row.cells], "line": row.line}))
                continue
            blanks = [c for c in row.cells if c.status == "blank"]
            if blanks:
                blank_rows.setdefault(tuple(c.column for c in blanks), []).append((row, blanks))
        for columns, group in blank_rows.items():
            cols = "、".join(columns)
            if len(group) >= BLANK_GROUP_ROWS:
                # one column left blank down the table (a 总计 never filled in): one finding, not one per row
                cells = [_src(c) for _, blanks in group for c in blanks]
                out.append(Finding("TABLE_CELL_BLANK", f"{short}有{len(group)}行的“{cols}”栏为空或不是数字"
                                   f"（如“{group[0][0].label}”）。",
                                   {"table": short, "column": cols, "columns": list(columns),
                                    "rows": [row.label for row, _ in group], "cells": cells}))
                continue
            for row, blanks in group:
                out.append(Finding("TABLE_CELL_BLANK", f"{_row_label(table, row)}的“{cols}”栏为空或不是数字。",
                                   {"table": short, "row": row.label, "columns": list(columns),
                                    "raw": [c.raw for c in blanks], "cells": [_src(c) for c in blanks]}))
        for issue in table.header_issues:
            out.append(Finding("LABEL_NONSTANDARD", f"{short}列名“{issue.found}”与格式规定的“{issue.expected}”不一致。",
                               {"table": short, "kind": "column", "expected": issue.expected, "found": issue.found,
                                "line": issue.line}))
    return out


def _src(cell: Cell) -> dict[str, Any] | None:
    return {"line": cell.line, "column": cell.col} if cell.line else None


# --------------------------------------------------------------------------- arithmetic


def _fmt(n: Number) -> str:
    return format(n, "f") if isinstance(n, Decimal) else str(n)


def _known(cells: Iterable[Cell]) -> list[Number] | None:
    values = []
    for c in cells:
        if c.status != "ok" or c.value is None:
            return None
        values.append(c.value)
    return values


def check_arithmetic(r: Report) -> list[Finding]:
    if not r.tables.format:
        return []
    return [*_r1_r2_r3(r), *_r4(r), *_r5(r), *_r6(r)]


def _r1_r2_r3(r: Report) -> list[Finding]:
    t3 = r.tables.t3
    if not t3.found:
        return []
    spec = FORMATS[r.tables.format or CURRENT_FORMAT]
    columns = [c.label for c in spec.t3_columns]
    out: list[Finding] = []

    def column(key: str, k: int) -> Cell | None:
        row = t3.row(key)
        return row.cells[k] if row and row.cell_count == row.expected else None

    # R2: per row, 总计 = the six applicant columns
    for row in t3.rows:
        vals = _known(row.cells) if row.cell_count == row.expected else None
        if vals is None:
            continue
        parts, total = vals[:-1], vals[-1]
        if sum(parts) != total:
            out.append(Finding(
                "ARITH_ROW_TOTAL",
                f"表三“{row.label}”一行：总计为{_fmt(total)}，但各类申请人数量之和为{_fmt(sum(parts))}。",
                {"rule": "R2", "table": "表三", "row": row.label, "total": total, "sum": sum(parts),
                 "parts": dict(zip(columns[:-1], parts, strict=True)), "cells": [_src(c) for c in row.cells]}))
    results = [row.key for row in spec.t3_rows if row.role == "result"]
    for k, name in enumerate(columns):
        # R1: 一 + 二 = （七）总计 + 四
        cells = [column(key, k) for key in ("received", "carried_in", "total", "carried_out")]
        if all(cells):
            vals = _known(c for c in cells if c)
            if vals is not None:
                a, b, c, d = vals
                if a + b != c + d:
                    out.append(Finding(
                        "ARITH_BALANCE",
                        f"表三“{name}”列：本年新收({_fmt(a)})加上年结转({_fmt(b)})之和为{_fmt(a + b)}，"
                        f"不等于办理结果总计({_fmt(c)})加结转下年度({_fmt(d)})之和{_fmt(c + d)}。",
                        {"rule": "R1", "table": "表三", "column": name,
                         "left": {"本年新收": a, "上年结转": b, "sum": a + b},
                         "right": {"办理结果总计": c, "结转下年度继续办理": d, "sum": c + d},
                         "cells": [_src(x) for x in cells if x]}))
        # R3: （七）总计 = the result rows
        total = column("total", k)
        parts = [column(key, k) for key in results]
        if total is not None and all(parts):
            vals = _known([total, *(p for p in parts if p)])
            if vals is not None and sum(vals[1:]) != vals[0]:
                out.append(Finding(
                    "ARITH_OUTCOME_TOTAL",
                    f"表三“{name}”列：（七）总计为{_fmt(vals[0])}，但各项办理结果之和为{_fmt(sum(vals[1:]))}。",
                    {"rule": "R3", "table": "表三", "column": name, "total": vals[0], "sum": sum(vals[1:]),
                     "rows": len(results), "cells": [_src(x) for x in (total, *parts) if x]}))
    return out


def _r4(r: Report) -> list[Finding]:
    out = []
    for row in r.tables.t4.rows:
        vals = _known(row.cells) if row.cell_count == row.expected and len(row.cells) == 5 else None
        if vals is None:
            continue
        parts, total = vals[:4], vals[4]
        if sum(parts) != total:
            out.append(Finding(
                "ARITH_REVIEW_TOTAL",
                f"表四“{row.label}”：总计为{_fmt(total)}，但结果维持、结果纠正、其他结果、尚未审结之和为{_fmt(sum(parts))}。",
                {"rule": "R4", "table": "表四", "group": row.label, "total": total, "sum": sum(parts),
                 "cells": [_src(c) for c in row.cells]}))
    return out


def _r5(r: Report) -> list[Finding]:
    out = []
    for table in r.tables.all():
        for row in table.rows:
            for c in row.cells:
                if c.status != "ok" or c.value is None:
                    continue
                bad = None
                fractional = isinstance(c.value, Decimal) and c.value != c.value.to_integral_value()
                if c.kind == "count" and (c.value < 0 or fractional):
                    bad = "件数应为非负整数"
                elif c.kind == "delta" and fractional:
                    bad = "增减数应为整数"
                elif c.kind == "amount" and c.value < 0:
                    bad = "金额不能为负数"
                if bad:
                    out.append(Finding(
                        "ARITH_INVALID_NUMBER",
                        f"{TABLE_SHORT[table.name]}“{row.label}”的“{c.column}”为{c.raw}，{bad}。",
                        {"rule": "R5", "table": TABLE_SHORT[table.name], "row": row.label, "column": c.column,
                         "raw": c.raw, "cells": [_src(c)]}))
    return out


def _r6(r: Report) -> list[Finding]:
    if r.tables.format != CURRENT_FORMAT:
        return []
    out = []
    for key in ("rules", "normative_documents"):
        row = r.tables.t2.row(key)
        if row is None or row.cell_count != row.expected:
            continue
        vals = _known(row.cells)
        if vals is None:
            continue
        issued, repealed, in_force = vals
        if in_force < issued - repealed:
            out.append(Finding(
                "ARITH_IN_FORCE",
                f"表二“{row.label}”：现行有效件数({_fmt(in_force)})少于本年制发({_fmt(issued)})减本年废止({_fmt(repealed)})。",
                {"rule": "R6", "table": "表二", "row": row.label, "issued": issued, "repealed": repealed,
                 "in_force": in_force, "cells": [_src(c) for c in row.cells]}))
    return out


# --------------------------------------------------------------------------- text against tables

@dataclass(frozen=True)
class TextFact:
    """A count the prose may state, the words that introduce it, and what the tables say for it."""

    key: str
    name: str  # for the message
    keywords: re.Pattern[str]  # the words a number must follow, in the same clause
    needs: str = ""  # a word the clause must also hold (申请 for a count of applications)


# Longer keywords first: "予以公开和部分公开" before "予以公开", "不予公开" before "予以公开".
TEXT_FACTS: tuple[TextFact, ...] = (
    TextFact("carried_in", "上年结转申请", re.compile(r"上(一)?年(度)?结转"), "申请"),
    TextFact("received", "收到政府信息公开申请", re.compile(r"收到|新收|受理|接收|共收"), "申请"),
    TextFact("disclosed_or_partly", "予以公开和部分公开", re.compile(r"予以公开(及|和|与|、)部分公开")),
    TextFact("withheld", "不予公开", re.compile(r"不予公开")),
    TextFact("disclosed", "予以公开", re.compile(r"(?<!不)予以公开|同意公开|全部公开")),
    TextFact("partly", "部分公开", re.compile(r"部分公开")),
    TextFact("unable", "无法提供", re.compile(r"无法提供")),
    TextFact("declined", "不予处理", re.compile(r"不予处理")),
    TextFact("review", "行政复议", re.compile(r"行政复议(案件|申请)?")),
    TextFact("litigation", "行政诉讼", re.compile(r"行政诉讼(案件)?")),
    TextFact("normative_in_force", "现行有效的行政规范性文件", re.compile(r"现行有效(的)?(行政)?规范性文件")),
)
# Words that end a count's clause: a number belongs to the last keyword before it in its clause.
_CLAUSE = re.compile(r"[，,；;。：:（）()、！？]")
_COUNT = re.compile(r"(?<![\d.第])(\d+)\s*(?:件|宗|起)(?![\d%])")
# Words that make a clause about something else than the report year's count (同比, 累计 …).
_OTHER_MEASURE = re.compile(r"同比|增长|减少|累计|历年|占|比例|较上年|上年同期|其中自然人|自然人|法人")
_ZERO_HINT = re.compile(r"未|没有|无")
# A zero stated in words.
TEXT_ZERO_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("received", re.compile(r"(未|没有)(收到|受理)[^。；;]{0,10}申请(?!人)|无依申请公开(事项|申请|件)")),
    ("review", re.compile(r"(未发生|没有发生|无)[^。；;，,]{0,16}行政复议")),
    ("litigation", re.compile(r"(未发生|没有发生|无)[^。；;，,]{0,16}行政诉讼")),
)
_SENTENCE = re.compile(r"[。；;！？]")
_SUBJECT = re.compile(r"行政复议|行政诉讼")
_OUTCOME = re.compile(r"(结果)?维持(原)?(决定|判决|原行政行为)?|(结果)?纠正|被纠错")
TEXT_FACT_NAMES = {f.key: f.name for f in TEXT_FACTS} | {
    "review_upheld": "行政复议结果维持", "review_corrected": "行政复议结果纠正",
    "litigation_upheld": "行政诉讼结果维持", "litigation_corrected": "行政诉讼结果纠正"}


def stated_counts(line: str) -> list[tuple[str, int, str]]:
    """(fact, number, clause) for every count the prose binds to a fact.

    A number belongs to the last fact keyword before it in the same clause: in
    "共受理申请120件，答复118件（含上年结转申请2件）" 120 is received, 118 nothing (答复 is not a
    fact), and 2 is carried over. A clause about another measure (同比, 自然人 …) states nothing.
    维持/纠正 counts belong to the review or litigation the sentence last named
    ("行政复议3件，其中维持2件、纠正1件").
    """
    flat = compact(line)
    out = []
    for sentence in _SENTENCE.split(flat):
        subject = None  # review | litigation, once the sentence names one
        for clause in _CLAUSE.split(sentence):
            if not clause:
                continue
            named = [m for m in _SUBJECT.finditer(clause)]
            if not (_COUNT.search(clause) or _ZERO_HINT.search(clause)) or _OTHER_MEASURE.search(clause):
                subject = ("review" if "复议" in named[-1].group(0) else "litigation") if named else subject
                continue
            hits = []
            for fact in TEXT_FACTS:
                if fact.needs and fact.needs not in clause:
                    continue
                hits += [(m.start(), m.end(), fact.key) for m in fact.keywords.finditer(clause)]
            for m in _OUTCOME.finditer(clause):
                last = [n for n in named if n.end() <= m.start()]
                about = ("review" if "复议" in last[-1].group(0) else "litigation") if last else subject
                if about:
                    hits.append((m.start(), m.end(), f"{about}_{'upheld' if '维持' in m.group(0) else 'corrected'}"))
            hits.sort(key=lambda h: (h[0], -h[1]))
            kept: list[tuple[int, int, str]] = []
            for h in hits:  # overlapping keywords: the earliest, longest one
                if not kept or h[0] >= kept[-1][1]:
                    kept.append(h)
            for m in _COUNT.finditer(clause):
                before = [h for h in kept if h[1] <= m.start()]
                if before:
                    out.append((before[-1][2], int(m.group(1)), clause))
            for key, pattern in TEXT_ZERO_FACTS:
                if pattern.search(clause) and not _COUNT.search(clause):
                    out.append((key, 0, clause))
            if named:
                subject = "review" if "复议" in named[-1].group(0) else "litigation"
    return out


_SENTENCE_END = re.compile(r"[。；;：:！？!?]$")
WRAP_MIN_CHARS = 15
_CONTINUES = re.compile(r"[及和与、的为共计其]$")  # a line cut inside a phrase: 予以公开及⏎部分公开 42 件


def prose_sentences(r: Report) -> list[tuple[int, str]]:
    """Prose lines with the lines a PDF or a narrow page wrapped joined again, each with its first line.

    A long line that does not end a sentence continues on the next one (…受理政府⏎信息公开申请 17 件).
    """
    out: list[tuple[int, str]] = []
    previous_line = None
    for n, line in r.prose_lines():
        text = line.strip()
        if not text:
            previous_line = None
            continue
        if out and previous_line == n - 1 and not _SENTENCE_END.search(out[-1][1]) \
                and (len(out[-1][1]) >= WRAP_MIN_CHARS or _CONTINUES.search(out[-1][1])):
            out[-1] = (out[-1][0], out[-1][1] + text)
        else:
            out.append((n, text))
        previous_line = n
    return out


def _total(row: TableRow | None) -> Number | None:
    """A row's total; a blank total (TABLE_CELL_BLANK) is read as the sum of the row's printed numbers."""
    if row is None or row.cell_count != row.expected or not row.cells:
        return None
    cell = row.cells[-1]
    if cell.status == "ok":
        return cell.value
    parts = row.cells[:-1]
    if cell.status == "blank" and not cell.raw.strip() and all(c.status in ("ok", "blank") for c in parts) \
            and any(c.status == "ok" for c in parts):
        return sum(c.value for c in parts if c.status == "ok" and c.value is not None)
    return None


def _cell(row: TableRow | None, k: int) -> Number | None:
    if row is None or row.cell_count != row.expected or len(row.cells) <= k or row.cells[k].status != "ok":
        return None
    return row.cells[k].value


def _parts_sum(row: TableRow | None) -> list[Number]:
    if row is None or row.cell_count != row.expected or any(c.status != "ok" for c in row.cells):
        return []
    return [sum(c.value for c in row.cells[:-1] if c.value is not None)]


def _sum(values: list[Number | None]) -> Number | None:
    return None if not values or any(v is None for v in values) else sum(v for v in values if v is not None)


def _table_facts(r: Report) -> dict[str, list[Number]]:
    """What the tables say for each fact the text may state (several acceptable readings)."""
    facts: dict[str, list[Number]] = {}
    t3 = r.tables.t3
    spec = FORMATS[r.tables.format or CURRENT_FORMAT]
    new, carried = _total(t3.row("received")), _total(t3.row("carried_in"))
    if new is not None:
        # 收到 is read both ways: the year's new applications, or new and carried over; a total the
        # row's own numbers contradict (R2) is no better than their sum
        facts["received"] = [new] + ([new + carried] if carried is not None else []) + _parts_sum(t3.row("received"))
    if carried is not None:
        facts["carried_in"] = [carried]
    disclosed, partly = _total(t3.row("disclosed")), _total(t3.row("partly_disclosed"))
    for key, value in (("disclosed", disclosed), ("partly", partly),
                       ("disclosed_or_partly", _sum([disclosed, partly]))):
        if value is not None:
            facts[key] = [value]
    for key, group in (("withheld", "（三）不予公开"), ("unable", "（四）无法提供"), ("declined", "（五）不予处理")):
        value = _sum([_total(t3.row(row.key)) for row in spec.t3_rows if row.group == group])
        if value is not None:
            facts[key] = [value]
    t4 = {row.key: row for row in r.tables.t4.rows}
    review = _total(t4.get(T4_GROUPS[0][0]))
    if review is not None:
        facts["review"] = [review]
    litigation = _sum([_total(t4.get(key)) for key, _ in T4_GROUPS[1:]])
    if litigation is not None:
        facts["litigation"] = [litigation]
    for k, outcome in ((0, "upheld"), (1, "corrected")):
        value = _cell(t4.get(T4_GROUPS[0][0]), k)
        if value is not None:
            facts[f"review_{outcome}"] = [value]
        value = _sum([_cell(t4.get(key), k) for key, _ in T4_GROUPS[1:]])
        if value is not None:
            facts[f"litigation_{outcome}"] = [value]
    normative = r.tables.t2.row("normative_documents")
    if r.tables.format == CURRENT_FORMAT and normative and normative.cell_count == normative.expected \
            and normative.cells[-1].status == "ok" and normative.cells[-1].value is not None:
        facts["normative_in_force"] = [normative.cells[-1].value]
    return facts


def check_text_tables(r: Report) -> list[Finding]:
    facts = _table_facts(r)
    if not facts:
        return []
    out = []
    reported: set[str] = set()
    for n, line in prose_sentences(r):
        for fact, value, clause in stated_counts(line):
            if fact not in facts or fact in reported or value in facts[fact]:
                continue
            reported.add(fact)
            table_value = facts[fact][0]
            out.append(Finding(
                "TEXT_TABLE_MISMATCH",
                f"正文第{n}行称{TEXT_FACT_NAMES[fact]}{value}件（“{clause}”），统计表中为{_fmt(table_value)}件。",
                {"rule": "T1", "fact": fact, "text_value": value, "table_value": table_value, "line": n,
                 "snippet": clause}))
    return out


# --------------------------------------------------------------------------- statements


def check_fee_statement(r: Report) -> list[Finding]:
    year = r.identity.year
    if year is None or year < FEE_STATEMENT_FROM_YEAR:
        return []
    prose = compact("".join(line for _, line in r.prose_lines()))
    if any(re.search(p, prose) for p in FEE_STATEMENT_PATTERNS):
        return []
    return [Finding("FEE_STATEMENT_MISSING",
                    f"{year}年度年报未说明信息处理费的收取情况（国办函〔2020〕109号要求在第六部分说明）。",
                    {"year": year, "section": 6})]


def check_improvements(r: Report) -> list[Finding]:
    span = r.sections.span(5)
    if span is None:
        return []
    body = compact("".join(r.lines[span[0] - 1:span[1]]))
    if any(re.search(p, body) for p in IMPROVEMENT_PATTERNS):
        return []
    states_problems = any(w in body for w in PROBLEM_WORDS)
    message = ("第五部分列出了存在的问题，但没有写明改进情况或改进措施。" if states_problems
               else "第五部分没有写明存在的问题及改进情况。")
    return [Finding("IMPROVEMENT_MISSING", message, {"section": 5, "states_problems": states_problems,
                                                      "chars": len(body)})]


def check_gov_assessment(r: Report) -> list[Finding]:
    if r.identity.level != "government" or not r.structured_year:
        return []
    flat = compact(r.text)
    if any(w in flat for w in GOV_ASSESSMENT_WORDS):
        return []
    return [Finding("GOV_ASSESSMENT_MISSING",
                    "政府年报未报告政府信息公开工作考核、社会评议和责任追究结果（条例第五十条第四项）。",
                    {"words": list(GOV_ASSESSMENT_WORDS)})]


def check_year(r: Report) -> list[Finding]:
    ident = r.identity
    year = ident.year
    if year is None or ident.year_source != "title":
        return []
    problems: list[str] = []
    detail: dict[str, Any] = {"title_year": year}
    if ident.period and ident.period != (year, year):
        problems.append(f"统计期限为{ident.period[0]}年")
        detail["period"] = list(ident.period)
    others = {y: n for y, n in ident.body_years.items() if y != year}
    if ident.body_years.get(year, 0) == 0 and others and max(others.values()) >= 2:
        body_year = max(others, key=lambda y: others[y])
        problems.append(f"正文主要叙述{body_year}年的工作")
        detail["body_year"] = body_year
    if ident.date_line and (ident.date_line.year < year or (ident.date_line.year == year and ident.date_line.month < 12)):
        problems.append(f"落款日期为{ident.date_line.isoformat()}")
        detail["date_line"] = ident.date_line.isoformat()
    if not problems:
        return []
    return [Finding("YEAR_MISMATCH", f"标题为{year}年度，但" + "，".join(problems) + "。", detail)]


CHECKS: tuple[Callable[[Report], list[Finding]], ...] = (
    check_sections,
    check_template,
    check_tables,
    check_arithmetic,
    check_text_tables,
    check_fee_statement,
    check_improvements,
    check_gov_assessment,
    check_year,
)
