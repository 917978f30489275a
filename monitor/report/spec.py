"""The rules Nianbao judges by, as data.

Every fact about 政府信息公开工作年度报告 that a check, a message or the methodology page needs
lives here once: the six sections, the three tables of each format version, the deadlines and
the finding codes (a public contract, see ``shared/spec/annual-report.md``). Code elsewhere reads
these structures; it never repeats a label or a rule as a literal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
Level = Literal["government", "department", "township"]
NumberKind = Literal["count", "delta", "amount"]

# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class SectionSpec:
    number: int
    canonical: str
    # Regexes matched against a heading with numbering, markup and whitespace removed.
    patterns: tuple[str, ...]


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(1, "一、总体情况", (r"(工作)?总体(工作|公开)?情况", r"基本情况", r"概述", r"总体概述")),
    SectionSpec(
        2,
        "二、主动公开政府信息情况",
        (r"(行政机关)?主动公开政府信息(的)?情况(统计表?)?",),
    ),
    SectionSpec(
        3,
        "三、收到和处理政府信息公开申请情况",
        (
            r"(行政机关)?收到和处理政府信息公开申请(的)?情况(统计表?)?",
            # the 2007 regulation's wording, still used by some units after 2019
            r"(政府信息)?依申请公开[^，。]{0,14}情况",
        ),
    ),
    SectionSpec(
        4,
        "四、政府信息公开行政复议、行政诉讼情况",
        (
            r"(政府信息公开)?行政复议[、和及与]?行政诉讼(的)?情况(统计表?)?",
            r"因政府信息公开(工作)?被申请行政复议[、，,和及]?提起行政诉讼(的)?情况(统计表?)?",
            r"(因政府信息公开(工作)?)?(被)?申请行政复议[、，,和及]?提起行政诉讼[^，。]{0,6}情况",
        ),
    ),
    SectionSpec(
        5,
        "五、存在的主要问题及改进情况",
        (
            r"(政府信息公开工作)?(存在的?)?(主要)?问题(和|及|与|以及)?(改进|整改)(情况|措施|方向|计划)?",
            r"(政府信息公开工作)?存在的?(主要)?问题(和|及|与|以及)(明年|下一步|下步|今后)(的)?(工作)?(计划|打算|安排|思路|措施)",
        ),
    ),
    SectionSpec(6, "六、其他需要报告的事项", (r"其他需要报告的?事项",)),
)

# A government report must also state these results (条例 第五十条(四)).
GOV_ASSESSMENT_WORDS = ("考核", "评议", "责任追究")

# Fee statement required from report year 2021 (国办函〔2020〕109号).
FEE_STATEMENT_FROM_YEAR = 2021
FEE_STATEMENT_PATTERNS = (
    r"信息(公开)?处理费",
    r"处理费",
    r"收取[^。；;]{0,12}费",
    r"(未|没有|不)[^。；;]{0,6}收(取|费)",
    r"免费",
)

# Section 5 must state improvements, not only problems.
PROBLEM_WORDS = ("问题", "不足", "差距", "有待", "不够", "薄弱", "欠缺")
# Forward-looking words only: "有待进一步加强" and "需要改进" state a problem, not a remedy.
IMPROVEMENT_PATTERNS = (
    r"(?<![待需要])(改进|整改)",
    r"下一步|今后|明年|来年",
    r"措施",
    r"(将|拟|计划)[^。]{0,8}(加强|完善|提升|提高|推进|强化|规范|健全|加大|做好|持续|继续|进一步|抓好|落实|优化|深化|推动)",
    r"针对[^。]{0,10}(问题|不足)",
    r"(19|20)\d{2}年[^。]{0,6}(将|要|拟|计划)",
)

# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class RowSpec:
    """One data row of a table: its printed label, its aliases and its role in the rules."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    group: str | None = None  # the group label a leaf row sits under, e.g. （三）不予公开
    role: Literal["received", "carried_in", "result", "total", "carried_out", "data"] = "data"


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    kind: NumberKind = "count"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class GridRowSpec:
    """A 表二 row: a label and its own columns (表二 is not a regular grid)."""

    key: str
    label: str
    clause: str  # 第二十条第（一）项 …
    columns: tuple[ColumnSpec, ...]
    aliases: tuple[str, ...] = ()


