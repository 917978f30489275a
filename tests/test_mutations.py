"""Every arithmetic rule fires on a table broken on purpose and stays silent on a consistent one.

Two sources of tables: the real seeds, with numbers changed in their own text layout, and
synthetic consistent non-zero tables rendered to every layout and file format the readers take
(tab, one cell per line, PDF-style text, GBK text, HTML, DOCX, PDF, OFD).
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from demo.synth import RENDERERS, SynthReport, SynthTables, consistent_tables
from monitor.report.analysis import analyze_document, analyze_text
from monitor.report.readers import read_document
from tests.conftest import add_to_number, seed_text, set_number

ARITH = ("ARITH_BALANCE", "ARITH_ROW_TOTAL", "ARITH_OUTCOME_TOTAL", "ARITH_REVIEW_TOTAL", "ARITH_INVALID_NUMBER",
         "ARITH_IN_FORCE")

RECEIVED = r"本年新收政府信息公开申请数量"
TOTAL = r"[（(]七[）)]\s*总计"
DISCLOSED = r"予以公开"
SECURITY = r"危及“三安全一稳定”"
T4 = r"行政诉讼情况"
LICENSING = r"行政许可"
RULES = r"\n\t?规章"


def arith(text: str) -> Counter[str]:
    return Counter(f.code for f in analyze_text(text).findings if f.code.startswith("ARITH_"))


def mutate_r1(text: str) -> str:  # 一 +3 in 商业企业 and in 总计: the row adds up, the column does not
    return add_to_number(add_to_number(text, RECEIVED, 1, 3), RECEIVED, 6, 3)


def mutate_r2(text: str) -> str:  # the 总计 column moves together, the rows' parts do not
    for anchor in (SECURITY, TOTAL, RECEIVED):
        text = add_to_number(text, anchor, 6, 2)
    return text


def mutate_r3(text: str) -> str:  # a result row changes consistently, （七）总计 does not
    return add_to_number(add_to_number(text, DISCLOSED, 0, 1), DISCLOSED, 6, 1)


def mutate_r4(text: str) -> str:  # 行政复议 结果维持 +1, its 总计 unchanged
    return add_to_number(text, T4, 0, 1, last=True)


def mutate_r5(text: str) -> str:  # a negative count in 表二
    return set_number(text, LICENSING, 0, "-2")


def mutate_r6(text: str) -> str:  # 规章: 5 issued, 0 repealed, 2 in force
    text = set_number(text, RULES, 0, "5")
    return set_number(text, RULES, 2, "2")


SEED_CASES = [
    ("ARITH_BALANCE", mutate_r1, 2, ("000", "001", "002", "003", "004")),
    ("ARITH_ROW_TOTAL", mutate_r2, 3, ("000", "001", "002", "003", "004")),
    ("ARITH_OUTCOME_TOTAL", mutate_r3, 2, ("000", "002", "003")),  # 001/004: result rows unreadable
    ("ARITH_REVIEW_TOTAL", mutate_r4, 1, ("000", "001", "002", "003", "004")),
    ("ARITH_INVALID_NUMBER", mutate_r5, 1, ("000", "001", "002", "003", "004")),
    ("ARITH_IN_FORCE", mutate_r6, 1, ("000", "001", "002", "003")),  # R6 is a 2021-format rule
]


@pytest.mark.parametrize("code,mutate,count,seeds", SEED_CASES, ids=[c[0] for c in SEED_CASES])
def test_seed_mutation_fires_alone(code: str, mutate, count: int, seeds: tuple[str, ...]) -> None:
    for name in seeds:
        original = seed_text(name)
        assert arith(original) == Counter(), name
        assert arith(mutate(original)) == Counter({code: count}), name


def test_seed_mutation_detail_has_both_sides() -> None:
    finding = next(f for f in analyze_text(mutate_r1(seed_text("002"))).findings if f.code == "ARITH_BALANCE")
    assert finding.detail["column"] == "商业企业"
    assert finding.detail["left"] == {"本年新收": 3, "上年结转": 0, "sum": 3}
    assert finding.detail["right"]["sum"] == 0
    assert all(c["line"] for c in finding.detail["cells"])
    assert "商业企业" in finding.message and "3" in finding.message


def test_trial_format_delta_may_be_negative() -> None:
    text = set_number(seed_text("004"), r"\n\t行政许可", 1, "-3")  # 本年增/减
    report = analyze_text(text)
    assert report.tables.t2.row("licensing").cells[1].value == -3
    assert arith(text) == Counter()


def test_fractional_count_is_invalid() -> None:
    text = set_number(seed_text("000"), LICENSING, 0, "1.5")
    assert arith(text) == Counter({"ARITH_INVALID_NUMBER": 1})


def test_fee_amount_may_be_decimal() -> None:
    text = set_number(seed_text("000"), r"行政事业性收费", 0, "0.0125")
    report = analyze_text(text)
    assert str(report.tables.t2.row("fees").cells[0].value) == "0.0125"
    assert arith(text) == Counter()


# --------------------------------------------------------------------------- renderings


def _tables(seed: int, fmt: str) -> SynthTables:
    return consistent_tables(random.Random(seed), fmt)


def synth_mutations(t: SynthTables) -> dict[str, tuple[SynthTables, int]]:
    cols = len(t.spec.t3_columns)
    r1 = t.set("t3", "received", 2, t.t3["received"][2] + 4).set("t3", "received", cols - 1,
                                                                     t.t3["received"][-1] + 4)
    r2 = t
    for key in ("withheld_security", "total", "received"):
        r2 = r2.set("t3", key, cols - 1, r2.t3[key][-1] + 5)
    r3 = t.set("t3", "disclosed", 0, t.t3["disclosed"][0] + 2).set("t3", "disclosed", cols - 1,
                                                                       t.t3["disclosed"][-1] + 2)
    r4 = t.set("t4", 1, 0, t.t4[5] + 1)
    r5 = t.set("t2", "licensing", 0, -1)
    out = {"ARITH_BALANCE": (r1, 2), "ARITH_ROW_TOTAL": (r2, 3), "ARITH_OUTCOME_TOTAL": (r3, 2),
           "ARITH_REVIEW_TOTAL": (r4, 1), "ARITH_INVALID_NUMBER": (r5, 1)}
    if t.format == "2021":
        in_force = t.t2["rules"][2]
        out["ARITH_IN_FORCE"] = (t.set("t2", "rules", 0, in_force + 3).set("t2", "rules", 1, 0), 1)
    return out


def _judge(report: SynthReport, renderer: str):
    data = RENDERERS[renderer](report)
    ext = {"html": "x.html", "docx": "x.docx", "pdf": "x.pdf", "ofd": "x.ofd"}.get(renderer, "x.txt")
    return analyze_document(read_document(data, filename=ext))


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
@pytest.mark.parametrize("fmt,year", [("2021", 2023), ("2019", 2020)])
def test_rendered_consistent_tables_pass_and_each_rule_fires(renderer: str, fmt: str, year: int) -> None:
    tables = _tables(7, fmt)
    assert tables.t3["total"][-1] > 0  # non-zero tables, so a rule cannot pass by accident
    clean = _judge(SynthReport("青川县教育局", year, tables, jurisdiction="青川县"), renderer)
    assert [f.code for f in clean.findings] == [], [f.message for f in clean.findings]
    assert clean.tables.t3.row("received").cells[-1].value == tables.t3["received"][-1]
    for code, (broken, count) in synth_mutations(tables).items():
        report = _judge(SynthReport("青川县教育局", year, broken, jurisdiction="青川县"), renderer)
        got = Counter(f.code for f in report.findings if f.code.startswith("ARITH_"))
        assert got == Counter({code: count}), (renderer, code, [f.message for f in report.findings])