APPLICANT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("natural_person", "自然人"),
    ColumnSpec("business", "商业企业"),
    ColumnSpec("research", "科研机构"),
    ColumnSpec("public_interest", "社会公益组织"),
    ColumnSpec("legal_service", "法律服务机构"),
    ColumnSpec("other", "其他", aliases=("其他组织",)),
    ColumnSpec("total", "总计", aliases=("合计",)),
)


def _t3_rows(other_handling: tuple[RowSpec, ...]) -> tuple[RowSpec, ...]:
    g3, g4, g5 = "（三）不予公开", "（四）无法提供", "（五）不予处理"
    return (
        RowSpec("received", "一、本年新收政府信息公开申请数量", role="received"),
        RowSpec("carried_in", "二、上年结转政府信息公开申请数量", role="carried_in"),
        RowSpec("disclosed", "（一）予以公开", role="result", group="三、本年度办理结果"),
        RowSpec(
            "partly_disclosed",
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            aliases=("（二）部分公开",),
            role="result",
            group="三、本年度办理结果",
        ),
        RowSpec("withheld_state_secret", "1.属于国家秘密", role="result", group=g3),
        RowSpec("withheld_law", "2.其他法律行政法规禁止公开", role="result", group=g3),
        RowSpec("withheld_security", "3.危及“三安全一稳定”", role="result", group=g3),
        RowSpec("withheld_third_party", "4.保护第三方合法权益", role="result", group=g3),
        RowSpec("withheld_internal", "5.属于三类内部事务信息", role="result", group=g3),
        RowSpec("withheld_process", "6.属于四类过程性信息", role="result", group=g3),
        RowSpec("withheld_enforcement", "7.属于行政执法案卷", role="result", group=g3),
        RowSpec("withheld_inquiry", "8.属于行政查询事项", role="result", group=g3),
        RowSpec("unable_not_held", "1.本机关不掌握相关政府信息", role="result", group=g4),
        RowSpec("unable_needs_making", "2.没有现成信息需要另行制作", role="result", group=g4),
        RowSpec("unable_unclear", "3.补正后申请内容仍不明确", role="result", group=g4),
        RowSpec("declined_petition", "1.信访举报投诉类申请", role="result", group=g5),
        RowSpec("declined_repeat", "2.重复申请", role="result", group=g5),
        RowSpec("declined_publication", "3.要求提供公开出版物", role="result", group=g5),
        RowSpec("declined_mass", "4.无正当理由大量反复申请", role="result", group=g5),
        RowSpec(
            "declined_confirm",
            "5.要求行政机关确认或重新出具已获取信息",
            role="result",
            group=g5,
        ),
        *other_handling,
        RowSpec("total", "（七）总计", aliases=("（七）合计",), role="total"),
        RowSpec(
            "carried_out",
            "四、结转下年度继续办理",
            aliases=("四、结转下一年度继续办理",),
            role="carried_out",
        ),
    )


_G6 = "（六）其他处理"
T3_ROWS_2021 = _t3_rows(
    (
        RowSpec(
            "other_no_correction",
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            role="result",
            group=_G6,
        ),
        RowSpec(
            "other_no_fee",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            role="result",
            group=_G6,
        ),
        RowSpec("other_other", "3.其他", role="result", group=_G6),
    )
)
T3_ROWS_2019 = _t3_rows((RowSpec("other", _G6, role="result"),))

_REVIEW_RESULTS: tuple[ColumnSpec, ...] = (
    ColumnSpec("upheld", "结果维持"),
    ColumnSpec("corrected", "结果纠正"),
    ColumnSpec("other", "其他结果"),
    ColumnSpec("pending", "尚未审结"),
    ColumnSpec("total", "总计"),
)
# 表四: three groups of five numbers, printed as one row of 15 cells.
T4_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation_direct", "行政诉讼·未经复议直接起诉"),
    ("litigation_after_review", "行政诉讼·复议后起诉"),
)
T4_COLUMNS = _REVIEW_RESULTS


def _counts(*labels: str, kind: NumberKind = "count") -> tuple[ColumnSpec, ...]:
    return tuple(ColumnSpec(f"c{i}", label, kind) for i, label in enumerate(labels, 1))


_C1 = "第二十条第（一）项"
_C5 = "第二十条第（五）项"
_C6 = "第二十条第（六）项"
_C8 = "第二十条第（八）项"
_C9 = "第二十条第（九）项"
_DECIDED = _counts("本年处理决定数量")
T2_ROWS_2021: tuple[GridRowSpec, ...] = (
    GridRowSpec("rules", "规章", _C1, _counts("本年制发件数", "本年废止件数", "现行有效件数")),
    GridRowSpec(
        "normative_documents",
        "行政规范性文件",
        _C1,
        _counts("本年制发件数", "本年废止件数", "现行有效件数"),
        aliases=("规范性文件",),
    ),
    GridRowSpec("licensing", "行政许可", _C5, _DECIDED),
    GridRowSpec("penalty", "行政处罚", _C6, _DECIDED),
    GridRowSpec("coercion", "行政强制", _C6, _DECIDED),
    GridRowSpec(
        "fees", "行政事业性收费", _C8, _counts("本年收费金额（单位：万元）", kind="amount")
    ),
)
_TRIAL_ITEMS = (
    ColumnSpec("c1", "上一年项目数量"),
    ColumnSpec("c2", "本年增/减", "delta"),
    ColumnSpec("c3", "处理决定数量"),
)
T2_ROWS_2019: tuple[GridRowSpec, ...] = (
    GridRowSpec("rules", "规章", _C1, _counts("本年新制作数量", "本年新公开数量", "对外公开总数量")),
    GridRowSpec(
        "normative_documents",
        "规范性文件",
        _C1,
        _counts("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        aliases=("行政规范性文件",),
    ),
    GridRowSpec("licensing", "行政许可", _C5, _TRIAL_ITEMS),
    GridRowSpec("other_services", "其他对外管理服务事项", _C5, _TRIAL_ITEMS),
    GridRowSpec("penalty", "行政处罚", _C6, _TRIAL_ITEMS),
    GridRowSpec("coercion", "行政强制", _C6, _TRIAL_ITEMS),
    GridRowSpec("fees", "行政事业性收费", _C8, _TRIAL_ITEMS[:2]),
    GridRowSpec(
        "procurement",
        "政府集中采购",
        _C9,
        (ColumnSpec("c1", "采购项目数量"), ColumnSpec("c2", "采购总金额", "amount")),
    ),
)


@dataclass(frozen=True)
class FormatSpec:
    """A national table format (版式) and what identifies it."""

    version: str
    name: str
    source: str
    fingerprints: tuple[str, ...]
    t2_rows: tuple[GridRowSpec, ...]
    t3_rows: tuple[RowSpec, ...]
    first_year: int
    last_year: int | None = None
    t3_columns: tuple[ColumnSpec, ...] = APPLICANT_COLUMNS
    extra: dict[str, str] = field(default_factory=dict)


FORMATS: dict[str, FormatSpec] = {
    "2019": FormatSpec(
        version="2019",
        name="2019年试行格式",
        source="国办公开办函〔2019〕60号",
        fingerprints=(
            "本年新制作数量",
            "本年新公开数量",
            "对外公开总数量",
            "上一年项目数量",
            "本年增/减",
            "第二十条第（九）项",
            "政府集中采购",
        ),
        t2_rows=T2_ROWS_2019,
        t3_rows=T3_ROWS_2019,
        first_year=2019,
        last_year=2020,
    ),
    "2021": FormatSpec(
        version="2021",
        name="2021年新版格式",
        source="国办公开办函〔2021〕30号",
        fingerprints=(
            "本年制发件数",
            "本年废止件数",
            "现行有效件数",
            "本年收费金额",
            "行政规范性文件",
            "申请人逾期未按收费通知要求缴纳费用",
        ),
        t2_rows=T2_ROWS_2021,
        t3_rows=T3_ROWS_2021,
        first_year=2021,
    ),
}
# Report years before this have no national table format.
FIRST_FORMAT_YEAR = 2019
FIRST_REPORT_YEAR = 2008  # the 2007 regulation took effect in 2008: no annual report is older
# The 2021 format is mandatory from this report year; the trial format is then outdated.
CURRENT_FORMAT = "2021"

TABLE_NAMES = {"t2": "表二 主动公开政府信息情况", "t3": "表三 收到和处理政府信息公开申请情况",
               "t4": "表四 政府信息公开行政复议、行政诉讼情况"}
TABLE_SHORT = {"t2": "表二", "t3": "表三", "t4": "表四"}

# --------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineRule:
    id: str
    levels: tuple[Level, ...]
    month: int
    day: int
    first_year: int | None  # report years this rule covers (inclusive)
    last_year: int | None
    source: str
    description: str


DEADLINE_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule("D1", ("department",), 1, 31, 2019, None,
                 "《政府信息公开条例》（2019）第四十九条第一款",
                 "县级以上人民政府部门应当在每年1月31日前公布本部门上一年度年报"),
    DeadlineRule("D2", ("government",), 3, 31, 2019, None,
                 "《政府信息公开条例》（2019）第四十九条第二款",
                 "县级以上地方人民政府应当在每年3月31日前公布本级政府上一年度年报"),
    DeadlineRule("D3", ("township",), 1, 31, 2019, None,
                 "地方规定（无全国统一规定，默认1月31日，可按省市配置）",
                 "乡镇人民政府、街道办事处的年报期限由地方通知规定"),
    DeadlineRule("D0", ("government", "department", "township"), 3, 31, None, 2018,
                 "《政府信息公开条例》（2007）第三十一条",
                 "2018年度及以前的年报应当在每年3月31日前公布"),
)

# --------------------------------------------------------------------------- consistency rules


@dataclass(frozen=True)
class RuleSpec:
    id: str
    code: str
    description: str


CONSISTENCY_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("R1", "ARITH_BALANCE", "表三每一列：第一项加第二项之和，等于第三项（七）总计加第四项之和"),
    RuleSpec("R2", "ARITH_ROW_TOTAL", "表三每一行：总计等于六类申请人数量之和"),
    RuleSpec("R3", "ARITH_OUTCOME_TOTAL", "表三每一列：（七）总计等于各项办理结果之和"),
    RuleSpec("R4", "ARITH_REVIEW_TOTAL", "表四每一组：总计等于结果维持、结果纠正、其他结果、尚未审结之和"),
    RuleSpec("R5", "ARITH_INVALID_NUMBER", "件数为非负整数，收费金额为非负数（单位：万元）"),
    RuleSpec("R6", "ARITH_IN_FORCE", "表二：现行有效件数不少于本年制发件数减去本年废止件数"),
    RuleSpec("X1", "CARRY_OVER_MISMATCH", "本年“上年结转”数等于上一年度报告“结转下年度继续办理”数"),
    RuleSpec("T1", "TEXT_TABLE_MISMATCH", "正文所述数字与统计表一致"),
)

# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class FindingSpec:
    code: str
    severity: Severity
    title: str  # a short Chinese name for lists
    explanation: str  # what it means, for a clerk
    per_report: bool = True  # False: needs several reports or the calendar (monitor)
    channel: str = "public"  # "operator": crawler health, sent to the operator only, never to an office


FINDINGS: dict[str, FindingSpec] = {
    f.code: f
    for f in (
        FindingSpec("LATE", "error", "逾期公布", "年报在法定期限之后才公布。", False),
        FindingSpec("MISSING", "error", "未公布", "期限已过，应当公布年报的单位仍未找到年报。", False),
        FindingSpec("UNDATED", "warning", "未标注发布日期",
                    "页面未标注发布日期，以本系统首次发现的时间代替。", False),
        FindingSpec("CHANGED_AFTER_PUBLICATION", "warning", "公布后被修改",
                    "年报正文在首次发现之后发生了变化。", False),
        FindingSpec("NO_TEXT", "warning", "无可提取文字",
                    "文件为扫描图片或内容为空，无法核验任何内容。"),
        FindingSpec("SECTION_MISSING", "error", "缺少必备部分",
                    "年报缺少条例第五十条和国家格式要求的六个部分之一。"),
        FindingSpec("SECTION_ORDER", "info", "部分顺序不规范", "六个部分都有，但顺序与国家格式不一致。"),
        FindingSpec("TEMPLATE_OUTDATED", "error", "使用过时格式",
                    "2021年度及以后的年报仍使用2019年试行格式，或2019年度及以后的年报未使用国家统一格式。"),
        FindingSpec("TABLE_MISSING", "error", "缺少统计表", "缺少表二、表三或表四。"),
        FindingSpec("TABLE_ROW_MISSING", "error", "统计表缺行", "统计表缺少格式规定的行。"),
        FindingSpec("TABLE_CELL_COUNT", "error", "单元格数量不符", "统计表某一行的数字个数与格式不符。"),
        FindingSpec("TABLE_CELL_BLANK", "warning", "单元格空白", "应填数字的单元格为空或不是数字。"),
        FindingSpec("LABEL_NONSTANDARD", "info", "表头或行名不规范", "统计表的行名或列名与国家格式的文字不一致。"),
        FindingSpec("ARITH_BALANCE", "error", "表三收支不平衡",
                    "表三某列“第一项加第二项之和”不等于“第三项加第四项之和”。"),
        FindingSpec("ARITH_ROW_TOTAL", "error", "表三行合计错误", "表三某行总计不等于各类申请人数量之和。"),
        FindingSpec("ARITH_OUTCOME_TOTAL", "error", "表三办理结果合计错误",
                    "表三某列（七）总计不等于各项办理结果之和。"),
        FindingSpec("ARITH_REVIEW_TOTAL", "error", "表四合计错误",
                    "表四某组总计不等于结果维持、结果纠正、其他结果、尚未审结之和。"),
        FindingSpec("ARITH_INVALID_NUMBER", "error", "数字无效", "件数出现负数或小数，或收费金额为负数。"),
        FindingSpec("ARITH_IN_FORCE", "warning", "现行有效件数偏少",
                    "表二现行有效件数少于本年制发件数减去本年废止件数。"),
        FindingSpec("CARRY_OVER_MISMATCH", "error", "结转数与上年不符",
                    "本年“上年结转”数与上一年度报告“结转下年度继续办理”数不一致。", False),
        FindingSpec("TEXT_TABLE_MISMATCH", "warning", "正文与统计表不符", "正文中所述的数字与统计表中的数字不一致。"),
        FindingSpec("FEE_STATEMENT_MISSING", "warning", "未说明信息处理费",
                    "2021年度及以后的年报未说明信息处理费的收取情况。"),
        FindingSpec("IMPROVEMENT_MISSING", "warning", "未写改进情况", "第五部分只写了问题，没有写改进情况。"),
        FindingSpec("GOV_ASSESSMENT_MISSING", "warning", "未报告考核评议追责结果",
                    "政府年报未报告政府信息公开工作考核、社会评议和责任追究结果。"),
        FindingSpec("YEAR_MISMATCH", "error", "年度不一致", "标题年度、统计期限和正文所述年度不一致。"),
        FindingSpec("COPIED_FROM_PREVIOUS", "warning", "疑似照抄上年",
                    "与本单位上一年度年报几乎相同（已忽略年份和数字）。", False),
        FindingSpec("COPIED_FROM_OTHER", "warning", "疑似照抄其他单位",
                    "与其他单位同年度年报几乎相同（已忽略年份和数字）。", False),
        FindingSpec("LIST_INCOMPLETE", "error", "年报列表不完整",
                    "年报栏目声明的条数或页数多于抓取到的：列表未被完整读取，监测结果可能漏报。", False,
                    channel="operator"),
    )
}
PUBLIC_FINDINGS: dict[str, FindingSpec] = {code: f for code, f in FINDINGS.items() if f.channel == "public"}

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
SEVERITY_NAMES: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
LEVEL_NAMES: dict[str, str] = {"government": "政府", "department": "部门", "township": "乡镇（街道）"}
